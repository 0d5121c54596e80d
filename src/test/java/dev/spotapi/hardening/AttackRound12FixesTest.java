package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.IdempotencyKeyTest.keyed;
import static dev.spotapi.hardening.IdempotencyKeyTest.newKey;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Attack round 12 on the fixes of round 11: the Redis generation guard ({@code RedisSharedState}), the cost ledger
 * kept in the shared state, the org-tag shape check, the verification lanes and the REFUSED metrics label. Each test
 * asserts what a user of such a service expects: a failing one is a finding.
 */
class AttackRound12FixesTest {
    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);
    /** Attempts of 800 ms, deadline 3 s, 3 attempts (as AttackRound11ReplicasTest). */
    private static final SpotClientSettings SETTINGS = new SpotClientSettings(1_000, 800, 3_000, 3, 20, 200, 0, 100);

    private static Harness replica(SpotSimulator sim, RedisProcess redis) {
        return Harness.of(TestService.replica(sim, SETTINGS,
                c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), SETTINGS);
    }

    /**
     * The cost ledger (deleted resources' costs) lives in Redis only. An instance of space S ran 20 h, was deleted
     * (its costs recorded), and S's roll-up counts them. Then Redis loses its data (FLUSHALL: as a restart without
     * persistence or a failover to an empty replica); the replica sees the loss (its generation check). A later
     * roll-up of S over the same days (a new window, so no cached answer) must still count the deleted instance's
     * costs, or at least say it is partial ({@code X-Cost-Partial}/{@code X-Cost-Missing}): never a silently lower
     * total presented as complete.
     */
    @Test
    void aRollUpAfterRedisLostItsDataNeverSilentlyOmitsDeletedResourcesCosts() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            Harness a = replica(sim, redis);
            try {
                LocalDate first = Harness.frozenToday(a.svc);
                String space = "space-" + System.nanoTime();
                BigDecimal cost = Harness.deletedAfterRunning(a, first, space, () -> { });

                AttackRound11ReplicasTest.flushAll(redis);
                Thread.sleep(600); // the replica looks at Redis's generation every 250 ms

                Reply after = Harness.untilNot503(() -> a.svc.call("GET", "/main/costs?start=" + first + "&end="
                        + first.plusDays(5) + "&space=" + space, null, TOKEN));
                assertThat(after.status()).as(after.body()).isEqualTo(200);
                boolean saysPartial = after.header("X-Cost-Partial") != null || after.header("X-Cost-Missing") != null;
                assertThat(saysPartial || Harness.costTotal(after.json()).compareTo(cost) == 0)
                        .as("after Redis lost its data the roll-up answered %s (before: %s) with no X-Cost-Partial:"
                                + " %s", Harness.costTotal(after.json()), cost, after.body())
                        .isTrue();
            } finally {
                TestService.closeAll(a);
            }
        }
    }

    /**
     * Two replicas that both knew Redis's generation. Replica A answered a keyed scale 200 (A holds the answer); Redis
     * is down 3 s (long enough for both replicas' reconnect backoff and breaker to reach their 2 s) and comes back
     * empty; the client retries on B until it is not a 503 (as it honours Retry-After). B's write-back window (1.5 s,
     * {@code spot-api:recovering}) is a fixed time, not "until the replicas that hold records wrote them back": when A
     * sees the loss later than 1.5 s after B, B takes the retry as new. Right: the retry never scales again.
     * Repeated 3 times (the order in which the two replicas see Redis again varies).
     */
    @Test
    void aKeyedRetryAfterALongerOutageWaitsForTheReplicaThatHoldsItsAnswer() throws Exception {
        for (int round = 0; round < 3; round++) {
            try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
                Harness a = replica(sim, redis);
                Harness b = replica(sim, redis);
                try {
                    String id = a.createGroup(); // target 2
                    a.clearRequestLog();
                    String key = newKey();
                    String path = "/main/elastigroups/" + id + "/scale";
                    String body = "{\"direction\": \"up\", \"adjustment\": 1}";
                    Reply first = keyed(a, "PUT", path, body, key);
                    assertThat(first.status()).as(first.body()).isEqualTo(200);

                    redis.stop();
                    Thread.sleep(3_000);
                    redis.restart(); // empty: no persistence
                    long t0 = System.nanoTime();
                    Reply retried = Harness.untilNot503(() -> keyed(b, "PUT", path, body, key));
                    long ms = (System.nanoTime() - t0) / 1_000_000;
                    System.out.printf("round12 outage 3 s, round %d: retry on B answered %d after %d ms%n", round,
                            retried.status(), ms);
                    assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up"))
                            .as("round %d: the retry on B (answered %d %s, %d ms after Redis was back) must not scale"
                                    + " again", round, retried.status(), retried.body(), ms)
                            .isEqualTo(1);
                } finally {
                    TestService.closeAll(a, b);
                }
            }
        }
    }

    private static java.net.InetAddress address(int a, int b) {
        try {
            return java.net.InetAddress.getByName("127.12." + a + "." + b);
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A well-formed made-up bcrypt hash of cost {@code cost}, distinct per {@code n}: bcrypt runs to refuse it. */
    private static String madeUp(int cost, int n) {
        String salt = String.format("%022d", n).replace('0', 'A');
        return String.format("$2a$%02d$", cost) + salt + "abcdefghijklmnopqrstuvwxyz12345";
    }

    /**
     * Behind one NAT or ingress address X (TokenVerifier's doc: "behind an ingress or a NAT every caller shares one
     * address") a misconfigured script spends X's failed-verification budget (10 wrong tokens). Meanwhile 8 other
     * addresses each send made-up cost-10 tokens one after the other, all within their own budgets (10 each). A
     * legitimate client at X then sends a valid cost-10 token nobody verified yet (a client that hashes the key per
     * call). Before round 11 it waited one turn per other waiting address (round-robin: ~9 bcrypt runs). Since round
     * 11 a past-budget address's check runs only when no within-budget check waits in the lane, with no bound: it
     * waits for every check the other addresses keep sending. Right (TokenVerifier's doc: "Not a lock-out ... a
     * valid token that nobody verified yet ... is still checked, after at most that many made-up ones from there"):
     * it is answered 200 after about one turn per waiting address, not after all of them.
     */
    @Test
    void aValidTokenFromASharedAddressPastItsBudgetIsNotStarvedByOtherAddresses() throws Exception {
        int cost = 10;
        int others = 8;
        try (Harness h = Harness.start(Harness.quick())) {
            byte[] target = "/v1/spot/main/instances".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            String fresh = dev.spotapi.auth.TokenVerifier.hash(TestService.KEY, cost);
            long baselineMs = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) { // a fresh token each time: one bcrypt run, idle
                String token = dev.spotapi.auth.TokenVerifier.hash(TestService.KEY, cost);
                long t = System.nanoTime();
                assertThat(RawHttp.send(h.port(), "GET", target, Map.of("X-Auth-Token", token), null, 10_000)
                        .status()).isEqualTo(200);
                baselineMs = Math.min(baselineMs, (System.nanoTime() - t) / 1_000_000);
            }
            java.net.InetAddress shared = address(0, 1);
            int wrong = 0;
            for (int i = 0; i < 40 && wrong < 10; i++) {
                int st = RawHttp.sendFrom(shared, h.port(), "GET", target, Map.of("X-Auth-Token", madeUp(4, i)), null,
                        5_000, s -> { }).status();
                wrong += st == 403 ? 1 : 0;
            }
            assertThat(wrong).as("X's budget spent").isEqualTo(10);

            java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(others);
            for (int a = 0; a < others; a++) {
                int addr = a;
                pool.execute(() -> {
                    for (int i = 0; i < 10 && !stop.get(); i++) {
                        RawHttp.sendFrom(address(1, 1 + addr), h.port(), "GET", target,
                                Map.of("X-Auth-Token", madeUp(cost, 1_000 + addr * 100 + i)), null, 60_000, s -> { });
                    }
                });
            }
            Thread.sleep(500);
            long t1 = System.nanoTime();
            int status = RawHttp.sendFrom(shared, h.port(), "GET", target, Map.of("X-Auth-Token", fresh), null, 60_000,
                    s -> { }).status();
            long ms = (System.nanoTime() - t1) / 1_000_000;
            stop.set(true);
            pool.shutdown();
            pool.awaitTermination(60, java.util.concurrent.TimeUnit.SECONDS);
            System.out.printf("round12: valid cost-%d token from a shared address past its budget, %d other addresses"
                    + " within theirs: %d after %d ms (one bcrypt run idle: %d ms)%n", cost, others, status, ms, baselineMs);
            assertThat(status).as("a valid token from X (%d ms)", ms).isEqualTo(200);
            assertThat(ms).as("a valid token from X while %d other addresses send within their budgets (one run idle:"
                    + " %d ms; round-robin: ~%d runs)", others, baselineMs, others + 1)
                    .isLessThan(2 * (others + 1) * baselineMs + 2_000);
        }
    }

    /** How many {@code spinup:org} tags with value {@code org} the stored object carries, and none with another value. */
    private static long orgTags(com.fasterxml.jackson.databind.JsonNode stored, String org) {
        long ours = 0;
        for (com.fasterxml.jackson.databind.JsonNode t : stored.path("compute").path("launchSpecification").path("tags")) {
            if (t.isObject() && "spinup:org".equals(t.path("tagKey").asText(null))) {
                assertThat(t.path("tagValue").asText()).as("an org tag of another value: %s", stored).isEqualTo(org);
                ours++;
            }
        }
        return ours;
    }

    /**
     * (held?) Tags arrays holding non-objects and nested nulls ({@code [null, "spinup:org", 5, [], {"tagKey": null},
     * {"tagKey": "spinup:org"}]}) on a create and on an update of a group and of a managed instance: either a 400
     * (nothing made or changed), or the object carries exactly one {@code spinup:org} = this org and its creator reads
     * it.
     */
    @Test
    void tagsArraysHoldingNonObjectsNeverLeaveAnObjectWithoutItsOrgTag() throws Exception {
        String odd = "[null, \"spinup:org\", 5, [], {\"tagKey\": null}, {\"tagKey\": \"spinup:org\"},"
                + " {\"tagKey\": \"spinup:org\", \"tagValue\": null}]";
        try (Harness h = Harness.start(Harness.quick())) {
            for (String kind : new String[] {"elastigroups", "instances"}) {
                String base = kind.equals("elastigroups") ? GROUPS : "/aws/ec2/managedInstance";
                ObjectNode body = kind.equals("elastigroups") ? Harness.groupBody(Harness.uniqueName("grp"))
                        : Harness.instanceBody(Harness.uniqueName("mi"));
                ((ObjectNode) body.path("compute").path("launchSpecification")).set("tags",
                        new com.fasterxml.jackson.databind.ObjectMapper().readTree(odd));
                Reply created = h.svc.call("POST", "/main/" + kind, body, TOKEN);
                if (created.status() == 200) {
                    String id = created.json().isTextual() ? created.json().asText() : created.json().path("id").asText();
                    assertThat(h.svc.call("GET", "/main/" + kind + "/" + id, null, TOKEN).status())
                            .as("the creator reads its %s", kind).isEqualTo(200);
                    com.fasterxml.jackson.databind.JsonNode stored = h.stored(base, id);
                    String ours = dev.spotapi.org.Ownership.tag(stored, "spinup:org");
                    assertThat(ours).as("org tag of the created %s: %s", kind, stored).isNotBlank();
                    assertThat(orgTags(stored, ours)).as("%s", stored).isEqualTo(1);
                    Reply updated = h.svc.call("PUT", "/main/" + kind + "/" + id,
                            TestService.json("{\"compute\": {\"launchSpecification\": {\"tags\": " + odd + "}}}"),
                            TOKEN);
                    assertThat(updated.status()).as(updated.body()).isIn(200, 400);
                    com.fasterxml.jackson.databind.JsonNode after = h.stored(base, id);
                    assertThat(orgTags(after, ours)).as("after the update (%d): %s", updated.status(), after)
                            .isEqualTo(1);
                } else {
                    assertThat(created.status()).as(created.body()).isEqualTo(400);
                }
            }
        }
    }

    /**
     * (held) Redis loses its data twice in a row, the second time inside the first write-back window: A answered a
     * keyed scale 200; FLUSHALL; 300 ms later (A saw it and wrote back) FLUSHALL again; the retry goes to B. It must
     * not scale again.
     */
    @Test
    void redisLosingItsDataTwiceInARowDuringTheWriteBackNeverRunsAKeyedActionTwice() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            Harness a = replica(sim, redis);
            Harness b = replica(sim, redis);
            try {
                String id = a.createGroup();
                a.clearRequestLog();
                String key = newKey();
                String path = "/main/elastigroups/" + id + "/scale";
                String body = "{\"direction\": \"up\", \"adjustment\": 1}";
                assertThat(keyed(a, "PUT", path, body, key).status()).isEqualTo(200);
                AttackRound11ReplicasTest.flushAll(redis);
                Thread.sleep(300);
                AttackRound11ReplicasTest.flushAll(redis);
                Reply retried = Harness.untilNot503(() -> keyed(b, "PUT", path, body, key));
                assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up"))
                        .as("the retry on B (answered %d %s) must not scale again", retried.status(), retried.body())
                        .isEqualTo(1);
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    /**
     * Without Redis, with {@code idempotency.stateFile}: the process is killed while it writes a delete's cost ledger
     * line (after Spot took the delete: the caller never gets an answer, and a retry finds the instance gone), so the
     * file ends with a torn ledger line. The next start skips it as "a write cut by a crash" (one WARN line). Right:
     * the space's roll-up over the instance's days then says it is partial ({@code X-Cost-Partial} or
     * {@code X-Cost-Missing}), as a ledger that lost entries to its bound does ('T' lines), or counts the cost; never a
     * lower total presented as complete.
     */
    @Test
    void aTornLedgerLineInTheStateFileNeverMakesARollUpSilentlyLower() throws Exception {
        try (SpotSimulator sim = TestService.simulator()) {
            int port = ServiceProcess.freePort();
            java.nio.file.Path config = dir.resolve("config.json");
            java.nio.file.Path state = dir.resolve("state").resolve("idempotency.jsonl");
            java.nio.file.Files.writeString(config, ServiceProcess.config(port, sim.baseUrl(),
                    "\"idempotency\": {\"stateFile\": \"" + state + "\"}"));
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            ServiceProcess.send("POST", sim.baseUrl() + "/_sim/clock/set", "{\"frozen\": true}", Map.of());
            LocalDate first = java.time.Instant.parse(TestService.JSON.readTree(ServiceProcess.send("GET", sim.baseUrl()
                    + "/_sim/clock", null, Map.of()).body()).path("now").asText()).atZone(java.time.ZoneOffset.UTC)
                    .toLocalDate();
            String space = "space-" + System.nanoTime();
            String window = base + "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space;
            BigDecimal before;
            String lastLine;
            Process one = ServiceProcess.start(config, dir.resolve("first.log"));
            try {
                ServiceProcess.awaitUp(one, base, dir.resolve("first.log"));
                var created = ServiceProcess.send("POST", base + "/main/instances", Harness.tagged(
                        Harness.instanceBody(Harness.uniqueName("mi")), "spinup:spaceid", space).toString(), Map.of());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
                var id = TestService.JSON.readTree(created.body());
                String instance = id.isTextual() ? id.asText() : id.path("id").asText();
                ServiceProcess.send("POST", sim.baseUrl() + "/_sim/clock/advance", "{\"hours\": 30}", Map.of());
                before = Harness.costTotal(TestService.JSON.readTree(ServiceProcess.send("GET", window, null, Map.of())
                        .body()));
                assertThat(before).isPositive();
                var deleted = ServiceProcess.send("DELETE", base + "/main/instances/" + instance, null, Map.of());
                assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
                one.destroyForcibly();
                assertThat(one.waitFor(20, TimeUnit.SECONDS)).isTrue();
            } finally {
                one.destroyForcibly();
            }
            // the kill came while the last line was written: only its first half reached the disk
            java.util.List<String> lines = new java.util.ArrayList<>(java.nio.file.Files.readAllLines(state));
            lastLine = lines.remove(lines.size() - 1);
            assertThat(lastLine).as("the last line is a ledger entry").contains("\"s\":\"L\"");
            java.nio.file.Files.writeString(state, String.join("\n", lines) + (lines.isEmpty() ? "" : "\n")
                    + lastLine.substring(0, lastLine.length() / 2));
            Process two = ServiceProcess.start(config, dir.resolve("second.log"));
            try {
                ServiceProcess.awaitUp(two, base, dir.resolve("second.log"));
                var after = ServiceProcess.send("GET", window, null, Map.of());
                assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
                boolean saysPartial = after.headers().firstValue("X-Cost-Partial").isPresent()
                        || after.headers().firstValue("X-Cost-Missing").isPresent();
                BigDecimal total = Harness.costTotal(TestService.JSON.readTree(after.body()));
                assertThat(saysPartial || total.compareTo(before) == 0)
                        .as("after the torn ledger line the roll-up answered %s (before: %s), no X-Cost-Partial: %s",
                                total, before, after.body())
                        .isTrue();
            } finally {
                two.destroyForcibly();
                two.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
