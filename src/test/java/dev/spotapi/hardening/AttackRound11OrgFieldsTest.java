package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 11, org isolation through caller-supplied fields: body fields, query parameters, path ids and
 * headers of this org's requests that could make spot-api act on, reveal or hand over a resource of another org
 * ({@code spinup:org=otherorg}, created in Spot directly) or of none in the same Spot account.
 */
class AttackRound11OrgFieldsTest extends HarnessPerClass {

    private static final String THEIR_ORG = "otherorg";

    /** A group of another org, created in Spot directly; its id. */
    private String theirGroup() {
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("group", Harness.tagged(Harness.groupBody(Harness.uniqueName("theirs")), "spinup:org", THEIR_ORG));
        Reply created = h.svc.sim("POST", Harness.GROUPS + "?accountId=" + Harness.MAIN_ID, wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("response").path("items").path(0).path("id").asText();
    }

    /** A managed instance of another org (optionally of a space), created in Spot directly; its id. */
    private String theirInstance(String space) {
        ObjectNode body = Harness.tagged(Harness.instanceBody(Harness.uniqueName("theirs")), "spinup:org", THEIR_ORG);
        if (space != null) {
            Harness.tagged(body, "spinup:spaceid", space);
        }
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("managedInstance", body);
        Reply created = h.svc.sim("POST", Harness.INSTANCES + "?accountId=" + Harness.MAIN_ID, wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("response").path("items").path(0).path("id").asText();
    }

    private static String tag(JsonNode object, String key) {
        return object == null ? null : dev.spotapi.org.Ownership.tag(object, key);
    }

    /** Every Spot request that is not a read and names {@code id} in its path or body. */
    private List<JsonNode> writesNaming(String id) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode r : h.spotRequests()) {
            if (!"GET".equals(r.path("method").asText()) && r.toString().contains(id)) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * The bulk power route names ids in its body: another org's instance among this org's is answered
     * {@code not_found} and never reaches a writing Spot call; its state stays ACTIVE.
     */
    @Test
    void bulkPowerNeverActsOnAnotherOrgsInstanceNamedInTheBody() {
        String ours = h.createInstance();
        String theirs = theirInstance(null);
        h.clearRequestLog();
        Reply r = h.call("PUT", "/main/instances-power",
                "{\"state\":\"stop\",\"instances\":[\"" + theirs + "\",\"" + ours + "\"]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("instances").path(0).path("result").asText()).as(r.body()).isEqualTo("not_found");
        assertThat(r.json().path("instances").path(1).path("result").asText()).as(r.body()).isEqualTo("accepted");
        assertThat(writesNaming(theirs)).as("writes naming their instance").isEmpty();
    }

    /**
     * The path id wins over a body {@code id} naming another org's object: an update of this org's instance and
     * group whose body says {@code "id": <theirs>} changes only ours; theirs keeps its name.
     */
    @Test
    void aBodyIdNamingAnotherOrgsObjectIsIgnoredByUpdates() {
        String ours = h.createInstance();
        String theirs = theirInstance(null);
        String theirName = h.stored(Harness.INSTANCES, theirs).path("name").asText();
        Reply r = h.call("PUT", "/main/instances/" + ours, "{\"id\":\"" + theirs + "\",\"name\":\"renamed-by-body-id\"}");
        assertThat(r.status()).as(r.body()).isIn(200, 400);
        assertThat(h.stored(Harness.INSTANCES, theirs).path("name").asText()).isEqualTo(theirName);
        assertThat(tag(h.stored(Harness.INSTANCES, theirs), "spinup:org")).isEqualTo(THEIR_ORG);

        String ourGroup = h.createGroup();
        String theirGroup = theirGroup();
        String theirGroupName = h.stored(Harness.GROUPS, theirGroup).path("name").asText();
        Reply g = h.call("PUT", "/main/elastigroups/" + ourGroup, "{\"id\":\"" + theirGroup + "\",\"name\":\"renamed\"}");
        assertThat(g.status()).as(g.body()).isIn(200, 400);
        assertThat(h.stored(Harness.GROUPS, theirGroup).path("name").asText()).isEqualTo(theirGroupName);
    }

    /**
     * The expiry service's {@code /{account}/{resource}/tags} and the kind routes, with another org's id in odd
     * forms (upper case, percent-encoded characters, a trailing slash): never a 2xx, never a write naming it, and
     * its tags unchanged.
     */
    @Test
    void theTagRoutesNeverWriteAnotherOrgsObjectWhateverFormItsIdTakes() {
        String theirs = theirInstance(null);
        String theirGroup = theirGroup();
        h.clearRequestLog();
        List<String> paths = new ArrayList<>();
        for (String id : List.of(theirs, theirGroup)) {
            String kind = id.startsWith("smi-") ? "instances" : "elastigroups";
            String upper = id.substring(0, 4).toUpperCase() + id.substring(4);
            String encoded = id.substring(0, 3) + "%2D" + id.substring(4);
            for (String form : List.of(id, upper, encoded, id + "%20", "%20" + id)) {
                paths.add("/main/" + form + "/tags");
                paths.add("/main/" + kind + "/" + form + "/tags");
            }
        }
        for (String p : paths) {
            Reply r = Harness.unchecked(h.port(), "PUT", p, "{\"tags\":{\"owner\":\"mallory\"}}", Harness.withToken());
            assertThat(r.status()).as("PUT %s: %s", p, r.body()).isGreaterThanOrEqualTo(400);
        }
        assertThat(writesNaming(theirs)).isEmpty();
        assertThat(writesNaming(theirGroup)).isEmpty();
        assertThat(tag(h.stored(Harness.INSTANCES, theirs), "owner")).isNull();
    }

    /**
     * Reads of another org's object with conditional headers ({@code If-None-Match: *}, {@code If-Match: *},
     * {@code If-Modified-Since}) and as HEAD: the same 404 as for a missing id, nothing of the object shown (a 304
     * or 412 would tell that it exists).
     */
    @Test
    void conditionalReadsOfAnotherOrgsObjectAnswerAsForAMissingOne() {
        String theirs = theirInstance(null);
        String missing = "smi-0000aaaa";
        for (Map<String, String> headers : List.of(Harness.withToken("If-None-Match", "*"),
                Harness.withToken("If-Match", "*"), Harness.withToken("If-Modified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"),
                Harness.withToken("If-Match", "\"x\""))) {
            for (String method : List.of("GET", "HEAD")) {
                for (String suffix : List.of("", "/tags", "/status")) {
                    Reply a = Harness.unchecked(h.port(), method, "/main/instances/" + theirs + suffix, null, headers);
                    Reply b = Harness.unchecked(h.port(), method, "/main/instances/" + missing + suffix, null, headers);
                    assertThat(a.status()).as("%s %s %s: %s", method, suffix, headers.keySet(), a.body()).isEqualTo(404);
                    assertThat(b.status()).isEqualTo(404);
                    assertThat(a.body()).doesNotContain(THEIR_ORG);
                }
            }
        }
        // and the conditional writes: 404, as for a missing id, never 412
        for (Map<String, String> headers : List.of(Harness.withToken("If-None-Match", "*"),
                Harness.withToken("If-Match", "\"x\""),
                Harness.withToken("If-Unmodified-Since", "Sat, 01 Jan 2000 00:00:00 GMT"))) {
            for (String p : List.of("/main/instances/" + theirs + "/tags", "/main/" + theirs + "/tags")) {
                Reply a = Harness.unchecked(h.port(), "PUT", p, "{\"tags\":{\"a\":\"b\"}}", headers);
                Reply b = Harness.unchecked(h.port(), "PUT", p.replace(theirs, missing), "{\"tags\":{\"a\":\"b\"}}", headers);
                assertThat(a.status()).as("PUT %s %s: %s (missing id: %d)", p, headers.keySet(), a.body(), b.status())
                        .isEqualTo(b.status());
            }
        }
    }

    /**
     * An update of this org's group or instance whose {@code compute.launchSpecification.tags} is not an array (an
     * object, a string): {@code Ownership#forUpdate} lets it through as "Spot's to refuse". Whatever Spot does with
     * it, the object must stay this org's (listed, readable, its {@code spinup:org} tag kept): a resource that loses
     * its org tag belongs to no org, leaves this org's lists and is handed to whichever org's {@code org-adopt}
     * claims it next.
     */
    @Test
    void anUpdateWithTagsThatAreNotAnArrayNeverDropsTheOrgTag() {
        String group = h.createGroup();
        String instance = h.createInstance();
        List<String> bodies = List.of(
                "{\"compute\":{\"launchSpecification\":{\"tags\":{\"tagKey\":\"spinup:org\",\"tagValue\":\"" + THEIR_ORG + "\"}}}}",
                "{\"compute\":{\"launchSpecification\":{\"tags\":{}}}}",
                "{\"compute\":{\"launchSpecification\":{\"tags\":\"spinup:org=" + THEIR_ORG + "\"}}}");
        for (String body : bodies) {
            Reply g = h.call("PUT", "/main/elastigroups/" + group, TestService.json(body));
            Reply i = h.call("PUT", "/main/instances/" + instance, TestService.json(body));
            assertThat(tag(h.stored(Harness.GROUPS, group), "spinup:org"))
                    .as("group's org after %s (answer %d %s); stored tags %s", body, g.status(), g.body(),
                            h.stored(Harness.GROUPS, group).path("compute").path("launchSpecification").path("tags"))
                    .isEqualTo(TestService.ORG);
            assertThat(tag(h.stored(Harness.INSTANCES, instance), "spinup:org"))
                    .as("instance's org after %s (answer %d %s); stored tags %s", body, i.status(), i.body(),
                            h.stored(Harness.INSTANCES, instance).path("compute").path("launchSpecification").path("tags"))
                    .isEqualTo(TestService.ORG);
        }
        assertThat(h.get("/main/elastigroups/" + group).status()).isEqualTo(200);
        assertThat(h.get("/main/instances/" + instance).status()).isEqualTo(200);
    }

    /**
     * The same on creates: {@code Ownership#forCreate} passes a body whose {@code compute.launchSpecification.tags} is
     * not an array unchanged ("Spot refuses the create"), then the correlation tag ({@code spot.Correlation#tag})
     * replaces that non-array with an array holding only {@code spot-api:correlation}: Spot creates the group or
     * instance without {@code spinup:org}. The 200 names an object the creating org can then neither read nor list
     * (404), which belongs to no org (any org's {@code org-adopt} takes it). Right: refused (400), or created as this
     * org's.
     */
    @Test
    void aCreateWithTagsThatAreNotAnArrayIsNeverCreatedWithoutTheOrgTag() {
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (String tags : List.of("{\"tagKey\":\"spinup:org\",\"tagValue\":\"" + THEIR_ORG + "\"}", "{}", "\"x\"", "7")) {
            JsonNode value = TestService.json("{\"t\":" + tags + "}").get("t");
            ObjectNode g = Harness.groupBody(Harness.uniqueName("g-tags"));
            ((ObjectNode) g.path("compute").path("launchSpecification")).set("tags", value);
            Reply rg = h.call("POST", "/main/elastigroups", g);
            soft.assertThat(rg.status()).as("group create with tags %s: %s", tags, rg.body()).isIn(200, 400);
            if (rg.status() == 200) {
                String id = rg.json().path("id").asText();
                JsonNode stored = h.stored(Harness.GROUPS, id);
                soft.assertThat(tag(stored, "spinup:org")).as("group created with tags %s: stored %s", tags,
                        stored.path("compute").path("launchSpecification").path("tags")).isEqualTo(TestService.ORG);
                soft.assertThat(h.get("/main/elastigroups/" + id).status()).as("creator reads group made with tags %s", tags)
                        .isEqualTo(200);
            }
            ObjectNode i = Harness.instanceBody(Harness.uniqueName("i-tags"));
            ((ObjectNode) i.path("compute").path("launchSpecification")).set("tags", value);
            Reply ri = h.call("POST", "/main/instances", i);
            soft.assertThat(ri.status()).as("instance create with tags %s: %s", tags, ri.body()).isIn(200, 400);
            if (ri.status() == 200) {
                String id = ri.json().asText();
                JsonNode stored = h.stored(Harness.INSTANCES, id);
                soft.assertThat(tag(stored, "spinup:org")).as("instance created with tags %s: stored %s", tags,
                        stored.path("compute").path("launchSpecification").path("tags")).isEqualTo(TestService.ORG);
                soft.assertThat(h.get("/main/instances/" + id).status()).as("creator reads instance made with tags %s", tags)
                        .isEqualTo(200);
            }
        }
        soft.assertAll();
    }

    /**
     * A create whose {@code compute} or {@code compute.launchSpecification} is not an object (an array, a string):
     * {@code Ownership#forCreate} leaves it to Spot, the correlation tag then replaces it with an object of its own.
     * Refused or created as this org's; never created without the org tag.
     */
    @Test
    void aCreateWithALaunchSpecificationThatIsNotAnObjectIsNeverCreatedWithoutTheOrgTag() {
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (String value : List.of("[]", "\"x\"", "[{\"imageId\":\"ami-0123\"}]")) {
            JsonNode v = TestService.json("{\"t\":" + value + "}").get("t");
            ObjectNode g = Harness.groupBody(Harness.uniqueName("g-ls"));
            ((ObjectNode) g.path("compute")).set("launchSpecification", v);
            ObjectNode i = Harness.instanceBody(Harness.uniqueName("i-ls"));
            ((ObjectNode) i.path("compute")).set("launchSpecification", v);
            ObjectNode ic = Harness.instanceBody(Harness.uniqueName("i-c"));
            ic.set("compute", v);
            for (Object[] c : List.of(new Object[] {"/main/elastigroups", g, Harness.GROUPS},
                    new Object[] {"/main/instances", i, Harness.INSTANCES}, new Object[] {"/main/instances", ic, Harness.INSTANCES})) {
                Reply r = h.call("POST", (String) c[0], c[1]);
                soft.assertThat(r.status()).as("create %s with %s: %s", c[0], value, r.body()).isIn(200, 400);
                if (r.status() == 200) {
                    String id = r.json().isTextual() ? r.json().asText() : r.json().path("id").asText();
                    soft.assertThat(tag(h.stored((String) c[2], id), "spinup:org")).as("org of %s created with %s", id, value)
                            .isEqualTo(TestService.ORG);
                }
            }
        }
        soft.assertAll();
    }

    /**
     * An update replacing {@code compute} or {@code compute.launchSpecification} with a non-object (a string, an
     * array): {@code Ownership#forUpdate} and {@code ServerTags} look for tags only inside objects and pass it on as
     * "Spot's to refuse". Whatever Spot does, the object must stay this org's: an update that Spot merges as a scalar
     * replacing the object drops {@code spinup:org} with it (the object then belongs to no org).
     */
    @Test
    void anUpdateReplacingComputeOrItsLaunchSpecificationNeverDropsTheOrgTag() {
        org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
        for (String body : List.of("{\"compute\":{\"launchSpecification\":\"x\"}}",
                "{\"compute\":{\"launchSpecification\":[]}}", "{\"compute\":\"x\"}", "{\"compute\":[]}")) {
            String group = h.createGroup();
            String instance = h.createInstance();
            Reply g = h.call("PUT", "/main/elastigroups/" + group, TestService.json(body));
            Reply i = h.call("PUT", "/main/instances/" + instance, TestService.json(body));
            JsonNode sg = h.stored(Harness.GROUPS, group);
            JsonNode si = h.stored(Harness.INSTANCES, instance);
            soft.assertThat(tag(sg, "spinup:org")).as("group's org after %s (answer %d %s): %s", body, g.status(),
                    g.body(), sg == null ? null : sg.path("compute")).isEqualTo(TestService.ORG);
            soft.assertThat(tag(si, "spinup:org")).as("instance's org after %s (answer %d %s): %s", body, i.status(),
                    i.body(), si == null ? null : si.path("compute")).isEqualTo(TestService.ORG);
        }
        soft.assertAll();
    }

    /**
     * Variants of the org tag in a create or update (upper case key, a trailing space, a tag object whose key
     * comes as a unicode escape, the org tag twice): the object stays this org's and only this org's: the first
     * {@code spinup:org} Spot keeps is ours, and no look-alike key that another reader could take for the org tag
     * names another org.
     */
    @Test
    void lookAlikeOrgTagsInABodyNeverNameAnotherOrg() {
        ObjectNode body = Harness.instanceBody(Harness.uniqueName("mi-alike"));
        Harness.tagged(body, "spinup:org", THEIR_ORG);
        Reply created = h.call("POST", "/main/instances", body);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().asText();
        String raw = "{\"compute\":{\"launchSpecification\":{\"tags\":[{\"tagKey\":\"spinup\\u003aorg\",\"tagValue\":\""
                + THEIR_ORG + "\"},{\"tagKey\":\"spinup:org\",\"tagValue\":\"" + THEIR_ORG + "\"}]}}}";
        Reply up = Harness.unchecked(h.port(), "PUT", "/main/instances/" + id, raw, Harness.withToken());
        assertThat(up.status()).as(up.body()).isIn(200, 400);
        JsonNode stored = h.stored(Harness.INSTANCES, id);
        int orgTags = 0;
        for (JsonNode t : stored.path("compute").path("launchSpecification").path("tags")) {
            if ("spinup:org".equals(t.path("tagKey").asText())) {
                orgTags++;
                assertThat(t.path("tagValue").asText()).as("%s", stored).isEqualTo(TestService.ORG);
            }
        }
        assertThat(orgTags).as("%s", stored).isEqualTo(1);
        assertThat(h.get("/main/instances/" + id).status()).isEqualTo(200);
    }

    /**
     * The cost roll-up's {@code ?space=} is a caller-supplied filter: another org's instance in the same space id
     * (a space id is the portal's, and two orgs' portals may reuse one) is never counted or named in this org's
     * roll-up of that space.
     */
    @Test
    void theCostRollUpOfASpaceNeverCountsAnotherOrgsResourceOfThatSpace() {
        String space = "space-" + System.nanoTime();
        String theirs = theirInstance(space);
        ObjectNode body = Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi-sp")), "spinup:spaceid", space);
        Reply created = h.call("POST", "/main/instances", body);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        Reply r = h.get("/main/costs?start=" + today.minusDays(2) + "&end=" + today.plusDays(2) + "&space=" + space
                + "&groupBy=resource");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).as("roll-up of the space").doesNotContain(theirs);
        assertThat(r.header("X-Cost-Missing")).as("missing ids").satisfiesAnyOf(
                m -> assertThat(m).isNull(), m -> assertThat(m).doesNotContain(theirs));
        Reply list = h.get("/main/instances?space=" + space);
        assertThat(list.body()).doesNotContain(theirs);
    }

    /**
     * Every per-resource route of openapi.json (each template with {@code {elastigroup}}, {@code {instance}} or
     * {@code {resource}}, each of its methods) with another org's group or instance as the path id and a body of
     * its fields' usual shapes: never a 2xx, nothing of the object (its name) in the answer, and no Spot write
     * naming it.
     */
    @Test
    void everyPerResourceRouteRefusesAnotherOrgsIdsWithoutWritingOrRevealing() {
        String theirs = theirInstance(null);
        String theirGroup = theirGroup();
        String instanceName = h.stored(Harness.INSTANCES, theirs).path("name").asText();
        String groupName = h.stored(Harness.GROUPS, theirGroup).path("name").asText();
        JsonNode paths = h.get("/openapi.json").json().path("paths");
        h.clearRequestLog();
        List<String> seen = new ArrayList<>();
        paths.fieldNames().forEachRemaining(template -> {
            boolean group = template.contains("{elastigroup}");
            boolean instance = template.contains("{instance}");
            boolean any = template.contains("{resource}");
            if (!group && !instance && !any) {
                return;
            }
            List<String> ids = any ? List.of(theirs, theirGroup) : List.of(group ? theirGroup : theirs);
            for (String id : ids) {
                String path = template.replace("{account}", "main").replace("{elastigroup}", id)
                        .replace("{instance}", id).replace("{resource}", id).replace("{ssi}", "ssi-1234abcd")
                        .replace("{rollId}", "sbgd-1234abcd").replace("{volume}", "vol-1234abcd")
                        .replace("{process}", "AUTO_HEALING").replaceAll("\\{[^}]+\\}", "x-1");
                paths.path(template).fieldNames().forEachRemaining(method -> {
                    String m = method.toUpperCase();
                    if (!List.of("GET", "PUT", "POST", "DELETE", "PATCH").contains(m)) {
                        return;
                    }
                    String body = m.equals("GET") || m.equals("DELETE") ? null : bodyFor(path);
                    Reply r = Harness.unchecked(h.port(), m, path, body, Harness.withToken());
                    seen.add(m + " " + path + " -> " + r.status());
                    assertThat(r.status()).as("%s %s: %s", m, path, r.body()).isGreaterThanOrEqualTo(400);
                    assertThat(r.body()).as("%s %s", m, path).doesNotContain(instanceName).doesNotContain(groupName);
                });
            }
        });
        assertThat(seen).as("routes tried").hasSizeGreaterThan(20);
        assertThat(writesNaming(theirs)).as("writes naming their instance after %s", seen).isEmpty();
        assertThat(writesNaming(theirGroup)).as("writes naming their group after %s", seen).isEmpty();
        assertThat(tag(h.stored(Harness.INSTANCES, theirs), "spinup:org")).isEqualTo(THEIR_ORG);
        assertThat(h.stored(Harness.GROUPS, theirGroup).path("capacity").path("target").asInt()).isEqualTo(2);
    }

    private static String bodyFor(String path) {
        if (path.endsWith("/power")) {
            return "{\"state\":\"stop\"}";
        }
        if (path.endsWith("/capacity")) {
            return "{\"target\":3}";
        }
        if (path.endsWith("/scale")) {
            return "{\"direction\":\"up\",\"adjustment\":1}";
        }
        if (path.endsWith("/tags")) {
            return "{\"tags\":{\"team\":\"mallory\"}}";
        }
        if (path.endsWith("/detach")) {
            return "{\"instancesToDetach\":[\"i-1234abcd\"],\"shouldDecrementTargetCapacity\":true}";
        }
        if (path.endsWith("/suspensions")) {
            return "{\"suspensions\":[{\"name\":\"AUTO_HEALING\",\"ttlInMinutes\":60}]}";
        }
        if (path.endsWith("/rolls")) {
            return "{\"batchSizePercentage\":50}";
        }
        if (path.contains("/rolls/")) {
            return "{\"status\":\"STOPPED\"}";
        }
        return "{\"name\":\"mallory\"}";
    }
}
