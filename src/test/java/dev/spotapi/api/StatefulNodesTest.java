package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.SpotApi;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 26, black box: import of a running EC2 instance (task to ACTIVE, org tag, refusals), import
 * status, bulk power (per-id answers, only this org's ids reach Spot, Spot's all-or-nothing refusal
 * answered per id), and deletion of a managed instance's volume. Two deployments of different orgs
 * ({@code alpha}, {@code beta}) over one simulator account; simulated time is advanced through
 * {@code /_sim/clock/advance}.
 */
class StatefulNodesTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ACCOUNT = "?accountId=" + TestService.MAIN_ID;
    private static SpotSimulator sim;
    private static SpotApi alpha;
    private static SpotApi beta;

    @BeforeAll
    static void start() {
        sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start();
        alpha = SpotApi.start(TestService.config(sim.baseUrl(), TestService.fastSettings()).withOrg("alpha"));
        beta = SpotApi.start(TestService.config(sim.baseUrl(), TestService.fastSettings()).withOrg("beta"));
    }

    @AfterAll
    static void stop() {
        TestService.closeAll(alpha, beta, sim);
    }

    record Reply(int status, String body, HttpResponse<String> raw) {
        JsonNode json() {
            try {
                return TestService.JSON.readTree(body);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    private static Reply call(SpotApi api, String method, String path, Object body, String... headers) {
        String url = "http://127.0.0.1:" + api.port() + "/v1/spot" + path;
        try {
            byte[] bytes = body == null ? null : body instanceof String s ? s.getBytes(java.nio.charset.StandardCharsets.UTF_8)
                    : TestService.JSON.writeValueAsBytes(body);
            HttpRequest.BodyPublisher publisher = bytes == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(bytes);
            Map<String, String> sent = new java.util.LinkedHashMap<>();
            sent.put("X-Auth-Token", TestService.TOKEN);
            for (int i = 0; i < headers.length; i += 2) {
                sent.put(headers[i], headers[i + 1]);
            }
            URI uri = URI.create(url);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).method(method, publisher);
            sent.forEach(b::header);
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            // every reply is held to openapi.json
            dev.spotapi.support.OpenApiContract.get().check(method, uri, sent, bytes, r.statusCode(), r.headers().map(),
                    r.body());
            return new Reply(r.statusCode(), r.body(), r);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Reply expect(SpotApi api, String method, String path, Object body, int status, String... headers) {
        Reply r = call(api, method, path, body, headers);
        assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
        return r;
    }

    private static JsonNode sim(String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                    .header("Authorization", "Bearer main-spot-token").header("Content-Type", "application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return r.body().isEmpty() ? TestService.JSON.nullNode() : TestService.JSON.readTree(r.body());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String ec2Instance(String volumes) {
        return sim("POST", "/_sim/ec2Instances", "{\"region\":\"us-east-1\",\"privateIp\":\"10.1.2.3\",\"volumes\":"
                + volumes + "}").path("id").asText();
    }

    private static void advance(int seconds) {
        sim("POST", "/_sim/clock/advance", "{\"seconds\":" + seconds + "}");
    }

    private static JsonNode mi(String id) {
        return sim("GET", "/aws/ec2/managedInstance/" + id + ACCOUNT, null).path("response").path("items").path(0);
    }

    private static String status(String id) {
        return sim("GET", "/aws/ec2/managedInstance/" + id + "/status" + ACCOUNT, null)
                .path("response").path("items").path(0).path("status").asText();
    }

    private static List<JsonNode> writesToSpot() {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode r : sim("GET", "/_sim/requests?limit=1000", null).path("requests")) {
            if (!r.path("method").asText().equals("GET")) {
                out.add(r);
            }
        }
        return out;
    }

    /** The task's status once finished (completed or failed), polled for up to 20 s; the last one seen otherwise. */
    private static String taskOutcome(String task) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String status = "";
        while (System.nanoTime() < deadline) {
            status = expect(alpha, "GET", "/flywheel?task=" + task, null, 200).json().path(task).path("status").asText();
            if (status.equals("completed") || status.equals("failed")) {
                return status;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return status;
    }

    private static String createInstance(SpotApi api) {
        return expect(api, "POST", "/main/instances", ApiTestSupport.instanceBody(), 200).json().asText();
    }

    @Test
    void importRunsAsATaskToActiveKeepsTheIpAndTagsTheOrg() throws Exception {
        String ec2 = ec2Instance("[{\"deviceName\":\"/dev/xvda\",\"size\":8}]");
        Reply started = expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", ec2,
                "region", "us-east-1", "keepPrivateIp", true, "terminateOriginal", true, "name", "web-1",
                "space", "space-7"), 202, "Prefer", "respond-async", "Idempotency-Key", "import-" + ec2);
        String task = started.raw().headers().firstValue("X-Flywheel-Task").orElseThrow();
        String id = started.json().path("id").asText();
        String migration = started.json().path("migrationId").asText();
        assertThat(id).startsWith("smi-");
        assertThat(migration).startsWith("smg-");
        assertThat(started.json().path("state").asText()).isEqualTo("MIGRATE_START");

        assertThat(mi(id).path("name").asText()).as("the name asked for, given with the tags").isEqualTo("web-1");
        JsonNode tags = mi(id).path("compute").path("launchSpecification").path("tags");
        assertThat(tags.toString()).contains("\"tagKey\":\"spinup:org\",\"tagValue\":\"alpha\"")
                .contains("\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"space-7\"");
        assertThat(expect(alpha, "GET", "/main/imports/" + migration, null, 200).json().path("state").asText())
                .isEqualTo("MIGRATE_START");
        assertThat(status(id)).isEqualTo("RESUMING");
        // a replay of the keyed request answers the same import and names the same task
        Reply replay = expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", ec2,
                "region", "us-east-1", "keepPrivateIp", true, "terminateOriginal", true, "name", "web-1",
                "space", "space-7"), 202, "Prefer", "respond-async", "Idempotency-Key", "import-" + ec2);
        assertThat(replay.json().path("id").asText()).isEqualTo(id);
        assertThat(replay.raw().headers().firstValue("X-Flywheel-Task")).contains(task);

        advance(120);
        JsonNode done = expect(alpha, "GET", "/main/imports/" + migration, null, 200).json();
        assertThat(done.path("state").asText()).isEqualTo("MIGRATE_FINISH");
        assertThat(done.path("instanceId").asText()).isEqualTo(ec2);
        assertThat(status(id)).isEqualTo("ACTIVE");
        JsonNode summary = expect(alpha, "GET", "/main/instances/" + id + "/status", null, 200).json();
        assertThat(summary.path("privateIp").asText()).isEqualTo("10.1.2.3");
        assertThat(taskOutcome(task)).isEqualTo("completed");
        // the other org cannot see the import, nor the instance
        expect(beta, "GET", "/main/imports/" + migration, null, 404);
        expect(beta, "GET", "/main/instances/" + id, null, 404);
    }

    @Test
    void bulkImportAnswersPerInstanceAndTagsEachNewInstanceWithTheOrg() {
        String first = ec2Instance("[]");
        String second = ec2Instance("[]");
        String managed = ec2Instance("[]");
        expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", managed, "region", "us-east-1"), 200);
        String unknown = "i-0fedcba987654321f";
        Reply reply = expect(alpha, "POST", "/main/bulk-imports", Map.of("instances", List.of(
                Map.of("originalInstanceId", first, "region", "us-east-1", "name", "bulk-1"),
                Map.of("originalInstanceId", managed, "region", "us-east-1"),
                Map.of("originalInstanceId", unknown, "region", "us-east-1"),
                Map.of("originalInstanceId", second, "region", "us-east-1", "space", "space-9"))), 200,
                "Idempotency-Key", "bulk-" + first);
        JsonNode items = reply.json().path("instances");
        assertThat(items).hasSize(4);
        assertThat(items.get(0).path("originalInstanceId").asText()).isEqualTo(first);
        assertThat(items.get(1).path("originalInstanceId").asText()).isEqualTo(managed);
        assertThat(items.get(2).path("originalInstanceId").asText()).isEqualTo(unknown);
        assertThat(items.get(3).path("originalInstanceId").asText()).isEqualTo(second);
        for (JsonNode ok : List.of(items.get(0), items.get(3))) {
            assertThat(ok.path("id").asText()).startsWith("smi-");
            assertThat(ok.path("migrationId").asText()).startsWith("smg-");
            assertThat(ok.path("state").asText()).isEqualTo("MIGRATE_START");
            assertThat(ok.has("error")).isFalse();
            assertThat(mi(ok.path("id").asText()).path("compute").path("launchSpecification").path("tags").toString())
                    .contains("\"tagKey\":\"spinup:org\",\"tagValue\":\"alpha\"");
            expect(alpha, "GET", "/main/instances/" + ok.path("id").asText(), null, 200);
            expect(beta, "GET", "/main/instances/" + ok.path("id").asText(), null, 404);
        }
        assertThat(mi(items.get(3).path("id").asText()).toString())
                .contains("\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"space-9\"");
        assertThat(items.get(1).path("error").path("kind").asText()).isEqualTo("rejected");
        assertThat(items.get(1).path("error").path("message").asText()).contains("already managed");
        assertThat(items.get(2).path("error").path("kind").asText()).isEqualTo("not_found");
        assertThat(items.get(2).path("error").path("message").asText()).contains(unknown);
        assertThat(items.get(1).has("id")).isFalse();
        // a replay of the keyed request answers the same result and imports nothing again
        Reply replay = expect(alpha, "POST", "/main/bulk-imports", Map.of("instances", List.of(
                Map.of("originalInstanceId", first, "region", "us-east-1", "name", "bulk-1"),
                Map.of("originalInstanceId", managed, "region", "us-east-1"),
                Map.of("originalInstanceId", unknown, "region", "us-east-1"),
                Map.of("originalInstanceId", second, "region", "us-east-1", "space", "space-9"))), 200,
                "Idempotency-Key", "bulk-" + first);
        assertThat(replay.json()).isEqualTo(reply.json());
    }

    @Test
    void bulkImportRefusesBadBodiesBeforeSpot() {
        String ec2 = ec2Instance("[]");
        sim("DELETE", "/_sim/requests", null);
        expect(alpha, "POST", "/main/bulk-imports", Map.of("instances", List.of()), 400);
        expect(alpha, "POST", "/main/bulk-imports", "{}", 400);
        expect(alpha, "POST", "/main/bulk-imports", Map.of("instances", List.of(Map.of("originalInstanceId", ec2,
                "region", "us-east-1"), Map.of("originalInstanceId", ec2, "region", "us-east-1"))), 400);
        expect(alpha, "POST", "/main/bulk-imports", Map.of("instances", List.of(Map.of("originalInstanceId", ec2,
                "region", "us-east-1", "keepPrivateIp", true))), 400);
        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 51; i++) {
            many.add(Map.of("originalInstanceId", String.format("i-%017x", i + 1), "region", "us-east-1"));
        }
        expect(alpha, "POST", "/main/bulk-imports", Map.of("instances", many), 400);
        assertThat(writesToSpot()).isEmpty();
    }

    @Test
    void aFailedTagWriteIsRetriedThenAnswered502NamingTheUntaggedInstance() {
        // one failed tag write: the retry tags the instance
        String retried = ec2Instance("[]");
        sim("POST", "/_sim/faults", "{\"method\":\"PUT\",\"path\":\"/aws/ec2/managedInstance/*\","
                + "\"action\":\"status\",\"status\":500,\"count\":1}");
        try {
            Reply ok = expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", retried,
                    "region", "us-east-1"), 200);
            assertThat(mi(ok.json().path("id").asText()).path("compute").path("launchSpecification").path("tags")
                    .toString()).contains("\"tagKey\":\"spinup:org\",\"tagValue\":\"alpha\"");
        } finally {
            sim("DELETE", "/_sim/faults", null);
        }
        // every tag write fails: 502 naming the imported, untagged managed instance
        String lost = ec2Instance("[]");
        sim("POST", "/_sim/faults", "{\"method\":\"PUT\",\"path\":\"/aws/ec2/managedInstance/*\","
                + "\"action\":\"status\",\"status\":500,\"count\":1000}");
        try {
            Reply failed = expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", lost,
                    "region", "us-east-1"), 502);
            String message = failed.json().path("message").asText();
            assertThat(message).contains("untagged").contains("org-adopt").containsPattern("smi-[0-9a-z]+");
            String id = message.replaceAll("(?s).*'(smi-[0-9a-z]+)'.*", "$1");
            assertThat(mi(id).path("compute").path("launchSpecification").path("tags").toString())
                    .doesNotContain("spinup:org");
            long tagWrites = writesToSpot().stream().filter(r -> r.path("method").asText().equals("PUT")
                    && r.path("path").asText().endsWith(id)).count();
            assertThat(tagWrites).isGreaterThanOrEqualTo(2);
        } finally {
            sim("DELETE", "/_sim/faults", null);
        }
    }

    @Test
    void importRefusals() {
        String ec2 = ec2Instance("[]");
        sim("DELETE", "/_sim/requests", null);
        // refused by spot-api itself: nothing reaches Spot
        expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", ec2, "region", "us-east-1",
                "keepPrivateIp", true), 400);
        expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", ec2, "region", "us-east-1",
                "shouldKeepPrivateIp", true), 400);
        expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", "not-an-id", "region", "us-east-1"), 400);
        expect(alpha, "POST", "/main/imports", "[]", 400);
        assertThat(writesToSpot()).isEmpty();
        // refused by Spot: an unknown EC2 instance, then one already managed
        Reply unknown = expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", "i-0123456789abcdef0",
                "region", "us-east-1"), 404);
        assertThat(unknown.json().path("message").asText()).contains("i-0123456789abcdef0");
        expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", ec2, "region", "us-east-1"), 200);
        Reply again = expect(beta, "POST", "/main/imports", Map.of("originalInstanceId", ec2,
                "region", "us-east-1"), 400);
        assertThat(again.body()).contains("already managed");
        expect(alpha, "GET", "/main/imports/smg-00000000", null, 404);
        expect(alpha, "GET", "/main/imports/nope", null, 404);
    }

    @Test
    void bulkPowerAnswersPerIdAndSendsOnlyThisOrgsIds() throws Exception {
        String a1 = createInstance(alpha);
        String a2 = createInstance(alpha);
        String b1 = createInstance(beta);
        sim("DELETE", "/_sim/requests", null);
        JsonNode results = expect(alpha, "PUT", "/main/instances-power", Map.of("state", "stop",
                "instances", List.of(a1, b1, a2, "smi-00000000")), 200).json().path("instances");
        assertThat(results).hasSize(4);
        assertThat(results.path(0).path("id").asText()).isEqualTo(a1);
        assertThat(results.path(0).path("result").asText()).isEqualTo("accepted");
        assertThat(results.path(1).path("result").asText()).isEqualTo("not_found");
        assertThat(results.path(1).toString()).doesNotContain("beta");
        assertThat(results.path(2).path("result").asText()).isEqualTo("accepted");
        assertThat(results.path(3).path("result").asText()).isEqualTo("not_found");
        List<JsonNode> writes = writesToSpot();
        assertThat(writes).hasSize(1);
        assertThat(writes.get(0).path("path").asText()).isEqualTo("/aws/ec2/managedInstance/state");
        assertThat(writes.get(0).toString()).contains(a1).contains(a2).doesNotContain(b1);
        assertThat(status(b1)).isEqualTo("ACTIVE");
        advance(120);
        assertThat(status(a1)).isEqualTo("PAUSED");
        assertThat(status(a2)).isEqualTo("PAUSED");

        // Spot's bulk call is all or nothing: one instance that cannot start (already ACTIVE) refuses the call;
        // each id is then sent and answered on its own
        String a3 = createInstance(alpha);
        expect(alpha, "PUT", "/main/instances/" + a1 + "/power", "{\"state\":\"start\"}", 204);
        JsonNode mixed = expect(alpha, "PUT", "/main/instances-power", Map.of("state", "start",
                "instances", List.of(a2, a3)), 200).json().path("instances");
        assertThat(mixed.path(0).path("result").asText()).isEqualTo("accepted");
        // a3 is already ACTIVE: sent on its own it is a success with no write (power is idempotent, issue 23)
        assertThat(mixed.path(1).path("result").asText()).isEqualTo("accepted");
        advance(120);
        assertThat(status(a2)).isEqualTo("ACTIVE");

        // another org's ids only: nothing is written
        sim("DELETE", "/_sim/requests", null);
        JsonNode foreign = expect(beta, "PUT", "/main/instances-power", Map.of("state", "stop",
                "instances", List.of(a1, a2)), 200).json().path("instances");
        assertThat(foreign.findValuesAsText("result")).containsOnly("not_found");
        assertThat(writesToSpot()).isEmpty();
        assertThat(status(a1)).isEqualTo("ACTIVE");
        // bad bodies
        expect(alpha, "PUT", "/main/instances-power", Map.of("state", "reboot", "instances", List.of(a1)), 400);
        expect(alpha, "PUT", "/main/instances-power", Map.of("state", "stop", "instances", List.of()), 400);
        expect(alpha, "PUT", "/main/instances-power", Map.of("state", "stop", "instances", List.of(a1, a1)), 400);
        expect(alpha, "PUT", "/main/instances-power", Map.of("state", "stop", "instances", List.of(a1), "x", 1), 400);
    }

    @Test
    void volumesOfAManagedInstanceAreDeletedOnlyWhenDetachedAndOnlyByTheOwner() {
        String ec2 = ec2Instance("[{\"deviceName\":\"/dev/xvda\",\"size\":8},"
                + "{\"deviceName\":\"/dev/sdf\",\"size\":100,\"attached\":false}]");
        String id = expect(alpha, "POST", "/main/imports", Map.of("originalInstanceId", ec2,
                "region", "us-east-1"), 200).json().path("id").asText();
        String attached = null;
        String detached = null;
        for (JsonNode v : sim("GET", "/_sim/state", null).path("accounts").path(TestService.MAIN_ID).path("volumes")) {
            if (v.path("object").path("managedInstanceId").asText().equals(id)) {
                if (v.path("object").path("attached").asBoolean()) {
                    attached = v.path("object").path("id").asText();
                } else {
                    detached = v.path("object").path("id").asText();
                }
            }
        }
        assertThat(attached).startsWith("vol-");
        assertThat(detached).startsWith("vol-");

        sim("DELETE", "/_sim/requests", null);
        expect(beta, "DELETE", "/main/instances/" + id + "/volumes/" + detached, null, 404);
        assertThat(writesToSpot()).isEmpty();
        expect(alpha, "DELETE", "/main/instances/" + id + "/volumes/" + attached, null, 409);
        expect(alpha, "DELETE", "/main/instances/" + id + "/volumes/" + detached, null, 204);
        expect(alpha, "DELETE", "/main/instances/" + id + "/volumes/" + detached, null, 404);
        expect(alpha, "DELETE", "/main/instances/" + id + "/volumes/vol-00000000", null, 404);
        expect(alpha, "DELETE", "/main/instances/" + id + "/volumes/not-a-volume", null, 404);
        // the old service's list of volumes stays a 501 (see docs/api.md, "Stateful nodes")
        expect(alpha, "GET", "/main/volumes", null, 501);
    }

    @Test
    void statefulInstancesOfAGroupPauseResumeRecycleLoseAVolumeAndDeallocate() {
        String group = expect(alpha, "POST", "/main/elastigroups", ApiTestSupport.groupBody(), 200).json().path("id").asText();
        String ssi = statefulInstance(group, "10.9.8.7");
        assertThat(ssi).startsWith("ssi-");
        String base = "/main/elastigroups/" + group + "/stateful-instances";
        JsonNode listed = expect(alpha, "GET", base, null, 200).json();
        assertThat(listed).hasSize(1);
        assertThat(listed.path(0).path("state").asText()).isEqualTo("ACTIVE");
        String firstEc2 = listed.path(0).path("instanceId").asText();
        String dataVolume = listed.path(0).path("devices").path(1).path("volumeId").asText();

        // another org: nothing is shown, nothing is written
        sim("DELETE", "/_sim/requests", null);
        expect(beta, "GET", base, null, 404);
        expect(beta, "PUT", base + "/" + ssi + "/power", "{\"state\":\"stop\"}", 404);
        expect(beta, "DELETE", base + "/" + ssi, null, 404);
        expect(beta, "DELETE", base + "/" + ssi + "/volumes/" + dataVolume, null, 404);
        assertThat(writesToSpot()).isEmpty();

        expect(alpha, "DELETE", base + "/" + ssi + "/volumes/" + dataVolume, null, 409); // not paused
        expect(alpha, "PUT", base + "/" + ssi + "/power", "{\"state\":\"stop\"}", 204);
        assertThat(expect(alpha, "GET", base, null, 200).json().path(0).path("state").asText()).isEqualTo("PAUSING");
        Reply during = expect(alpha, "PUT", base + "/" + ssi + "/power", "{\"state\":\"start\"}", 409); // in progress
        assertThat(during.raw().headers().firstValue("Retry-After")).as("an action under way passes by itself").contains("5");
        advance(120);
        assertThat(expect(alpha, "GET", base, null, 200).json().path(0).path("state").asText()).isEqualTo("PAUSED");
        Reply paused = expect(alpha, "PUT", base + "/" + ssi + "/power", "{\"state\":\"reboot\"}", 409); // paused
        assertThat(paused.raw().headers().firstValue("Retry-After")).as("paused lasts until someone starts it").isEmpty();
        expect(alpha, "DELETE", base + "/" + ssi + "/volumes/" + dataVolume, null, 204);
        expect(alpha, "DELETE", base + "/" + ssi + "/volumes/" + dataVolume, null, 404);
        expect(alpha, "PUT", base + "/" + ssi + "/power", "{\"state\":\"start\"}", 204);
        advance(120);
        JsonNode resumed = expect(alpha, "GET", base, null, 200).json().path(0);
        assertThat(resumed.path("state").asText()).isEqualTo("ACTIVE");
        assertThat(resumed.path("privateIp").asText()).isEqualTo("10.9.8.7");
        assertThat(resumed.path("instanceId").asText()).isNotEqualTo(firstEc2);
        assertThat(resumed.path("devices")).hasSize(1);
        // recycle and deallocate are long: as tasks
        String recycle = expect(alpha, "PUT", base + "/" + ssi + "/power", "{\"state\":\"reboot\"}", 202,
                "Prefer", "respond-async").raw().headers().firstValue("X-Flywheel-Task").orElseThrow();
        assertThat(expect(alpha, "GET", base, null, 200).json().path(0).path("state").asText()).isEqualTo("RECYCLING");
        advance(120);
        assertThat(taskOutcome(recycle)).isEqualTo("completed");
        String deallocate = expect(alpha, "DELETE", base + "/" + ssi, null, 202, "Prefer", "respond-async")
                .raw().headers().firstValue("X-Flywheel-Task").orElseThrow();
        assertThat(expect(alpha, "GET", base, null, 200).json().path(0).path("state").asText()).isEqualTo("DEALLOCATING");
        advance(120);
        assertThat(taskOutcome(deallocate)).isEqualTo("completed");
        // Spot keeps a deallocated stateful instance listed as DEALLOCATED (OAS listStatefulInstances.state)
        assertThat(expect(alpha, "GET", base, null, 200).json().path(0).path("state").asText()).isEqualTo("DEALLOCATED");
        // a repeated deallocation is done (attack round 21: was Spot's bare 404); power of it can never be (409)
        expect(alpha, "DELETE", base + "/" + ssi, null, 204);
        expect(alpha, "PUT", base + "/" + ssi + "/power", "{\"state\":\"start\"}", 409);
        expect(alpha, "PUT", base + "/ssi-00000000/power", "{\"state\":\"stop\"}", 404);
        expect(alpha, "PUT", base + "/nope/power", "{\"state\":\"stop\"}", 404);
    }

    /**
     * Attack round 3: another org's stateful instance id under this org's own group (whose org check passes) is
     * a 404 before anything is written, whether Spot checks that the instance belongs to the group or not.
     */
    @Test
    void anotherGroupsStatefulInstanceIsNeverReachedThroughThisOrgsGroup() {
        String alphas = expect(alpha, "POST", "/main/elastigroups", ApiTestSupport.groupBody(), 200).json().path("id").asText();
        String ssi = statefulInstance(alphas, "10.9.8.6");
        String volume = expect(alpha, "GET", "/main/elastigroups/" + alphas + "/stateful-instances", null, 200).json()
                .path(0).path("devices").path(1).path("volumeId").asText();
        String betas = expect(beta, "POST", "/main/elastigroups", ApiTestSupport.groupBody(), 200).json().path("id").asText();
        String base = "/main/elastigroups/" + betas + "/stateful-instances/" + ssi;

        sim("DELETE", "/_sim/requests", null);
        expect(beta, "PUT", base + "/power", "{\"state\":\"stop\"}", 404);
        expect(beta, "DELETE", base, null, 404);
        expect(beta, "DELETE", base + "/volumes/" + volume, null, 404);
        assertThat(writesToSpot()).as("writes sent to Spot for alpha's stateful instance through beta's group").isEmpty();
        assertThat(expect(alpha, "GET", "/main/elastigroups/" + alphas + "/stateful-instances", null, 200).json()
                .path(0).path("state").asText()).isEqualTo("ACTIVE");
    }

    /** A stateful instance the simulator adds to {@code group}, with a root and a data volume: its id. */
    private static String statefulInstance(String group, String privateIp) {
        return sim("POST", "/_sim/groups/" + group + "/statefulInstances", "{\"privateIp\":\"" + privateIp
                + "\",\"volumes\":[{\"deviceName\":\"/dev/xvda\"},{\"deviceName\":\"/dev/sdf\"}]}").path("id").asText();
    }

    /** The point of the bulk route: twenty instances stopped with 2 Spot calls instead of 40 (org check + pause each). */
    @Test
    void bulkPowerOfTwentyInstancesCostsTwoSpotCallsInsteadOfForty() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            ids.add(createInstance(alpha));
        }
        sim("DELETE", "/_sim/requests", null);
        JsonNode results = expect(alpha, "PUT", "/main/instances-power", Map.of("state", "stop", "instances", ids), 200)
                .json().path("instances");
        assertThat(results.findValuesAsText("result")).hasSize(20).containsOnly("accepted");
        int bulk = sim("GET", "/_sim/requests?limit=1000", null).path("requests").size();
        advance(120);
        sim("DELETE", "/_sim/requests", null);
        for (String id : ids) {
            expect(alpha, "PUT", "/main/instances/" + id + "/power", "{\"state\":\"start\"}", 204);
        }
        int oneByOne = sim("GET", "/_sim/requests?limit=1000", null).path("requests").size();
        System.out.printf("Spot calls to power 20 instances: bulk %d, one by one %d%n", bulk, oneByOne);
        assertThat(bulk).isEqualTo(2);
        // one by one: the org check's read, the idempotent power's status read (issue 23) and the resume each
        assertThat(oneByOne).isEqualTo(60);
    }
}
