package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.SpotApi;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TwoOrgs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Attack round 22 (helper "orgs", report only): org isolation promises that another org's resource answers
 * "exactly what an id that does not exist answers" (docs/api.md, Org isolation). The answer is the same, but the
 * deployment's /metrics (no token needed) tells them apart: {@code spotapi_org_refused_total} counts only refusals
 * of existing foreign objects, and {@code spotapi_spot_calls_seconds_count{operation="get managed instance"}}
 * counts the org check's read as {@code outcome="ok"} for a foreign id and {@code outcome="not_found"} for a missing
 * one. Whoever can read /metrics of beta's deployment (the portal's services, Prometheus, anyone inside the cluster)
 * learns, for any id beta's caller probes, whether it exists in another org. Fails now; passes once a foreign or
 * untagged object leaves the same metric trace as a missing one.
 */
class AttackRound22OrgsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    @RegisterExtension
    static final TwoOrgs ORGS = new TwoOrgs();

    private static HttpResponse<String> call(SpotApi api, String method, String path, String body, boolean token)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/v1/spot" + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token) {
            b.header("X-Auth-Token", TestService.TOKEN);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The org-refusal counters and the managed-instance read counters of /metrics, read without a token. */
    private static Map<String, Double> counters(SpotApi api) throws IOException, InterruptedException {
        HttpResponse<String> r = call(api, "GET", "/metrics", null, false);
        assertThat(r.statusCode()).as("/metrics without a token").isEqualTo(200);
        Map<String, Double> out = new TreeMap<>();
        for (String line : r.body().split("\n")) {
            if (line.startsWith("spotapi_org_refused_total{")
                    || (line.startsWith("spotapi_spot_calls_seconds_count{")
                    && line.contains("operation=\"get managed instance\""))) {
                int space = line.lastIndexOf(' ');
                out.put(line.substring(0, space), Double.parseDouble(line.substring(space + 1)));
            }
        }
        return out;
    }

    private static Map<String, Double> delta(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> d = new TreeMap<>();
        after.forEach((k, v) -> {
            double diff = v - before.getOrDefault(k, 0.0);
            if (diff != 0) {
                d.put(k, diff);
            }
        });
        return d;
    }

    @Test
    void publicMetricsDoNotTellAnotherOrgsInstanceFromAMissingOne() throws Exception {
        sameTraceForAForeignAndAMissingId("/main/instances/");
    }

    /**
     * The same through the route whose id may name either kind (the expiry service's {@code /{account}/{resource}/tags}),
     * whose handler reads the object itself: its read of another org's object counts as not found too.
     */
    @Test
    void publicMetricsDoNotTellAnotherOrgsInstanceFromAMissingOneOnTheAnyResourceTagRoute() throws Exception {
        sameTraceForAForeignAndAMissingId("/main/ID/tags");
    }

    /** {@code GET path} (the id appended, or in place of {@code ID}) for a missing id, then for alpha's instance. */
    private static void sameTraceForAForeignAndAMissingId(String path) throws Exception {
        HttpResponse<String> created = call(ORGS.alpha(), "POST", "/main/instances",
                TestService.JSON.writeValueAsString(ApiTestSupport.instanceBody()), true);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        String foreign = TestService.JSON.readTree(created.body()).asText();
        String missing = "smi-0000beef";
        java.util.function.Function<String, String> at = id -> path.contains("ID") ? path.replace("ID", id) : path + id;

        Map<String, Double> m0 = counters(ORGS.beta());
        HttpResponse<String> a = call(ORGS.beta(), "GET", at.apply(missing), null, true);
        Map<String, Double> m1 = counters(ORGS.beta());
        HttpResponse<String> b = call(ORGS.beta(), "GET", at.apply(foreign), null, true);
        Map<String, Double> m2 = counters(ORGS.beta());

        // the answers themselves hold (same status, same words but the id)
        assertThat(a.statusCode()).isEqualTo(404);
        assertThat(b.statusCode()).isEqualTo(404);
        assertThat(b.body().replace(foreign, "ID").replaceAll("\"requestId\":\"[^\"]*\"", ""))
                .isEqualTo(a.body().replace(missing, "ID").replaceAll("\"requestId\":\"[^\"]*\"", ""));
        // the public metrics must not differ either
        assertThat(delta(m1, m2)).as("metric trace of another org's instance (vs a missing one)")
                .isEqualTo(delta(m0, m1));
    }

    private static String simPost(String path, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(ORGS.sim().baseUrl() + path))
                .header("Authorization", "Bearer main-spot-token")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }

    /**
     * An import whose tag write failed (beta's answer: 502 "untagged: it belongs to no org until an operator runs
     * org-adopt for it") is still named {@code spot-api-import-<token>}, the name beta's keyed retry looks for. Another
     * org's operator running {@code org-adopt} (as the migration section tells every deployment to) takes it: alpha now
     * owns beta's imported server (its disks, its IP) and beta's keyed retry is Spot's 400 "already managed": beta lost
     * it for good. docs/api.md: "resources of other orgs are never touched". Expected: org-adopt leaves instances
     * carrying the in-flight import name alone (an import of some deployment still under way), and beta's retry
     * finds and tags its instance.
     */
    /** A keyed import by beta, with an EC2 instance of its own: {@link #untaggedImport} sends it. */
    private static HttpRequest keyedImport(String key, String name) throws IOException, InterruptedException {
        String ec2 = TestService.JSON.readTree(simPost("/_sim/ec2Instances",
                "{\"accountId\":\"" + TestService.MAIN_ID + "\",\"region\":\"us-east-1\"}")).path("id").asText();
        String body = "{\"originalInstanceId\":\"" + ec2 + "\",\"region\":\"us-east-1\",\"name\":\"" + name + "\"}";
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ORGS.beta().port() + "/v1/spot/main/imports"))
                .header("X-Auth-Token", TestService.TOKEN).header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Sends {@code keyed} while every tag write fails (3 attempts): 502, the import left untagged; its instance id. */
    private static String untaggedImport(HttpRequest keyed) throws IOException, InterruptedException {
        simPost("/_sim/faults", "{\"method\":\"PUT\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"status\","
                + "\"status\":500,\"probability\":1.0,\"count\":3}");
        HttpResponse<String> first = HTTP.send(keyed, HttpResponse.BodyHandlers.ofString());
        HTTP.send(HttpRequest.newBuilder(URI.create(ORGS.sim().baseUrl() + "/_sim/faults")).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(first.statusCode()).as(first.body()).isEqualTo(502);
        java.util.regex.Matcher named = java.util.regex.Pattern.compile("managed instance '(smi-[0-9a-f]+)'").matcher(first.body());
        assertThat(named.find()).as("the 502 names the instance: %s", first.body()).isTrue();
        return named.group(1);
    }

    /** {@code spot-api org-adopt} of account main by a deployment of {@code org} (a config file in {@code dir}). */
    private static String[] orgAdopt(java.nio.file.Path dir, String org) throws IOException {
        java.nio.file.Path file = dir.resolve(org + ".json");
        java.nio.file.Files.writeString(file, """
                {"listenAddress": "127.0.0.1:0", "token": "%s", "org": "%s",
                 "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token", "endpoint": "%s"}}}"""
                .formatted(TestService.KEY, org, TestService.MAIN_ID, ORGS.sim().baseUrl()));
        return OrgIsolationTest.adopt("--config", file.toString(), "--account", "main");
    }

    /**
     * An import whose tag write failed (beta's answer: 502 "untagged: it belongs to no org until an operator runs
     * org-adopt for it") is still named as in flight, the name beta's keyed retry looks for. Another org's operator
     * running {@code org-adopt} (as the migration section tells every deployment to) took it: alpha then owned beta's
     * imported server (its disks, its IP) and beta's keyed retry was Spot's 400 "already managed": beta lost it for
     * good. docs/api.md: "resources of other orgs are never touched". Expected: org-adopt leaves another deployment's
     * in-flight import alone, and beta's retry finds and tags its instance.
     */
    @Test
    void anotherOrgsOrgAdoptDoesNotTakeAnImportLeftUntagged(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        HttpRequest keyed = keyedImport("beta-import-1", "beta-server");
        untaggedImport(keyed);

        String[] adopted = orgAdopt(dir, "alpha");

        HttpResponse<String> retry = HTTP.send(keyed, HttpResponse.BodyHandlers.ofString());
        assertThat(retry.statusCode()).as("beta's keyed retry after alpha's org-adopt (out: %s): %s", adopted[1],
                retry.body()).isEqualTo(200);
        assertThat(adopted[1]).as("alpha's org-adopt lists beta's import as left alone")
                .contains("left alone (the in-flight name of another deployment's import)");
        assertThat(adopted[0]).as("exit code: nothing failed").isEqualTo("0");
    }

    /**
     * The same import left untagged, adopted by its own deployment's {@code org-adopt} (which tags it, keeping the
     * in-flight name): the keyed retry still finds it (it carries this org's tag, not another's) and gives it the
     * caller's name, answering 200 with the same managed instance.
     */
    @Test
    void theOwnOrgsOrgAdoptLeavesAnImportForItsKeyedRetryToName(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        HttpRequest keyed = keyedImport("beta-import-own", "beta-own");
        String id = untaggedImport(keyed);

        String[] adopted = orgAdopt(dir, "beta");
        assertThat(adopted[1]).as("beta's own org-adopt tags its import").contains("tagged spinup:org=beta: managed instance " + id);

        HttpResponse<String> retry = HTTP.send(keyed, HttpResponse.BodyHandlers.ofString());
        assertThat(retry.statusCode()).as("the keyed retry after the own org-adopt: %s", retry.body()).isEqualTo(200);
        assertThat(TestService.JSON.readTree(retry.body()).path("id").asText()).isEqualTo(id);
        HttpResponse<String> read = call(ORGS.beta(), "GET", "/main/instances/" + id, null, true);
        assertThat(TestService.JSON.readTree(read.body()).path("name").asText()).as(read.body()).isEqualTo("beta-own");
    }
}
