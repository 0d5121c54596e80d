package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.LinkedHashMap;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;

/**
 * Attack round 15 (report-only helper attack15-fixes), from outside, on the changes of rounds 13 and 14 and their
 * neighbours: the group start that keeps a capacity set since the stop, weighted capacity tasks, ETag/304 on the
 * docs, the remembered right tokens. A failing test is a finding (see the report); a passing one an attack that held.
 */
class AttackRound15FixesTest extends TaskHarnessPerClass {
    private JsonNode spotGroup(String group) {
        Reply r = h.svc.sim("GET", Harness.GROUPS + "/" + group + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0);
    }

    private static String cap(JsonNode capacity) {
        return capacity.path("minimum").asInt() + "/" + capacity.path("maximum").asInt() + "/"
                + capacity.path("target").asInt();
    }

    private int runningInstances(String group) {
        Reply r = h.svc.sim("GET", Harness.GROUPS + "/" + group + "/status?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").size();
    }

    /**
     * Attack (round 14's weighted capacity tasks, the other direction): a group counted in weight (t3.micro weighs 2),
     * target 8: four instances run. An async scale-down to target 2 ({@code PUT .../capacity {"target":2}},
     * {@code Prefer: respond-async}) while Spot's status still lists all four (Spot terminates a while later).
     *
     * <p>Expected: as for a group counted in instances, the task stays running while Spot still runs 8 units for a
     * target of 2 (three instances too many); it never says "completed" before a single instance has gone.
     */
    @Test
    void aWeightedScaleDownTaskIsNotCompletedWhileEveryOldInstanceStillRuns() throws Exception {
        String group = group("weight", 8);
        assertThat(runningInstances(group)).isEqualTo(4);
        JsonNode t = capacityTaskWhileStatusLags(group, 2, -1);
        assertThat(t.path("status").asText())
                .as("the scale-down task of a weighted group from 8 to 2 units, Spot still running 4 instances"
                        + " of weight 2: %s", t)
                .isEqualTo("running");
    }

    /** Held guard: the same scale-down on a group counted in instances (4 → 1) waits for the terminations. */
    @Test
    void anInstanceCountedScaleDownTaskWaitsForTheTerminations() throws Exception {
        String group = group("instance", 4);
        assertThat(runningInstances(group)).isEqualTo(4);
        JsonNode t = capacityTaskWhileStatusLags(group, 1, -1);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("running");
    }

    /**
     * Attack (round 14's start that keeps a capacity set since the stop): the scheduler stops a group at night (1/3/2
     * remembered in {@code spot-api:stopped-capacity}, 0/0/0 set). During the night a user raises only the group's
     * maximum ({@code PUT .../capacity {"maximum":5}}: 200, the group is now 0/5/0 and still runs nothing). In the
     * morning the scheduler starts the group.
     *
     * <p>Expected: the start brings the group back: it runs instances again (the remembered minimum and target, with
     * the user's maximum or the remembered one), or the start is refused (409) saying why. A 204 that leaves the group
     * at target 0 tells the scheduler "started" for a group that runs nothing, and nothing will ever start it (the
     * stop tag is left on it).
     */
    @Test
    void aStartAfterOnlyTheMaximumWasRaisedSinceTheStopBringsTheGroupBack() {
        String group = h.createGroup();
        Reply stop = h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);
        Reply set = h.call("PUT", "/main/elastigroups/" + group + "/capacity", TestService.json("{\"maximum\":5}"));
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(cap(spotGroup(group).path("capacity"))).isEqualTo("0/5/0");

        Reply start = h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"start\"}");
        JsonNode after = spotGroup(group);
        String facts = String.format("start answered %d %s; the group's capacity after it %s, tags %s, %d instances",
                start.status(), start.body(), cap(after.path("capacity")),
                after.path("compute").path("launchSpecification").path("tags"), runningInstances(group));
        System.out.println("[round15] " + facts);
        if (start.status() == 204) {
            assertThat(after.path("capacity").path("target").asInt()).as(facts).isGreaterThan(0);
        } else {
            assertThat(start.status()).as(facts).isEqualTo(409);
        }
    }

    /**
     * Attack: the same night, but the morning start is async ({@code Prefer: respond-async}), as a portal polling
     * flywheel does. Expected: the task never says "completed" for a start after which the group runs no instance.
     */
    @Test
    void anAsyncStartAfterOnlyTheMaximumWasRaisedIsNotCompletedWithNoInstanceRunning() throws Exception {
        String group = h.createGroup();
        Reply stop = h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);
        Reply set = h.call("PUT", "/main/elastigroups/" + group + "/capacity", TestService.json("{\"maximum\":5}"));
        assertThat(set.status()).as(set.body()).isEqualTo(200);

        Reply start = h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"start\"}",
                Harness.withToken("Prefer", "respond-async"));
        String facts;
        if (start.status() == 202) {
            JsonNode t = awaitEnd(start.header("X-Flywheel-Task"), 10);
            facts = String.format("202; task %s; capacity %s, %d instances", t, cap(spotGroup(group).path("capacity")),
                    runningInstances(group));
            System.out.println("[round15] " + facts);
            if ("completed".equals(t.path("status").asText())) {
                assertThat(runningInstances(group)).as(facts).isGreaterThan(0);
            }
        } else {
            facts = start.status() + " " + start.body();
            System.out.println("[round15] " + facts);
            assertThat(start.status()).as(facts).isIn(409);
        }
    }

    /** Held guard: a capacity above 0 on every number set since the stop still stands after the start. */
    @Test
    void aCapacitySetWithInstancesSinceTheStopStillStands() {
        String group = h.createGroup();
        assertThat(h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}").status())
                .isEqualTo(204);
        Reply set = h.call("PUT", "/main/elastigroups/" + group + "/capacity",
                TestService.json("{\"minimum\":1,\"maximum\":5,\"target\":3}"));
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        Reply start = h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"start\"}");
        assertThat(start.status()).as(start.body()).isEqualTo(204);
        assertThat(cap(spotGroup(group).path("capacity"))).isEqualTo("1/5/3");
    }

    private int port() {
        return h.svc.api.port();
    }

    /**
     * Attack (round 14's 304 on the docs): a client revalidates {@code openapi.json} and a docs asset with the
     * {@code ETag} it got. RFC 9110 §8.6: a 304 MUST NOT carry a {@code Content-Length} unless it equals the length of
     * the 200's content (caches and some clients take it for the stored entity's new length).
     *
     * <p>Expected: each 304 carries no {@code Content-Length}, or the 200's.
     */
    @Test
    void aNotModifiedAnswerDoesNotClaimAnEmptyDocument() {
        SoftAssertions soft = new SoftAssertions();
        for (String path : new String[] {"/v1/spot/openapi.json", "/v1/spot/docs/assets/swagger-ui.css"}) {
            RawHttp.Answer first = RawHttp.send(port(), "GET", path, new LinkedHashMap<>(), null);
            assertThat(first.status()).as("%s", first).isEqualTo(200);
            Map<String, String> conditional = new LinkedHashMap<>();
            conditional.put("If-None-Match", first.header("ETag"));
            for (String method : new String[] {"GET", "HEAD"}) {
                RawHttp.Answer second = RawHttp.send(port(), method, path, conditional, null);
                String facts = String.format("%s %s: 200 with Content-Length %s, then %d with Content-Length %s",
                        method, path, first.header("Content-Length"), second.status(), second.header("Content-Length"));
                System.out.println("[round15] " + facts);
                soft.assertThat(second.status()).as(facts).isEqualTo(304);
                soft.assertThat(second.header("Content-Length")).as(facts).isIn(null, first.header("Content-Length"));
            }
        }
        soft.assertAll();
    }

    /**
     * Held guard (a 304 where a 200 is due): {@code openapi.json} asked with another document's tag (a docs asset's),
     * a tag of another build, a tag list without its own, and an {@code If-Modified-Since} far in the future (no
     * {@code Last-Modified} is sent). Expected: 200 with the whole document each time.
     */
    @Test
    void theDocumentIsSentWheneverTheClientsTagIsNotItsOwn() {
        RawHttp.Answer asset = RawHttp.send(port(), "GET", "/v1/spot/docs/assets/index.css", new LinkedHashMap<>(), null);
        RawHttp.Answer doc = RawHttp.send(port(), "GET", "/v1/spot/openapi.json", new LinkedHashMap<>(), null);
        String own = doc.header("ETag");
        SoftAssertions soft = new SoftAssertions();
        for (String tags : new String[] {asset.header("ETag"), "\"0000000000000000000000000000000\"",
                "\"a\", W/\"b\"", own.substring(0, own.length() - 2) + "\"", own.replace("\"", "")}) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("If-None-Match", tags);
            RawHttp.Answer r = RawHttp.send(port(), "GET", "/v1/spot/openapi.json", headers, null);
            soft.assertThat(r.status()).as("If-None-Match: %s", tags).isEqualTo(200);
            soft.assertThat(r.body().length()).as("If-None-Match: %s", tags).isEqualTo(doc.body().length());
        }
        Map<String, String> future = new LinkedHashMap<>();
        future.put("If-Modified-Since", "Fri, 01 Jan 2100 00:00:00 GMT");
        soft.assertThat(RawHttp.send(port(), "GET", "/v1/spot/openapi.json", future, null).status()).isEqualTo(200);
        soft.assertAll();
    }

    /**
     * Held guard ({@code TokenVerifier.accepted}): once a right token is remembered, tokens near it are not: the same
     * hash with its last character changed, with its cost changed, in another header beside it, and a right token
     * with a made-up one sent in {@code X-Auth-Token} (read first) while the right one is in {@code Auth-Token}.
     * Expected: each made-up one 403.
     */
    @Test
    void tokensNearARememberedRightTokenAreNotServed() {
        assertThat(h.get("/main/instances").status()).isEqualTo(200); // the right token remembered
        String right = TestService.TOKEN;
        // the last character with its top bit flipped: bcrypt's last character carries 4 bits of the hash and 2
        // unused ones, so a change in those (a -> b) is another spelling of the same, right hash (it was 200 in 1 run
        // in ~16, with a token ending in a, b, c or d)
        String alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        char last = right.charAt(right.length() - 1);
        char other = alphabet.charAt(alphabet.indexOf(last) ^ 32);
        String[] nearby = {right.substring(0, right.length() - 1) + other,
                right.replace("$04$", "$05$"), right.toUpperCase()};
        SoftAssertions soft = new SoftAssertions();
        for (String token : nearby) {
            Reply r = h.svc.call("GET", "/main/instances", null, Map.of("X-Auth-Token", token));
            soft.assertThat(r.status()).as("token %s", token).isIn(401, 403);
        }
        Reply both = h.svc.call("GET", "/main/instances", null, Map.of("X-Auth-Token", AttackRound14HttpTest.madeUp(4),
                "Auth-Token", right));
        soft.assertThat(both.status()).as("made-up X-Auth-Token beside a right Auth-Token").isIn(401, 403);
        soft.assertAll();
    }

    /**
     * Attack (round 13's {@code SharedState#confirmLease}, "a lease granted while Redis could not be reached passes"),
     * two replicas on one Redis: Redis is down; replica A starts a tag merge ({@code a=1}) on a group: its write lease
     * is granted per replica and its decision read is answered by Spot 6 s late (read at once, the reply held). Redis comes back meanwhile (an ordinary
     * restart); replica B's tag merge ({@code b=2}) of the same group is answered 200, B now holding the object's
     * lease in Redis. Then A's read returns and A writes the whole tag array it computed.
     *
     * <p>Expected: both tags afterwards (B's 200 stands), or A refused (409) rather than writing over it: once Redis
     * is back, a lease only this replica knew of is not a licence to undo a write another replica answered.
     */
    @Test
    void aLeaseGrantedDuringARedisOutageDoesNotUndoAWriteAnsweredAfterRedisCameBack() throws Exception {
        dev.spotapi.config.SpotClientSettings slow = new dev.spotapi.config.SpotClientSettings(1_000, 9_000, 15_000, 1,
                20, 200, 0, 100);
        try (AttackRound13ReplicasTest.SnapshotRedis redis = new AttackRound13ReplicasTest.SnapshotRedis();
                dev.spotapi.sim.SpotSimulator sim = TestService.simulator()) {
            java.util.function.UnaryOperator<dev.spotapi.config.ServiceConfig> shared = c -> c.withSharedState(
                    new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000));
            Harness a = Harness.of(TestService.replica(sim, slow, shared), slow);
            Harness b = Harness.of(TestService.replica(sim, slow, shared), slow);
            try {
                String id = a.createGroup();
                Harness.awaitSharedStateUp(a.svc);
                redis.redis.stop();
                long until = System.nanoTime() + 10_000_000_000L;
                while ("UP".equals(a.svc.call("GET", "/health", null, Map.of()).json().path("components")
                        .path("sharedState").path("status").asText()) && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                a.clearRequestLog();
                a.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + id
                        + "\",\"action\":\"delay\",\"after\":true,\"delayMs\":6000,\"count\":1}");
                java.util.concurrent.CompletableFuture<Reply> merge = java.util.concurrent.CompletableFuture.supplyAsync(
                        () -> a.call("PUT", "/main/elastigroups/" + id + "/tags", TestService.json("{\"tags\":{\"a\":\"1\"}}")));
                a.awaitSpotRequests("GET", Harness.GROUPS + "/" + id, 1);
                redis.redis.restart();
                Harness.awaitSharedStateUp(b.svc);
                Harness.awaitSharedStateUp(a.svc);
                Reply bMerge = Harness.untilNot503(() -> b.call("PUT", "/main/elastigroups/" + id + "/tags",
                        TestService.json("{\"tags\":{\"b\":\"2\"}}")));
                Reply aMerge = merge.get(20, java.util.concurrent.TimeUnit.SECONDS);
                a.awaitSimulatorIdle();
                JsonNode tags = b.get("/main/elastigroups/" + id + "/tags").json().path("tags");
                String facts = String.format("B (after Redis came back) %d %s; A (lease granted while Redis was down)"
                        + " %d %s; tags now %s", bMerge.status(), bMerge.body(), aMerge.status(), aMerge.body(), tags);
                System.out.println("[round15] " + facts);
                if (bMerge.status() == 200) {
                    assertThat(tags.has("b")).as(facts).isTrue();
                }
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

    /**
     * Attack (cross-org, the conditional headers the CORS preflight now allows, and {@code Prefer}): each write route
     * of a per-resource object with another org's group id (tagged {@code spinup:org=otherorg} in the same Spot
     * account) and with a missing id of the same form, each sent with {@code If-None-Match: *}, {@code If-Match: "x"},
     * {@code If-Unmodified-Since} long past, and {@code Prefer: respond-async}.
     *
     * <p>Expected: the two answers (status and message, the id put aside) are the same for every header, so a
     * precondition or an async answer never tells the caller that another org's group exists; and no Spot write.
     */
    @Test
    void conditionalAndAsyncWritesAnswerAnotherOrgsGroupAsAMissingOne() {
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("group", Harness.tagged(Harness.groupBody(Harness.uniqueName("theirs")), "spinup:org", "otherorg"));
        Reply created = h.svc.sim("POST", Harness.GROUPS + "?accountId=" + Harness.MAIN_ID, wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String theirs = created.json().path("response").path("items").path(0).path("id").asText();
        String missing = "sig-" + "0".repeat(theirs.length() - 4);
        String[][] routes = {{"PUT", "/main/elastigroups/GID/capacity", "{\"target\":1}"},
                {"PUT", "/main/elastigroups/GID/power", "{\"state\":\"stop\"}"},
                {"PUT", "/main/elastigroups/GID/tags", "{\"tags\":{\"a\":\"b\"}}"},
                {"PUT", "/main/GID/tags", "{\"tags\":{\"a\":\"b\"}}"},
                {"PUT", "/main/elastigroups/GID", "{\"capacity\":{\"target\":1}}"},
                {"DELETE", "/main/elastigroups/GID", null}};
        String[][] conditions = {{"If-None-Match", "*"}, {"If-Match", "\"x\""}, {"If-Match", "*"},
                {"If-Unmodified-Since", "Mon, 01 Jan 2001 00:00:00 GMT"}, {"Prefer", "respond-async"}};
        h.clearRequestLog();
        java.util.List<String> differences = new java.util.ArrayList<>();
        for (String[] r : routes) {
            for (String[] c : conditions) {
                Reply ra = Harness.unchecked(h.port(), r[0], r[1].replace("GID", theirs), r[2], Harness.withToken(c[0], c[1]));
                Reply rb = Harness.unchecked(h.port(), r[0], r[1].replace("GID", missing), r[2], Harness.withToken(c[0], c[1]));
                String ma = ra.status() + " " + ra.body().replace(theirs, "ID").replaceAll("\"requestId\":\"[^\"]*\"", "");
                String mb = rb.status() + " " + rb.body().replace(missing, "ID").replaceAll("\"requestId\":\"[^\"]*\"", "");
                if (!ma.equals(mb)) {
                    differences.add(r[0] + " " + r[1] + " with " + c[0] + ": " + c[1] + ": theirs [" + ma + "] missing [" + mb + "]");
                }
            }
        }
        java.util.List<String> writes = h.spotRequests().stream().filter(q -> !"GET".equals(q.path("method").asText()))
                .map(JsonNode::toString).toList();
        assertThat(differences).as("answers that tell another org's group from a missing one").isEmpty();
        assertThat(writes).as("Spot writes").isEmpty();
    }

    /**
     * Attack (round 13's shared scrapes and 0.5 s {@code spotapi_redis_up}, sustained): Redis stalled (SIGSTOP) for
     * 5 s while 100 connections without a token scrape {@code /metrics} back to back (each waits for the scrape it joined:
     * ~1 s, two PINGs of 0.5 s). Meanwhile a monitor asks {@code /ping} and a caller with the token
     * {@code GET /main/instances/smi-00000000} (a Spot read, no Redis needed: 404) every 100 ms.
     *
     * <p>Expected: the scrapers do not stall the others: each read within 2 s (held: 42-458 ms; with Redis stalled and
     * no scraper the first reads take ~4 s, the control); each {@code /ping} within 5 s here, as the 100 scrapers run
     * in this JVM on the same 2 CPUs (measured 187-1,898 ms; the sandbox under wrk -c50 on /metrics, 4,768 scrapes/s:
     * worst /ping 17 ms).
     */
    @Test
    void sustainedScrapesDuringAStalledRedisDoNotStallOtherCallers() throws Exception {
        try (AttackRound13ReplicasTest.SnapshotRedis redis = new AttackRound13ReplicasTest.SnapshotRedis();
                dev.spotapi.sim.SpotSimulator sim = TestService.simulator()) {
            dev.spotapi.config.SpotClientSettings settings = Harness.quick();
            Harness a = Harness.of(TestService.replica(sim, settings, c -> c.withSharedState(
                    new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000))), settings);
            long pid = redis.pid();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(100);
            java.util.concurrent.atomic.AtomicBoolean run = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.atomic.AtomicInteger scrapes = new java.util.concurrent.atomic.AtomicInteger();
            try {
                Harness.awaitSharedStateUp(a.svc);
                assertThat(a.svc.call("GET", "/metrics", null, Map.of()).status()).isEqualTo(200);
                new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor();
                long controlRead = 0;
                for (int i = 0; i < 5; i++) { // the control: Redis stalled, no scraper
                    long t = System.nanoTime();
                    Harness.unchecked("http://127.0.0.1:" + a.port() + "/v1/spot", "GET", "/main/instances/smi-00000000",
                            null, Harness.withToken(), java.time.Duration.ofSeconds(10));
                    controlRead = Math.max(controlRead, Harness.millisSince(t));
                }
                for (int i = 0; i < 100; i++) {
                    pool.submit(() -> {
                        while (run.get()) {
                            try {
                                Harness.unchecked("http://127.0.0.1:" + a.port() + "/v1/spot", "GET", "/metrics", null, Map.of(), java.time.Duration.ofSeconds(10));
                                scrapes.incrementAndGet();
                            } catch (RuntimeException e) {
                                // counted by its absence
                            }
                        }
                    });
                }
                long worstPing = 0;
                long worstRead = 0;
                int reads = 0;
                long end = System.nanoTime() + 5_000_000_000L;
                while (System.nanoTime() < end) {
                    long t0 = System.nanoTime();
                    Reply ping = Harness.unchecked("http://127.0.0.1:" + a.port() + "/v1/spot", "GET", "/ping", null, Map.of(), java.time.Duration.ofSeconds(10));
                    worstPing = Math.max(worstPing, ping.status() == 200 ? Harness.millisSince(t0) : 99_999);
                    long t1 = System.nanoTime();
                    Reply read = Harness.unchecked("http://127.0.0.1:" + a.port() + "/v1/spot", "GET", "/main/instances/smi-00000000", null,
                            Harness.withToken(), java.time.Duration.ofSeconds(10));
                    worstRead = Math.max(worstRead, Harness.millisSince(t1));
                    reads++;
                    Thread.sleep(100);
                }
                String facts = String.format("%d scrapes by 100 connections in 5 s; worst /ping %d ms; worst read %d ms"
                        + " of %d; without scrapers (Redis stalled too) the worst of 5 reads %d ms", scrapes.get(), worstPing,
                        worstRead, reads, controlRead);
                System.out.println("[round15] " + facts);
                assertThat(worstPing).as(facts).isLessThan(5_000); // the load generator shares this JVM and 2 CPUs
                // owner's change: a read may meet one Redis timeout (2 s: the breaker's half-open trial) whatever the
                // scrapers do; it failed once at 2,014 ms beside other classes. The control without scrapers: ~4 s
                assertThat(worstRead).as(facts).isLessThan(2_500);
            } finally {
                run.set(false);
                new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor();
                pool.shutdownNow();
                pool.awaitTermination(15, java.util.concurrent.TimeUnit.SECONDS);
                TestService.closeAll(a);
            }
        }
    }
}
