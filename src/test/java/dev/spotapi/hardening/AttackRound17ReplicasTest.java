package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.IdempotencyKeyTest.keyed;
import static dev.spotapi.hardening.IdempotencyKeyTest.newKey;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 17, replicas: two spot-api replicas over one real Redis while Spot is slow to <em>take</em> a keyed
 * create (it receives the request and creates the object seconds later, as a loaded Spot front end or a queue in
 * front of Spot's database does). The key's record and the create's correlation tag are the two guards against a
 * second object; neither sees a create that Spot has received but not yet made.
 */
// each test has its own Redis, simulator and replicas, and mostly waits: concurrent
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
class AttackRound17ReplicasTest {
    /** Attempts of 800 ms, deadline 3 s, 3 attempts; the orphan search lasts one attempt (800 ms). */
    private static final SpotClientSettings SETTINGS = new SpotClientSettings(1_000, 800, 3_000, 3, 20, 200, 0, 100);

    @TempDir
    Path dir;

    private static Harness replica(SpotSimulator sim, RedisProcess redis) {
        return Harness.of(TestService.replica(sim, SETTINGS,
                c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), SETTINGS);
    }

    private static List<JsonNode> named(Harness h, String name) {
        return h.storedAll(GROUPS).stream().filter(i -> name.equals(Harness.nameOf(i))).toList();
    }

    /**
     * The attack: Spot receives replica A's keyed group create and makes the group only 12 s later (the simulator's
     * {@code delay} before handling); A answers 504 at its deadline ("may still have been created", naming the
     * correlation tag: the orphan search found nothing yet); the client retries at once with the same key and body on
     * replica B (as a load balancer sends it). B looks for the tag, finds nothing (Spot has not made it yet) and
     * creates; then Spot makes A's. A's 504 itself says "a retry with the same Idempotency-Key finds it".
     *
     * <p>Expected: one group for one key. While the first attempt's request is still open toward Spot (A still waits
     * for its answer; its write fence keeps a 504'd change open until Spot answers), a retry with the key is 409
     * "still being processed" with {@code Retry-After} (or waits), never a second create.
     */
    @Test
    void aKeyedCreateStillHeldBySpotIsNotMadeAgainByARetryOnTheOtherReplica() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            Harness a = replica(sim, redis);
            Harness b = replica(sim, redis);
            try {
                String name = Harness.uniqueName("slowtake");
                String key = newKey();
                a.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":7000,"
                        + "\"count\":1}");
                long t0 = System.nanoTime();
                Reply first = keyed(a, "POST", "/main/elastigroups", Harness.groupBody(name), key);
                long firstMs = (System.nanoTime() - t0) / 1_000_000;
                Reply retry = keyed(b, "POST", "/main/elastigroups", Harness.groupBody(name), key);
                long retryMs = (System.nanoTime() - t0) / 1_000_000;
                System.out.printf("[a17] first on A %d after %d ms (%s); retry on B %d at %d ms (%s)%n", first.status(),
                        firstMs, first.body(), retry.status(), retryMs, retry.body());
                a.awaitSimulatorIdle();
                List<JsonNode> groups = named(a, name);
                assertThat(groups)
                        .as("one key, one group: first on A %d after %d ms (%s); retry on B %d at %d ms (%s); POSTs to"
                                + " Spot: %d", first.status(), firstMs, first.body(), retry.status(), retryMs,
                                retry.body(), a.countSpotRequests("POST", GROUPS))
                        .hasSize(1);
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }


    /**
     * The attack: Redis stalls (SIGSTOP: a frozen node, a long fork for a snapshot, a network partition that drops
     * packets rather than resetting) for 7 s under two replicas; meanwhile each replica is asked {@code /ready} (the
     * readiness probe: 2 s timeout, one failure takes the replica out), a plain group read, a plain group update and
     * a keyed scale; then Redis resumes (SIGCONT).
     *
     * <p>Expected, as docs/scaling.md promises for Redis down: {@code /ready} 200 well within the probe's 2 s (under
     * 1 s: it should not wait on Redis at all; an idle answer takes ~10 ms), with the
     * default {@code sharedState.timeoutMs} (1 s) deploy/k8s runs with (every replica shares this Redis: taking
     * them all out at once helps nobody); reads and writes without a key served, none
     * waiting on Redis longer than {@code sharedState.timeoutMs} (2 s) per Redis step; the keyed request 503 with
     * {@code Retry-After}, nothing run; once Redis is back, a keyed request is served again within 10 s.
     */
    @Test
    void aStalledRedisKeepsReplicasReadyAndServingAndTheyRecoverWhenItResumes() throws Exception {
        stalledRedis(true);
    }

    /**
     * (held) The same stall, without the readiness bound: a plain read and update served at once, the keyed scale
     * 503 with {@code Retry-After} at once (nothing run), a keyed scale served within 10 s of SIGCONT, /ready 200.
     */
    @Test
    void aStalledRedisLeavesPlainRequestsServedKeyedOnes503AndRecovers() throws Exception {
        stalledRedis(false);
    }

    private void stalledRedis(boolean checkReadyLatency) throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            // sharedState.timeoutMs 1000: the default, and what deploy/k8s runs with
            Harness a = Harness.of(TestService.replica(sim, SETTINGS,
                    c -> c.withSharedState(new SharedStateConfig(redis.url(), 1_000))), SETTINGS);
            Harness b = Harness.of(TestService.replica(sim, SETTINGS,
                    c -> c.withSharedState(new SharedStateConfig(redis.url(), 1_000))), SETTINGS);
            long pid = redis.pid();
            boolean stopped = false;
            try {
                String id = a.createGroup();
                String path = "/main/elastigroups/" + id;
                RedisProcess.signal("STOP", pid);
                stopped = true;
                StringBuilder seen = new StringBuilder();
                Reply readyA = null;
                Reply readyB = null;
                long readyAMs = 0;
                long readyBMs = 0;
                StringBuilder readies = new StringBuilder();
                for (int probe = 0; probe < 3; probe++) { // the probe asks every replica again and again
                    long t = System.nanoTime();
                    Reply r = a.get("/ready");
                    long took = ms(t);
                    readies.append(" A ").append(r.status()).append(" in ").append(took).append(" ms;");
                    if (readyA == null || r.status() != 200 || took > readyAMs) {
                        readyA = r.status() != 200 || readyA == null ? r : readyA;
                        readyAMs = Math.max(readyAMs, took);
                    }
                    t = System.nanoTime();
                    r = b.get("/ready");
                    took = ms(t);
                    readies.append(" B ").append(r.status()).append(" in ").append(took).append(" ms;");
                    if (readyB == null || r.status() != 200 || took > readyBMs) {
                        readyB = r.status() != 200 || readyB == null ? r : readyB;
                        readyBMs = Math.max(readyBMs, took);
                    }
                }
                seen.append("/ready:").append(readies).append(' ');
                long t0 = System.nanoTime();
                Reply read = b.get(path);
                long readMs = ms(t0);
                t0 = System.nanoTime();
                Reply update = a.call("PUT", path, "{\"name\": \"stalled\"}");
                long updateMs = ms(t0);
                t0 = System.nanoTime();
                Reply scale = keyed(b, "PUT", path + "/scale", "{\"direction\": \"up\", \"adjustment\": 1}", newKey());
                long scaleMs = ms(t0);
                seen.append(String.format("worst ready A %d in %d ms, worst ready B %d in %d ms, read %d in %d ms (%s), update %d in"
                        + " %d ms (%s), keyed scale %d in %d ms (%s)", readyA.status(), readyAMs, readyB.status(),
                        readyBMs, read.status(), readMs, clip(read.body()), update.status(), updateMs,
                        clip(update.body()), scale.status(), scaleMs, clip(scale.body())));
                System.out.println("[a17] stalled Redis: " + seen);
                RedisProcess.signal("CONT", pid);
                stopped = false;
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                Reply after = keyed(a, "PUT", path + "/scale", "{\"direction\": \"up\", \"adjustment\": 1}", newKey());
                while (after.status() == 503 && System.nanoTime() < until) {
                    Thread.sleep(250);
                    after = keyed(a, "PUT", path + "/scale", "{\"direction\": \"up\", \"adjustment\": 1}", newKey());
                }
                System.out.println("[a17] after SIGCONT: keyed scale " + after.status() + " " + clip(after.body()));
                assertThat(read.status()).as(seen.toString()).isEqualTo(200);
                assertThat(update.status()).as(seen.toString()).isEqualTo(200);
                assertThat(scale.status()).as(seen.toString()).isEqualTo(503);
                assertThat(scale.header("Retry-After")).as(seen.toString()).isNotNull();
                assertThat(after.status()).as("after SIGCONT: %s", after.body()).isEqualTo(200);
                assertThat(a.get("/ready").status()).isEqualTo(200);
                assertThat(readyA.status()).as(seen.toString()).isEqualTo(200);
                assertThat(readyB.status()).as(seen.toString()).isEqualTo(200);
                if (checkReadyLatency) {
                    // half the probe's 2 s: a readiness answer that does not wait on Redis takes ~10 ms (measured)
                    assertThat(Math.max(readyAMs, readyBMs)).as(seen.toString()).isLessThan(1_000);
                }
            } finally {
                if (stopped) {
                    RedisProcess.signal("CONT", pid);
                }
                TestService.closeAll(a, b);
            }
        }
    }

    /**
     * The attack: Redis stalls (SIGSTOP) under two replicas; a keyed scale (up by 1) on A meanwhile: A's claim
     * command times out (503 "the request was not run: retry later with the same Idempotency-Key"), but Redis still
     * holds it and runs it when it resumes (SIGCONT), so the key is claimed by an attempt that is over. The client
     * retries the same key and body on B as told (honouring Retry-After), then once more on A. Other inputs of the
     * kind: any keyed request (create, power, capacity) whose claim command times out but lands.
     *
     * <p>Expected: B's retry scales once (200) within a few seconds; the last retry is the replay; Spot saw exactly
     * one scale. Not: 409 "still being processed" for the key's whole lease, then the resumed claim's 502 "Spot may
     * or may not have carried out the action ... not run again" stored for the key, for an action that never ran.
     */
    @Test
    void aKeyedScaleRefusedDuringAStalledRedisRunsOnceWhenRetriedOnTheOtherReplicaAfterItResumes() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            Harness a = replica(sim, redis);
            Harness b = replica(sim, redis);
            long pid = redis.pid();
            boolean stopped = false;
            try {
                String id = a.createGroup(); // target 2
                String path = "/main/elastigroups/" + id + "/scale";
                String body = "{\"direction\": \"up\", \"adjustment\": 1}";
                String key = newKey();
                a.clearRequestLog();
                RedisProcess.signal("STOP", pid);
                stopped = true;
                Reply during = keyed(a, "PUT", path, body, key);
                RedisProcess.signal("CONT", pid);
                stopped = false;
                assertThat(during.status()).as(during.body()).isEqualTo(503);
                assertThat(during.header("Retry-After")).isNotNull();
                long t0 = System.nanoTime();
                long until = t0 + TimeUnit.SECONDS.toNanos(20);
                StringBuilder answers = new StringBuilder();
                Reply retried = keyed(b, "PUT", path, body, key);
                while ((retried.status() == 503 || retried.status() == 409) && System.nanoTime() < until) {
                    answers.append(retried.status()).append(' ');
                    Thread.sleep(500); // as its Retry-After asks (1-5 s), a little more often
                    retried = keyed(b, "PUT", path, body, key);
                }
                System.out.printf("[a17] stalled-then-retried: A %d (%s); B's retries %s; final %d after %d ms (%s)%n",
                        during.status(), clip(during.body()), answers, retried.status(), ms(t0), clip(retried.body()));
                assertThat(retried.status())
                        .as("A's 503 said the request was not run; the retry on B (answers before: %s) after %d ms: %s",
                                answers.toString().replaceAll("(\\d+ )\\1+", "$1... "), ms(t0), retried.body())
                        .isEqualTo(200);
                Reply replay = keyed(a, "PUT", path, body, key);
                assertThat(replay.status()).as(replay.body()).isEqualTo(200);
                assertThat(replay.header("Idempotency-Replayed")).isEqualTo("true");
                a.awaitSimulatorIdle();
                assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up")).isEqualTo(1);
                assertThat(a.stored(GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(3);
            } finally {
                if (stopped) {
                    RedisProcess.signal("CONT", pid);
                }
                TestService.closeAll(a, b);
            }
        }
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static String clip(String s) {
        return s == null ? "" : s.substring(0, Math.min(200, s.length()));
    }


    /** Waits until the simulator holds a request (A's create, received, not yet handled). */
    private static void awaitInProgress(Harness h) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (h.svc.sim("GET", "/_sim/requests?limit=1", null).json().path("inProgress").asInt() > 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("replica A never sent the create");
    }
}
