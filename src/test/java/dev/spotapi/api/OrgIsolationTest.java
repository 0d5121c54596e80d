package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.SpotApi;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 12, black-box: two spot-api deployments of different orgs ({@code alpha}, {@code beta}) and a
 * third with {@code orgIsolation: off}, all over ONE simulator account. Each sees and touches only
 * resources tagged {@code spinup:org} = its own org.
 */
class OrgIsolationTest {
    static final String MISSING_GROUP = "sig-0000dead";
    static final String MISSING_INSTANCE = "smi-0000dead";

    static SpotSimulator sim;
    static SpotApi alpha;
    static SpotApi beta;
    static SpotApi off;
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start();
        alpha = SpotApi.start(config("alpha", "enforce"));
        beta = SpotApi.start(config("beta", null));
        off = SpotApi.start(config("alpha", "off"));
    }

    @AfterAll
    static void stop() {
        TestService.closeAll(alpha, beta, off, sim);
    }

    static ServiceConfig config(String org, String mode) {
        ServiceConfig base = TestService.config(sim.baseUrl(), TestService.fastSettings());
        return base.withOrg(org).withOrgIsolation(mode);
    }

    @BeforeEach
    void reset() {
        assertThat(sim("POST", "/_sim/reset", null).status()).isEqualTo(200);
    }

    // ---- lists ------------------------------------------------------------------------------------

    @Test
    void eachDeploymentListsOnlyItsOwnResources() {
        String groupA = createGroup(alpha, ApiTestSupport.groupBody());
        String groupB = createGroup(beta, ApiTestSupport.groupBody());
        String instanceA = createInstance(alpha, ApiTestSupport.instanceBody());
        String instanceB = createInstance(beta, ApiTestSupport.instanceBody());

        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).containsExactly(groupA);
        assertThat(ids(call(beta, "GET", "/main/elastigroups", null))).containsExactly(groupB);
        assertThat(ids(call(alpha, "GET", "/main/instances", null))).containsExactly(instanceA);
        assertThat(ids(call(beta, "GET", "/main/instances", null))).containsExactly(instanceB);
        assertThat(sim("GET", "/_sim/requests?limit=1000", null).json().path("requests"))
                .filteredOn(r -> r.path("method").asText().equals("GET")
                        && r.path("path").asText().matches("/aws/ec2/(group|managedInstance)/.+"))
                .as("a list makes no call per resource").isEmpty();
    }

    @Test
    void theSpaceFilterKeepsOnlyThatSpace() {
        ObjectNode inSpace = ApiTestSupport.groupBody();
        launchTags(inSpace).addObject().put("tagKey", "spinup:spaceid").put("tagValue", "space-1");
        String groupInSpace = createGroup(alpha, inSpace);
        createGroup(alpha, ApiTestSupport.groupBody());
        ObjectNode instanceInSpace = ApiTestSupport.instanceBody();
        launchTags(instanceInSpace).addObject().put("tagKey", "spinup:spaceid").put("tagValue", "space-1");
        String instance = createInstance(alpha, instanceInSpace);
        createInstance(alpha, ApiTestSupport.instanceBody());
        createGroup(beta, inSpace);

        assertThat(ids(call(alpha, "GET", "/main/elastigroups?space=space-1", null))).containsExactly(groupInSpace);
        assertThat(ids(call(alpha, "GET", "/main/instances?space=space-1", null))).containsExactly(instance);
        assertThat(ids(call(alpha, "GET", "/main/elastigroups?space=space-2", null))).isEmpty();
        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).hasSize(2);
    }

    // ---- per-resource routes ----------------------------------------------------------------------

    /**
     * Every route of the table with an {@code {instance}} or {@code {elastigroup}} parameter (routes
     * added later included): on the other org's resource it answers exactly what a missing id gets,
     * after the same number of Spot calls, and nothing but reads reaches Spot.
     */
    @Test
    void everyPerResourceRouteOfAnotherOrgsResourceIsAMissingId() {
        String group = createGroup(alpha, ApiTestSupport.groupBody());
        String instance = createInstance(alpha, ApiTestSupport.instanceBody());
        List<String> routes = beta.routes().stream()
                .filter(r -> r.contains("{instance}") || r.contains("{elastigroup}")).toList();
        assertThat(routes).contains("GET /v1/spot/{account}/instances/{instance}",
                "PUT /v1/spot/{account}/instances/{instance}", "DELETE /v1/spot/{account}/instances/{instance}",
                "GET /v1/spot/{account}/instances/{instance}/costs", "GET /v1/spot/{account}/instances/{instance}/status",
                "GET /v1/spot/{account}/elastigroups/{elastigroup}", "PUT /v1/spot/{account}/elastigroups/{elastigroup}",
                "DELETE /v1/spot/{account}/elastigroups/{elastigroup}");

        for (String route : routes) {
            String method = route.substring(0, route.indexOf(' '));
            String template = route.substring(route.indexOf(' ') + 1).replace("/v1/spot/{account}", "/main")
                    .replace("{roll}", "sbgd-0a1b2c3d").replace("{process}", "AUTO_HEALING")
                    .replace("{statefulInstance}", "ssi-0a1b2c3d").replace("{volume}", "vol-0a1b2c3d");
            String body = "GET".equals(method) || "DELETE".equals(method) ? null : "{\"description\": \"hijack\"}";
            boolean isInstance = template.contains("{instance}");
            String foreignPath = template.replace("{instance}", instance).replace("{elastigroup}", group);
            String missingPath = template.replace("{instance}", MISSING_INSTANCE).replace("{elastigroup}", MISSING_GROUP);

            clearRequests();
            Reply missing = call(beta, method, missingPath, body);
            int missingCalls = requests().size();
            clearRequests();
            Reply foreign = call(beta, method, foreignPath, body);
            List<JsonNode> foreignCalls = requests();

            assertThat(missing.status()).as("%s on a missing id: %s", route, missing.body()).isIn(400, 404);
            assertThat(foreign.status()).as("%s on another org's resource: %s", route, foreign.body())
                    .isEqualTo(missing.status());
            assertThat(withoutRequestId(foreign)).as(route)
                    .isEqualTo(withoutRequestId(missing).replace(isInstance ? MISSING_INSTANCE : MISSING_GROUP,
                            isInstance ? instance : group));
            assertThat(foreignCalls).as("%s: as many Spot calls as for a missing id", route).hasSize(missingCalls);
            assertThat(foreignCalls).as("%s: no write reaches Spot", route)
                    .allSatisfy(r -> assertThat(r.path("method").asText()).isEqualTo("GET"));
        }
        for (String route : List.of("GET /instances/%s", "PUT /instances/%s", "DELETE /instances/%s",
                "GET /instances/%s/costs", "GET /instances/%s/status")) {
            String[] parts = route.split(" ");
            Reply r = call(beta, parts[0], "/main" + parts[1].formatted(instance),
                    parts[0].equals("PUT") ? "{\"description\": \"hijack\"}" : null);
            assertThat(r.status()).as(route + ": " + r.body()).isEqualTo(404);
            assertThat(r.json().path("message").asText()).isEqualTo("managed instance '" + instance + "' does not exist");
        }
        for (String method : List.of("GET", "PUT", "DELETE")) {
            Reply r = call(beta, method, "/main/elastigroups/" + group, method.equals("PUT") ? "{\"name\": \"x\"}" : null);
            assertThat(r.status()).as(method + " group: " + r.body()).isEqualTo(404);
        }
        assertThat(stored("group", group)).as("alpha's group is untouched").isNotNull();
        assertThat(stored("group", group).path("name").asText()).isEqualTo("test202018");
        assertThat(stored("managedInstance", instance).path("description").asText()).isEqualTo("My new Spot Instance");
        assertThat(metric(beta, "spotapi_org_refused_total",
                "account=\"main\",route=\"/v1/spot/{account}/elastigroups/{elastigroup}\"")).isGreaterThanOrEqualTo(3);
        // and alpha still reaches both
        assertThat(call(alpha, "GET", "/main/elastigroups/" + group, null).status()).isEqualTo(200);
        assertThat(call(alpha, "GET", "/main/instances/" + instance, null).status()).isEqualTo(200);
    }

    @Test
    void theOwnerReadsAndWritesAsBeforeAndTheSummaryShowsTheRealTag() {
        String instance = createInstance(alpha, ApiTestSupport.instanceBody());

        Reply summary = call(alpha, "GET", "/main/instances/" + instance, null);

        assertThat(summary.status()).as(summary.body()).isEqualTo(200);
        JsonNode tags = summary.json().path("tags");
        assertThat(tags.get(tags.size() - 1)).isEqualTo(TestService.json("{\"spinup:org\": \"alpha\"}"));
        assertThat(call(alpha, "GET", "/main/instances/" + instance + "/status", null).status()).isEqualTo(200);
        assertThat(call(alpha, "GET", "/main/instances/" + instance + "/costs", null).status()).isEqualTo(200);
        assertThat(call(alpha, "DELETE", "/main/instances/" + instance, null).status()).isEqualTo(200);
    }

    // ---- writes keep the tag ----------------------------------------------------------------------

    @Test
    void createWithAForeignOrgTagEndsUpWithOurs() {
        ObjectNode group = ApiTestSupport.groupBody();
        launchTags(group).addObject().put("tagKey", "spinup:org").put("tagValue", "beta");
        launchTags(group).addObject().put("tagKey", "Team").put("tagValue", "t1");
        ObjectNode instance = ApiTestSupport.instanceBody();
        launchTags(instance).addObject().put("tagKey", "spinup:org").put("tagValue", "beta");

        String groupId = createGroup(alpha, group);
        String instanceId = createInstance(alpha, instance);

        assertThat(orgTags(stored("group", groupId))).containsExactly("alpha");
        assertThat(tagKeys(stored("group", groupId))).contains("Team");
        assertThat(orgTags(stored("managedInstance", instanceId))).containsExactly("alpha");
        assertThat(tagKeys(stored("managedInstance", instanceId))).contains("CreatedBy");
        assertThat(ids(call(beta, "GET", "/main/elastigroups", null))).doesNotContain(groupId);
    }

    @Test
    void anUpdateCanNeitherDropNorChangeTheTag() {
        String group = createGroup(alpha, ApiTestSupport.groupBody());
        String instance = createInstance(alpha, ApiTestSupport.instanceBody());
        String dropTags = "{\"compute\": {\"launchSpecification\": {\"tags\": [{\"tagKey\": \"Env\", \"tagValue\": \"dev\"}]}}}";
        String emptyTags = "{\"compute\": {\"launchSpecification\": {\"tags\": []}}}";
        String changeTag = "{\"compute\": {\"launchSpecification\": {\"tags\": [{\"tagKey\": \"spinup:org\", \"tagValue\": \"beta\"}]}}}";

        for (String update : List.of(dropTags, emptyTags, changeTag, "{\"name\": \"renamed\"}")) {
            Reply g = call(alpha, "PUT", "/main/elastigroups/" + group, update);
            Reply i = call(alpha, "PUT", "/main/instances/" + instance, update);
            assertThat(g.status()).as(update + ": " + g.body()).isEqualTo(200);
            assertThat(i.status()).as(update + ": " + i.body()).isEqualTo(200);
            assertThat(orgTags(stored("group", group))).as(update).containsExactly("alpha");
            assertThat(orgTags(stored("managedInstance", instance))).as(update).containsExactly("alpha");
        }
        // the caller's tags replaced; the server's own kept (the create's correlation: ServerTags), ours put back last
        assertThat(tagKeys(stored("group", group))).containsExactly("spot-api:correlation", "spinup:org");
        assertThat(call(alpha, "GET", "/main/elastigroups/" + group, null).status()).isEqualTo(200);
        assertThat(call(beta, "GET", "/main/elastigroups/" + group, null).status()).isEqualTo(404);
    }

    // ---- untagged resources -----------------------------------------------------------------------

    @Test
    void untaggedResourcesAreInvisibleUnderEnforceAndVisibleUnderOff() {
        String group = createUntagged("group", ApiTestSupport.groupBody());
        String instance = createUntagged("managedInstance", ApiTestSupport.instanceBody());

        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).doesNotContain(group);
        assertThat(ids(call(alpha, "GET", "/main/instances", null))).doesNotContain(instance);
        assertThat(call(alpha, "GET", "/main/elastigroups/" + group, null).status()).isEqualTo(404);
        assertThat(call(alpha, "DELETE", "/main/instances/" + instance, null).status()).isEqualTo(404);
        assertThat(stored("managedInstance", instance)).as("not deleted").isNotNull();

        assertThat(ids(call(off, "GET", "/main/elastigroups", null))).contains(group);
        assertThat(ids(call(off, "GET", "/main/instances", null))).contains(instance);
        assertThat(call(off, "GET", "/main/elastigroups/" + group, null).status()).isEqualTo(200);
        Reply summary = call(off, "GET", "/main/instances/" + instance, null);
        assertThat(summary.status()).isEqualTo(200);
        JsonNode tags = summary.json().path("tags");
        assertThat(tags.get(tags.size() - 1)).as("the real (absent) tag")
                .isEqualTo(TestService.json("{\"spinup:org\": \"\"}"));
    }

    // ---- tags only where Spot keeps them (issue 20) -------------------------------------------------

    /** A {@code config} object holding {@code compute.launchSpecification.tags} with spinup:org = {@code org}. */
    static ObjectNode smuggledConfig(String org) {
        return TestService.json("{\"compute\": {\"launchSpecification\": {\"tags\": [{\"tagKey\": \"spinup:org\","
                + " \"tagValue\": \"" + org + "\"}]}}}");
    }

    @Test
    void aCreateOrUpdateSmugglingTagsInConfigIsRefusedAndChangesNothing() {
        String alphas = createGroup(alpha, ApiTestSupport.groupBody());
        clearRequests();
        ObjectNode create = ApiTestSupport.groupBody();
        create.set("config", smuggledConfig("beta"));
        ObjectNode empty = ApiTestSupport.groupBody();
        empty.putObject("config");
        ObjectNode instance = ApiTestSupport.instanceBody();
        instance.set("config", smuggledConfig("beta"));
        ObjectNode update = TestService.JSON.createObjectNode();
        update.set("config", smuggledConfig("beta"));

        for (SpotApi api : List.of(alpha, beta, off)) {
            assertThat(call(api, "POST", "/main/elastigroups", create.toString()).status()).isEqualTo(400);
            assertThat(call(api, "POST", "/main/elastigroups", empty.toString()).status()).isEqualTo(400);
            assertThat(call(api, "POST", "/main/instances", instance.toString()).status()).isEqualTo(400);
            Reply r = call(api, "PUT", "/main/elastigroups/" + alphas, update.toString());
            assertThat(r.status()).as(r.body()).isEqualTo(400);
            assertThat(r.json().path("message").asText()).contains("config");
        }

        assertThat(requests()).as("nothing reached Spot").isEmpty();
        assertThat(ids(call(beta, "GET", "/main/elastigroups", null))).isEmpty();
        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).containsExactly(alphas);
        assertThat(stored("group", alphas).has("config")).isFalse();
    }

    /**
     * Objects that already carry a {@code config} in Spot (made by another tool, or before spot-api refused it):
     * ownership and correlation read only {@code compute.launchSpecification.tags}, so org beta cannot list,
     * read, change or delete alpha's group whose {@code config} names beta, and alpha keeps full use of its
     * group with an empty {@code config}.
     */
    @Test
    void aConfigStoredInSpotNeitherGivesAwayNorHidesAGroup() {
        ObjectNode claimedByBeta = ApiTestSupport.groupBody();
        launchTags(claimedByBeta).addObject().put("tagKey", "spinup:org").put("tagValue", "alpha");
        claimedByBeta.set("config", smuggledConfig("beta"));
        ObjectNode emptyConfig = ApiTestSupport.groupBody();
        launchTags(emptyConfig).addObject().put("tagKey", "spinup:org").put("tagValue", "alpha");
        emptyConfig.putObject("config");
        String a = createUntagged("group", claimedByBeta);
        String b = createUntagged("group", emptyConfig);
        clearRequests();

        assertThat(ids(call(beta, "GET", "/main/elastigroups", null))).isEmpty();
        for (String id : List.of(a, b)) {
            assertThat(call(beta, "GET", "/main/elastigroups/" + id, null).status()).isEqualTo(404);
            assertThat(call(beta, "PUT", "/main/elastigroups/" + id, "{\"description\": \"mine\"}").status())
                    .isEqualTo(404);
            assertThat(call(beta, "DELETE", "/main/elastigroups/" + id, null).status()).isEqualTo(404);
        }
        assertThat(requests()).as("beta only read").allSatisfy(r -> assertThat(r.path("method").asText()).isEqualTo("GET"));

        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).containsExactlyInAnyOrder(a, b);
        for (String id : List.of(a, b)) {
            assertThat(call(alpha, "GET", "/main/elastigroups/" + id, null).status()).isEqualTo(200);
            assertThat(call(alpha, "PUT", "/main/elastigroups/" + id, "{\"description\": \"ours\"}").status())
                    .isEqualTo(200);
            assertThat(call(alpha, "DELETE", "/main/elastigroups/" + id, null).status()).isEqualTo(200);
        }
        assertThat(stored("group", a)).isNull();
        assertThat(stored("group", b)).isNull();
    }

    @Test
    void orgAdoptReadsTagsOnlyWhereSpotKeepsThem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        ObjectNode claimsAlpha = ApiTestSupport.groupBody(); // untagged, but its config says alpha
        claimsAlpha.set("config", smuggledConfig("alpha"));
        ObjectNode claimsBeta = ApiTestSupport.groupBody(); // untagged, but its config says beta
        claimsBeta.set("config", smuggledConfig("beta"));
        String a = createUntagged("group", claimsAlpha);
        String b = createUntagged("group", claimsBeta);
        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).as("untagged: invisible").isEmpty();
        java.nio.file.Path file = dir.resolve("config.json");
        java.nio.file.Files.writeString(file, """
                {"listenAddress": "127.0.0.1:0", "token": "%s", "org": "alpha",
                 "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token", "endpoint": "%s"}}}"""
                .formatted(TestService.KEY, TestService.MAIN_ID, sim.baseUrl()));

        String[] dry = adopt("--config", file.toString(), "--account", "main", "--dry-run");

        assertThat(dry[0]).as(dry[1]).isEqualTo("0");
        assertThat(dry[1]).contains("2 resource(s) without a spinup:org tag", a, b);

        String[] real = adopt("--config", file.toString(), "--account", "main");

        assertThat(real[0]).as(real[1]).isEqualTo("0");
        assertThat(orgTags(stored("group", a))).containsExactly("alpha");
        assertThat(orgTags(stored("group", b))).containsExactly("alpha");
        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).containsExactlyInAnyOrder(a, b);
        assertThat(ids(call(beta, "GET", "/main/elastigroups", null))).isEmpty();
    }

    // ---- migration ----------------------------------------------------------------------------------

    @Test
    void orgAdoptDryRunListsTheUntaggedAndTheRealRunMakesThemVisible(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws IOException {
        String group = createUntagged("group", ApiTestSupport.groupBody());
        String instance = createUntagged("managedInstance", ApiTestSupport.instanceBody());
        String betas = createGroup(beta, ApiTestSupport.groupBody());
        String alphas = createGroup(alpha, ApiTestSupport.groupBody());
        java.nio.file.Path file = dir.resolve("config.json");
        java.nio.file.Files.writeString(file, """
                {"listenAddress": "127.0.0.1:0", "token": "%s", "org": "alpha",
                 "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token", "endpoint": "%s"}}}"""
                .formatted(TestService.KEY, TestService.MAIN_ID, sim.baseUrl()));
        clearRequests();

        String[] dry = adopt("--config", file.toString(), "--account", "main", "--dry-run");

        assertThat(dry[0]).as(dry[1]).isEqualTo("0");
        assertThat(dry[1]).contains("2 resource(s) without a spinup:org tag", group, instance, "dry run")
                .doesNotContain(betas).doesNotContain(alphas);
        assertThat(requests()).as("a dry run only reads")
                .allSatisfy(r -> assertThat(r.path("method").asText()).isEqualTo("GET"));
        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).containsExactly(alphas);

        String[] real = adopt("--config", file.toString(), "--account", "main");

        assertThat(real[0]).as(real[1]).isEqualTo("0");
        assertThat(real[1]).contains("tagged spinup:org=alpha", group, instance, "2 tagged, 0 failed");
        assertThat(ids(call(alpha, "GET", "/main/elastigroups", null))).containsExactlyInAnyOrder(alphas, group);
        assertThat(ids(call(alpha, "GET", "/main/instances", null))).containsExactly(instance);
        assertThat(call(alpha, "GET", "/main/instances/" + instance, null).status()).isEqualTo(200);
        assertThat(tagKeys(stored("managedInstance", instance))).containsExactly("CreatedBy", "spinup:org");
        assertThat(orgTags(stored("group", betas))).as("another org's group is left alone").containsExactly("beta");
        String[] again = adopt("--config", file.toString(), "--account", "main", "--dry-run");
        assertThat(again[1]).contains("0 resource(s) without a spinup:org tag");
    }

    @Test
    void orgAdoptRefusesAnUnknownAccount(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path file = dir.resolve("config.json");
        java.nio.file.Files.writeString(file, """
                {"token": "%s", "org": "alpha",
                 "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token", "endpoint": "%s"}}}"""
                .formatted(TestService.KEY, TestService.MAIN_ID, sim.baseUrl()));

        String[] r = adopt("--config", file.toString(), "--account", "nope", "--dry-run");

        assertThat(r[0]).isEqualTo("2");
        assertThat(r[2]).contains("no account 'nope'");
    }

    /** Runs the command in-process; answers {exit code, stdout, stderr}. */
    static String[] adopt(String... args) {
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cl = dev.spotapi.cli.Commands.commandLine();
        cl.setOut(new java.io.PrintWriter(out, true));
        cl.setErr(new java.io.PrintWriter(err, true));
        String[] full = new String[args.length + 1];
        full[0] = "org-adopt";
        System.arraycopy(args, 0, full, 1, args.length);
        int exit = cl.execute(full);
        return new String[] {Integer.toString(exit), out.toString(), err.toString()};
    }

    // ---- helpers ----------------------------------------------------------------------------------

    static ArrayNode launchTags(ObjectNode body) {
        ObjectNode spec = (ObjectNode) body.path("compute").path("launchSpecification");
        return spec.has("tags") ? (ArrayNode) spec.get("tags") : spec.putArray("tags");
    }

    static List<String> orgTags(JsonNode resource) {
        List<String> out = new ArrayList<>();
        resource.path("compute").path("launchSpecification").path("tags").forEach(t -> {
            if ("spinup:org".equals(t.path("tagKey").asText())) {
                out.add(t.path("tagValue").asText());
            }
        });
        return out;
    }

    static List<String> tagKeys(JsonNode resource) {
        List<String> out = new ArrayList<>();
        resource.path("compute").path("launchSpecification").path("tags").forEach(t -> out.add(t.path("tagKey").asText()));
        return out;
    }

    static String createGroup(SpotApi api, ObjectNode body) {
        Reply r = call(api, "POST", "/main/elastigroups", body.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("id").asText();
    }

    static String createInstance(SpotApi api, ObjectNode body) {
        Reply r = call(api, "POST", "/main/instances", body.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().asText();
    }

    /** Created straight in the simulator, as by a tool that knows nothing of orgs. */
    static String createUntagged(String kind, ObjectNode body) {
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set(kind, body);
        Reply r = sim("POST", "/aws/ec2/" + kind + "?accountId=" + TestService.MAIN_ID, wrapped.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0).path("id").asText();
    }

    static JsonNode stored(String kind, String id) {
        Reply r = sim("GET", "/aws/ec2/" + kind + "/" + id + "?accountId=" + TestService.MAIN_ID, null);
        return r.status() == 200 ? r.json().path("response").path("items").path(0) : null;
    }

    static List<String> ids(Reply r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().forEach(e -> out.add(e.isTextual() ? e.asText() : e.path("id").asText()));
        return out;
    }

    static List<JsonNode> requests() {
        List<JsonNode> out = new ArrayList<>();
        sim("GET", "/_sim/requests?limit=1000", null).json().path("requests").forEach(out::add);
        return out;
    }

    static void clearRequests() {
        assertThat(sim("DELETE", "/_sim/requests", null).status()).isEqualTo(200);
    }

    static String withoutRequestId(Reply r) {
        return r.body().replaceAll("\"requestId\":\"[^\"]*\"", "");
    }

    static double metric(SpotApi api, String name, String labels) {
        String text = send("http://127.0.0.1:" + api.port() + "/v1/spot/metrics", "GET", null, Map.of()).body();
        return text.lines().filter(l -> l.startsWith(name + "{") && l.contains(labels))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    static Reply call(SpotApi api, String method, String path, String body) {
        return send("http://127.0.0.1:" + api.port() + "/v1/spot" + path, method, body,
                Map.of("X-Auth-Token", TestService.TOKEN));
    }

    static Reply sim(String method, String path, String body) {
        return send(sim.baseUrl() + path, method, body, Map.of("Authorization", "Bearer main-spot-token"));
    }

    static Reply send(String url, String method, String body, Map<String, String> headers) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            headers.forEach(b::header);
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().map());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
