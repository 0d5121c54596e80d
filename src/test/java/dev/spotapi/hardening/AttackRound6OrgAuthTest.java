package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 6, org isolation and caller-supplied fields: the tags spot-api itself keeps on a resource
 * ({@code spinup:spaceid}, {@code spot-api:stopped-capacity}, {@code spot-api:correlation}) against the
 * caller's own update bodies. The tag route ({@code PUT .../tags}) refuses to change them ("set by spot-api and
 * cannot be changed", api.md "Use with the portal's services"), and an update that sends
 * {@code compute.launchSpecification.tags} gets {@code spinup:org} put back ({@code Ownership#forUpdate}, api.md
 * "Org isolation"); the other server tags are neither kept nor refused there.
 */
class AttackRound6OrgAuthTest extends HarnessPerClass {

    private static ObjectNode tagsUpdate(String... keyValues) {
        ObjectNode body = TestService.json("{\"compute\": {\"launchSpecification\": {\"tags\": []}}}");
        ArrayNode tags = (ArrayNode) body.path("compute").path("launchSpecification").path("tags");
        for (int i = 0; i + 1 < keyValues.length; i += 2) {
            tags.addObject().put("tagKey", keyValues[i]).put("tagValue", keyValues[i + 1]);
        }
        return body;
    }

    private static String tag(JsonNode object, String key) {
        for (JsonNode t : object.path("compute").path("launchSpecification").path("tags")) {
            if (key.equals(t.path("tagKey").asText())) {
                return t.path("tagValue").asText();
            }
        }
        return null;
    }

    private static List<String> ids(Reply r) {
        assertThat(r.status()).as("list: %s", r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().forEach(n -> out.add(n.isTextual() ? n.asText() : n.path("id").asText()));
        return out;
    }

    /**
     * A stopped group (power stop: capacity 0/0/0, the old capacity in {@code spot-api:stopped-capacity}) whose
     * tags are then updated with {@code PUT /elastigroups/{id}} (the caller's own tags, as any tag edit): the
     * update replaces the tag array, spot-api puts back {@code spinup:org} but not the stopped capacity, so the
     * group can never be started again (409 "without a spot-api:stopped-capacity tag") and its capacity is lost.
     * Expected: the stopped capacity survives the caller's tag edit (as {@code spinup:org} does), start restores it.
     */
    @Test
    void aTagEditOfAStoppedGroupDoesNotLoseItsStoppedCapacity() {
        String id = h.createGroup();
        Reply stop = h.call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"stop\"}");
        assertThat(stop.status()).as("stop: %s", stop.body()).isEqualTo(204);
        assertThat(tag(h.stored(Harness.GROUPS, id), "spot-api:stopped-capacity")).as("stop tag").isNotNull();

        Reply edit = h.call("PUT", "/main/elastigroups/" + id, tagsUpdate("team", "blue"));
        assertThat(edit.status()).as("tag edit: %s", edit.body()).isEqualTo(200);

        Reply start = h.call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"start\"}");
        JsonNode stored = h.stored(Harness.GROUPS, id);
        assertThat(start.status()).as("start after the tag edit: %s (stored tags %s)", start.body(),
                stored.path("compute").path("launchSpecification").path("tags")).isEqualTo(204);
        assertThat(stored.path("capacity").path("target").asInt()).as("target restored").isEqualTo(2);
        assertThat(tag(stored, "spinup:org")).isEqualTo(TestService.ORG);
    }

    /**
     * The space of a resource may not be changed or removed by the tag route (400 "set by spot-api and cannot
     * be changed: ... already has a space"), but the same change through the resource's own update
     * ({@code PUT /instances/{id}} with {@code compute.launchSpecification.tags}) is accepted: the instance
     * silently moves to another space (or out of every space) and its costs with it ({@code ?space=},
     * {@code GET /{account}/costs?space=}). Expected: the update keeps the space (as it keeps {@code spinup:org})
     * or refuses a different one, like the tag route.
     */
    @Test
    void anInstanceUpdateCannotMoveOrDropTheSpaceTheTagRouteProtects() {
        ObjectNode body = Harness.instanceBody(Harness.uniqueName("mi-space"));
        ((ArrayNode) body.path("compute").path("launchSpecification").path("tags")).addObject()
                .put("tagKey", "spinup:spaceid").put("tagValue", "space-a");
        Reply created = h.call("POST", "/main/instances", body);
        assertThat(created.status()).as("create: %s", created.body()).isEqualTo(200);
        String id = created.json().asText();
        assertThat(ids(h.get("/main/instances?space=space-a"))).containsExactly(id);

        Reply viaTags = h.call("PUT", "/main/instances/" + id + "/tags", "{\"tags\":{\"spinup:spaceid\":\"space-b\"}}");
        assertThat(viaTags.status()).as("the tag route: %s", viaTags.body()).isEqualTo(400);

        Reply move = h.call("PUT", "/main/instances/" + id, tagsUpdate("spinup:spaceid", "space-b"));
        Reply drop = h.call("PUT", "/main/instances/" + id, tagsUpdate("team", "blue"));

        assertThat(tag(h.stored(Harness.INSTANCES, id), "spinup:spaceid"))
                .as("space after an update moving it (answer %d %s) and one leaving it out (answer %d %s)",
                        move.status(), move.body(), drop.status(), drop.body())
                .isEqualTo("space-a");
        assertThat(ids(h.get("/main/instances?space=space-a"))).containsExactly(id);
    }

    /**
     * A group update naming {@code spot-api:stopped-capacity} itself (a running group, never stopped): the tag
     * route refuses every {@code spot-api:*} key (400), the update takes it, and a later power start (the
     * group is running, so per api.md a no-op) instead "restores" the forged capacity. Expected: the update
     * refuses the server's key as the tag route does (400, nothing written).
     */
    @Test
    void anUpdateCannotForgeTheStoppedCapacityTag() {
        String id = h.createGroup();
        Reply viaTags = h.call("PUT", "/main/elastigroups/" + id + "/tags",
                "{\"tags\":{\"spot-api:stopped-capacity\":\"minimum=0 maximum=3 target=3\"}}");
        assertThat(viaTags.status()).as("the tag route: %s", viaTags.body()).isEqualTo(400);

        Reply forged = h.call("PUT", "/main/elastigroups/" + id,
                tagsUpdate("spot-api:stopped-capacity", "minimum=0 maximum=3 target=3"));
        Reply start = h.call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"start\"}");
        JsonNode stored = h.stored(Harness.GROUPS, id);

        assertThat(tag(stored, "spot-api:stopped-capacity"))
                .as("forged tag after the update (answer %d %s)", forged.status(), forged.body()).isNull();
        assertThat(stored.path("capacity").path("target").asInt())
                .as("target after start (answer %d %s)", start.status(), start.body()).isEqualTo(2);
    }

    @TempDir
    java.nio.file.Path dir;

    /**
     * The public metrics scrape is built anew for every request ({@code registry.scrape()} into a fresh byte
     * array, about the size of the scrape, kept until the client reads it). Token-less callers first grow the
     * scrape: every route template answered 403 (and 405/404 variants) adds series of 15 lines; then 400
     * token-less connections (under {@code api.ConnectionGuard}'s 7/8 of 512) each ask for {@code /metrics} once
     * with a 4 KiB receive buffer and never read. Expected (a JVM with the launcher's flags, 64 MiB heap): the
     * service keeps serving (alive, {@code /ping} 200, a verified read answered) during and after.
     */
    @Test
    void tokenLessNonReadersOfTheMetricsScrapeLeaveTheLaunchersHeapServing() throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.LAUNCHER_FLAGS)) {
            int before = jvm.get("/v1/spot/metrics", null, 10_000).body().length();
            JsonNode paths = TestService.JSON.readTree(jvm.get("/v1/spot/openapi.json", null, 10_000).body()).path("paths");
            List<String> templates = new ArrayList<>();
            paths.fieldNames().forEachRemaining(templates::add);
            int sent = 0;
            for (String t : templates) {
                String path = ("/v1/spot" + t).replace("{account}", "main").replace("{elastigroup}", "sig-1234abcd")
                        .replace("{instance}", "smi-1234abcd").replace("{resource}", "smi-1234abcd")
                        .replaceAll("\\{[^}]+\\}", "x-1");
                for (String method : List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")) {
                    for (String token : java.util.Arrays.asList(null, "not-a-bcrypt", "$2a$31$" + "a".repeat(53))) {
                        java.util.Map<String, String> headers = token == null ? java.util.Map.of()
                                : java.util.Map.of("X-Auth-Token", token);
                        dev.spotapi.support.RawHttp.send(jvm.port, method, path, headers, null);
                        sent++;
                    }
                }
            }
            int grown = jvm.get("/v1/spot/metrics", null, 10_000).body().length();
            System.out.printf("scrape %d chars before, %d after %d token-less requests over %d templates%n", before,
                    grown, sent, templates.size());
            List<java.net.Socket> sockets = new ArrayList<>();
            try {
                byte[] request = "GET /v1/spot/metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                for (int i = 0; i < 400 && jvm.process.isAlive(); i++) {
                    java.net.Socket s = new java.net.Socket();
                    s.setReceiveBufferSize(4096);
                    s.connect(new java.net.InetSocketAddress("127.0.0.1", jvm.port), 5_000);
                    s.getOutputStream().write(request);
                    s.getOutputStream().flush();
                    sockets.add(s);
                }
                Thread.sleep(2_000);
                assertThat(jvm.process.isAlive()).as("alive with %d unread scrapes of ~%d chars:\n%s", sockets.size(),
                        grown, jvm.process.isAlive() ? "" : jvm.tail()).isTrue();
                assertThat(jvm.get("/v1/spot/ping", null, 5_000).status()).as("/ping while they wait").isEqualTo(200);
                assertThat(jvm.get("/v1/spot/main/instances", TestService.TOKEN, 10_000).status())
                        .as("a verified read while they wait").isEqualTo(200);
            } finally {
                for (java.net.Socket s : sockets) {
                    s.close();
                }
            }
            Thread.sleep(500);
            assertThat(jvm.process.isAlive()).as("alive after:\n%s", jvm.process.isAlive() ? "" : jvm.tail()).isTrue();
            assertThat(jvm.get("/v1/spot/ping", null, 5_000).status()).as("/ping after").isEqualTo(200);
        }
    }

    /**
     * Token-less requests with odd but well-formed HTTP (bad percent-escapes in path and query, a method
     * override in a query key, odd X-Request-Id, traceparent, Prefer, Idempotency-Key, Origin values, encoded
     * slashes and dots, an over-long path segment): each is answered with a client-error status, never a 500,
     * and none writes an ERROR line (a stack trace per request would be log volume any caller could drive).
     */
    @Test
    void oddTokenLessRequestsNeverFailInternallyNorLogErrors() throws Exception {
        List<String> targets = List.of("/v1/spot/main/instances?%zz=1", "/v1/spot/main/instances?a=%",
                "/v1/spot/main/instances/%zz", "/v1/spot/main/instances/smi-1%2F..%2F..", "/v1/spot/%2e%2e/ping",
                "/v1/spot/main/instances?_method=DELETE", "/v1/spot/main/instances?%5Fmethod=DELETE",
                "/v1/spot/main/" + "a".repeat(4000) + "/tags", "/v1/spot/flywheel?task=%00", "/v1/spot/%00/instances",
                "/v1/spot/main/elastigroups/sig-1/rolls/sbgd-%ff", "/v1/spot/main/imports/smg-%c0%af",
                "/v1/spot/main/instances;jsessionid=1", "/v1/spot/main/instances/..;/..;/ping");
        List<java.util.Map<String, String>> headerSets = List.of(java.util.Map.of(),
                java.util.Map.of("X-Request-Id", "x".repeat(3000)),
                java.util.Map.of("X-Request-Id", "\u00ff\u00fe", "traceparent", "00-" + "0".repeat(32) + "-" + "0".repeat(16) + "-01"),
                java.util.Map.of("traceparent", "ff-zz", "tracestate", ",".repeat(500), "Prefer", "respond-async;;;=,,"),
                java.util.Map.of("Idempotency-Key", "\u00e9".repeat(300), "Origin", "null"),
                java.util.Map.of("X-Auth-Token", "$2a$04$" + "\u00e9".repeat(53)),
                java.util.Map.of("Auth-Token", "$2y$04$short", "X-Forwarded-For", "1.2.3.4, ::1, garbage"));
        try (LogCapture logs = LogCapture.start()) {
            for (String target : targets) {
                for (java.util.Map<String, String> headers : headerSets) {
                    for (String method : List.of("GET", "DELETE", "OPTIONS", "HEAD")) {
                        dev.spotapi.support.RawHttp.Answer a = dev.spotapi.support.RawHttp.send(h.port(), method,
                                target.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), headers, null, 10_000);
                        assertThat(a.status()).as("%s %s %s: %s", method, target.length() > 80 ? target.substring(0, 80)
                                : target, headers.keySet(), a).isBetween(100, 499);
                    }
                }
            }
            assertThat(logs.events()).filteredOn(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.ERROR))
                    .extracting(LogCapture::everything).isEmpty();
        }
        assertThat(h.get("/ping").status()).isEqualTo(200);
    }

    /** Latencies (ms) of {@code n} verified reads, each on a new connection. */
    private static List<Long> verifiedReads(ServiceJvm jvm, int n) {
        List<Long> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            dev.spotapi.support.RawHttp.Answer a = StarvationLatencyTest.timedGet(jvm.port,
                    "/v1/spot/main/instances/smi-0000dead", TestService.TOKEN);
            out.add(a.status() == 404 ? a.millis() : 10_000L);
        }
        return out;
    }

    private static long max(List<Long> samples) {
        return samples.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    private static long median(List<Long> samples) {
        List<Long> sorted = new ArrayList<>(samples);
        java.util.Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }

    /**
     * Liveness and the version are answered on Jetty's selector threads ({@code api.WorkerDispatch}). A few
     * token-less connections that pipeline {@code GET /v1/spot/ping} as fast as they can while reading the
     * answers keep those threads answering pings. Expected: a verified read on a new connection meanwhile is
     * answered about as fast as while the same flood asks for {@code /ready} (served by workers), and under
     * 1 s at its slowest.
     */
    @Test
    void aPipelinedPingFloodOnAFewConnectionsDoesNotStarveVerifiedReads() throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.LAUNCHER_FLAGS)) {
            verifiedReads(jvm, 20); // warm: token known, code compiled
            List<Long> quiet = verifiedReads(jvm, 30);
            List<Long> duringReady = flood(jvm, "/v1/spot/ready", 4);
            List<Long> duringPing = flood(jvm, "/v1/spot/ping", 4);
            System.out.printf("verified read ms: quiet median %d max %d; /ready flood median %d max %d;"
                    + " /ping flood median %d max %d%n", median(quiet), max(quiet), median(duringReady),
                    max(duringReady), median(duringPing), max(duringPing));
            assertThat(max(duringPing)).as("slowest verified read during the /ping flood (quiet %s, /ready flood %s,"
                    + " /ping flood %s)", quiet, duringReady, duringPing).isLessThan(1_000);
            assertThat(median(duringPing)).as("median during the /ping flood vs the /ready flood")
                    .isLessThanOrEqualTo(Math.max(50, 5 * median(duringReady)));
        }
    }

    /** Verified read latencies while {@code connections} clients pipeline {@code path} and read the answers. */
    private static List<Long> flood(ServiceJvm jvm, String path, int connections) throws Exception {
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicLong answered = new java.util.concurrent.atomic.AtomicLong();
        List<java.net.Socket> sockets = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        byte[] one = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        byte[] batch = new byte[one.length * 200];
        for (int i = 0; i < 200; i++) {
            System.arraycopy(one, 0, batch, i * one.length, one.length);
        }
        for (int c = 0; c < connections; c++) {
            java.net.Socket s = new java.net.Socket("127.0.0.1", jvm.port);
            sockets.add(s);
            Thread writer = new Thread(() -> {
                try {
                    while (running.get()) {
                        s.getOutputStream().write(batch);
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            });
            Thread reader = new Thread(() -> {
                byte[] buf = new byte[65536];
                try {
                    int n;
                    while ((n = s.getInputStream().read(buf)) > 0) {
                        answered.addAndGet(n);
                    }
                } catch (java.io.IOException e) {
                    // closed
                }
            });
            writer.setDaemon(true);
            reader.setDaemon(true);
            threads.add(writer);
            threads.add(reader);
            writer.start();
            reader.start();
        }
        try {
            Thread.sleep(1_000);
            return verifiedReads(jvm, 30);
        } finally {
            running.set(false);
            for (java.net.Socket s : sockets) {
                s.close();
            }
            for (Thread t : threads) {
                t.join(5_000);
            }
            System.out.printf("flood of %s: %d answer bytes read%n", path, answered.get());
        }
    }

    /**
     * A create whose tags name {@code spinup:spaceid} twice ({@code space-a}, then {@code space-b}): spot-api's
     * readers of the space disagree. The list filter and the cost roll-up take the first
     * ({@code Ownership#tag}), the tags route the last ({@code TagService#tagMap}, which also decides whether a
     * merge may set the space). AWS refuses a tag key given twice. Expected: the create is refused (400) and
     * nothing reaches Spot, or both readers see one space.
     */
    @Test
    void aSpaceTagGivenTwiceOnACreateIsRefusedOrSeenAsOneSpace() {
        ObjectNode body = Harness.instanceBody(Harness.uniqueName("mi-2space"));
        ArrayNode tags = (ArrayNode) body.path("compute").path("launchSpecification").path("tags");
        tags.addObject().put("tagKey", "spinup:spaceid").put("tagValue", "space-a");
        tags.addObject().put("tagKey", "spinup:spaceid").put("tagValue", "space-b");
        Reply created = h.call("POST", "/main/instances", body);
        if (created.status() == 400) {
            return; // refused: the right answer
        }
        assertThat(created.status()).as("create: %s", created.body()).isEqualTo(200);
        String id = created.json().asText();
        List<String> inA = ids(h.get("/main/instances?space=space-a"));
        List<String> inB = ids(h.get("/main/instances?space=space-b"));
        Reply tagRoute = h.get("/main/instances/" + id + "/tags");
        String shownSpace = tagRoute.json().path("tags").path("spinup:spaceid").asText(null);
        assertThat(inA.contains(id) ? "space-a" : inB.contains(id) ? "space-b" : "none")
                .as("the create was accepted (200); the space by ?space= vs by the tags route %s", tagRoute.body())
                .isEqualTo(shownSpace);
    }
}
