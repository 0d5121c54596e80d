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
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Attack round 11, replicas: two spot-api replicas over one real Redis and one simulator; what Redis losing its
 * data (FLUSHALL, a restart without persistence) in the middle of work does to keyed actions, the write fence and
 * tasks.
 */
class AttackRound11ReplicasTest {
    /** Attempts of 800 ms, deadline 3 s, 3 attempts (as ReplicatedWritesTest). */
    private static final SpotClientSettings SETTINGS = new SpotClientSettings(1_000, 800, 3_000, 3, 20, 200, 0, 100);

    /** A test's steps with a Redis of their own and two replicas on it, in front of one simulator. */
    @FunctionalInterface
    private interface TwoReplicas {
        void run(RedisProcess redis, Harness a, Harness b) throws Exception;
    }

    /** Runs {@code steps} against a fresh Redis and simulator and two replicas, then stops them all. */
    private static void twoReplicas(TwoReplicas steps) throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            Harness a = replica(sim, redis);
            Harness b = replica(sim, redis);
            try {
                steps.run(redis, a, b);
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

    private static Harness replica(SpotSimulator sim, RedisProcess redis) {
        return Harness.of(TestService.replica(sim, SETTINGS,
                c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), SETTINGS);
    }

    static void flushAll(RedisProcess redis) {
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            assertThat(c.sync().flushall()).isEqualTo("OK");
        } finally {
            client.shutdown();
        }
    }

    /**
     * A keyed scale (up by 1) answered 200 by replica A; then Redis restarts without persistence (every record
     * gone, as after a failover to an empty replica or a restart of a cache-configured Redis); the client's retry
     * with the same key and body goes to replica B. A user expects the retry not to scale a second time (the
     * replay, or a clear error): keyed creates are protected against this (their correlation tag), keyed actions
     * are not.
     */
    @Test
    void aKeyedScaleRetriedOnTheOtherReplicaAfterRedisLostItsDataRunsOnce() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup(); // target 2
            a.clearRequestLog();
            String key = newKey();
            String path = "/main/elastigroups/" + id + "/scale";
            String body = "{\"direction\": \"up\", \"adjustment\": 1}";

            Reply first = keyed(a, "PUT", path, body, key);
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            redis.stop();
            redis.restart(); // empty: no persistence
            Reply retried = Harness.untilNot503(() -> keyed(b, "PUT", path, body, key));

            assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up"))
                    .as("the retry (answered %d %s) must not scale again", retried.status(), retried.body())
                    .isEqualTo(1);
            assertThat(a.stored(GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(3);
        });
    }

    /**
     * Replica A's PUT (target 3) is held by Spot 1.5 s, so A holds the object's write lease in Redis; Redis is
     * flushed meanwhile (FLUSHALL, or a restart without persistence); replica B's PUT (target 1) is then answered
     * 200. A's older write lands in Spot after B's acknowledged one: the group is left at 3, B's acknowledged write
     * lost. What a user expects is what the fence promises: B waits for A's write (or is 409, not sent), so the last
     * acknowledged write stays.
     */
    @Test
    void aWriteLeaseLostToAFlushDoesNotLetAnOlderWriteLandAfterANewerAcknowledgedOne() throws Exception {
        twoReplicas((redis, a, b) -> Harness.olderWriteAgainstNewer(a, b, 1_500, () -> flushAll(redis)));
    }

    /**
     * An async stop answered 202 (Spot shows PAUSING 3 s, then PAUSED), then Redis restarts without persistence
     * while the task runs. The caller polls the task on the other replica: it must end (completed, or failed with
     * a reason), never vanish ({@code {}} for a task that was answered 202) or stay unfinished forever.
     */
    @Test
    void anAcceptedTaskIsNotLostWhenRedisRestartsEmptyWhileItRuns() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(3_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            TestService a = Harness.taskReplica(sim, redis.url());
            TestService b = Harness.taskReplica(sim, redis.url());
            try {
                String instance = AttackRound6ReplicasTest.createInstance(a);
                String task = AttackRound6ReplicasTest.asyncStop(a, instance);
                AttackRound6ReplicasTest.awaitStatus(a, task, "running");
                redis.stop();
                redis.restart();

                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                JsonNode t = b.call("GET", "/flywheel?task=" + task, null).json().path(task);
                while (System.nanoTime() < until && !t.path("status").asText().matches("completed|failed")) {
                    Thread.sleep(100);
                    Reply r = b.call("GET", "/flywheel?task=" + task, null);
                    t = r.status() == 200 ? r.json().path(task) : t;
                }
                assertThat(t.path("status").asText())
                        .as("task %s answered 202, 15 s after Redis restarted empty (the stop itself finishes in 3 s): %s",
                                task, t)
                        .isIn("completed", "failed");
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

    /**
     * Spot answers replica A's group status read 429 with {@code Retry-After: 30}: spot-api holds the route (a
     * second read is 429 without reaching Spot). Then Redis restarts without persistence. Within Spot's 30 s the
     * same read on A (which saw the 429 itself) and on B reach Spot again: Spot keeps blocking a client that keeps
     * sending while blocked (contract section 9.2), so forgetting the hold lengthens the block. A user expects the
     * route to stay held for the rest of Spot's Retry-After.
     */
    @Test
    void spotsHoldIsNotForgottenWhenRedisRestartsEmpty() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup();
            String status = "/main/elastigroups/" + id + "/status";
            a.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "/*/status\",\"action\":\"status\",\"status\":429,"
                    + "\"retryAfter\":30,\"count\":1}");
            Harness.assertJsonError(a.get(status), 429);
            a.clearRequestLog();
            Harness.assertJsonError(a.get(status), 429);
            assertThat(a.countSpotRequests("GET", GROUPS + "/" + id + "/status")).as("held before the restart").isZero();

            redis.stop();
            redis.restart();
            // while a replica cannot reach Redis it keeps to the holds it saw itself (scaling.md): what must hold
            // is that once both are connected again, the hold A saw is back for B too
            Harness.awaitSharedStateUp(a.svc);
            Harness.awaitSharedStateUp(b.svc);
            Thread.sleep(600); // A looks at Redis's generation every 250 ms, then writes its hold back
            Reply onA = a.get(status);
            Reply onB = b.get(status);

            assertThat(a.countSpotRequests("GET", GROUPS + "/" + id + "/status"))
                    .as("calls to Spot's held route within its Retry-After (A answered %d, B %d)", onA.status(),
                            onB.status())
                    .isZero();
        });
    }

    /**
     * A keyed group create on replica A is held by Spot 1.5 s (A claimed the key and renewed its claim right before
     * sending); Redis is flushed meanwhile; the client's retry with the same key and body goes to replica B. B finds
     * no record (a first claim) and no object with the key's correlation tag yet (A's create is still in Spot), so it
     * creates too: two groups for one key. docs/reliability.md promises "a record lost to FLUSHALL or a Redis restart
     * without persistence cannot make a duplicate". A user expects one group (B waits, or a clear 409/503).
     */
    @Test
    void aKeyedCreateInFlightWhenRedisIsFlushedIsNotMadeAgainByTheRetryOnTheOtherReplica() throws Exception {
        twoReplicas((redis, a, b) -> {
            String key = newKey();
            String name = Harness.uniqueName("flushed-in-flight");
            com.fasterxml.jackson.databind.node.ObjectNode body = Harness.groupBody(name);
            a.clearRequestLog();
            a.fault("{\"method\":\"POST\",\"path\":\"" + GROUPS + "\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");
            CompletableFuture<Reply> first = CompletableFuture.supplyAsync(() -> keyed(a, "POST", "/main/elastigroups", body, key));
            a.awaitSpotRequests("POST", GROUPS, 1);
            flushAll(redis);
            Reply retried = keyed(b, "POST", "/main/elastigroups", body, key);
            Reply answered = first.get(15, TimeUnit.SECONDS);
            a.awaitSimulatorIdle();

            java.util.List<JsonNode> named = a.storedAll(GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).toList();
            assertThat(named.stream().map(g -> g.path("id").asText()).toList())
                    .as("groups in Spot for one key (A answered %d %s; B answered %d %s)", answered.status(),
                            answered.json().path("id"), retried.status(), retried.json().path("id"))
                    .hasSize(1);
        });
    }

    /**
     * Replica B's read of a group is held by Spot (it read the old state); replica A's PUT is then answered 200
     * (setting the account's write mark); Redis then loses its data (FLUSHALL); B's next read of the group, sent
     * after A's acknowledged PUT, must show it. The write mark after the flush is again "none", the same as when
     * B's first read started, so the new read joins the one in flight and answers the state from before the PUT.
     */
    @Test
    void aReadAfterAnAcknowledgedWriteSeesItEvenWhenRedisWasFlushedInBetween() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup();
            flushAll(redis); // as after an earlier restart of Redis: no write mark of the account yet
            Thread.sleep(2_000); // writes wait while the replicas write back what they held (RECOVERY_MS, 1.5 s)
            a.clearRequestLog();
            a.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "/" + id + "\",\"action\":\"delay\",\"delayMs\":1000,"
                    + "\"after\":true,\"count\":1}");
            CompletableFuture<Reply> early = CompletableFuture.supplyAsync(() -> b.get("/main/elastigroups/" + id));
            a.awaitSpotRequests("GET", GROUPS + "/" + id, 1);
            assertThat(early).as("B's first read still held by Spot").isNotDone();

            Reply update = a.call("PUT", "/main/elastigroups/" + id,
                    TestService.json("{\"description\": \"after the flush\"}"));
            assertThat(update.status()).as(update.body()).isEqualTo(200);
            flushAll(redis);
            assertThat(early).as("B's first read still held by Spot").isNotDone();
            Reply read = b.get("/main/elastigroups/" + id);

            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json().path("description").asText())
                    .as("B's read sent after A's acknowledged PUT").isEqualTo("after the flush");
            assertThat(early.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        });
    }

    /**
     * Eight tag merges of one group at once, alternating between the two replicas, each adding a tag of its own
     * (a read-modify-write of the group's tags): every merge answered 200 is in Spot's tags afterwards.
     */
    @Test
    void concurrentTagMergesThroughTwoReplicasLoseNoTag() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup();
            java.util.List<CompletableFuture<Reply>> merges = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Harness h = i % 2 == 0 ? a : b;
                String tag = "{\"tags\": {\"k" + i + "\": \"v" + i + "\"}}";
                merges.add(CompletableFuture.supplyAsync(() -> h.call("PUT", "/main/elastigroups/" + id + "/tags",
                        TestService.json(tag))));
            }
            java.util.List<String> acknowledged = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Reply r = merges.get(i).get(20, TimeUnit.SECONDS);
                assertThat(r.status()).as(r.body()).isIn(200, 409);
                if (r.status() == 200) {
                    acknowledged.add("k" + i);
                }
            }
            JsonNode tags = a.get("/main/elastigroups/" + id + "/tags").json().path("tags");
            assertThat(acknowledged).as("merges answered 200").isNotEmpty();
            for (String k : acknowledged) {
                assertThat(tags.has(k)).as("tag %s of a merge answered 200, in %s", k, tags).isTrue();
            }
        });
    }

    /**
     * The same keyed scale (up by 1) sent to both replicas at once, Spot taking 500 ms to scale: the group is
     * scaled once; the other answer is the replay or 409 with Retry-After.
     */
    @Test
    void theSameKeyedScaleSentToBothReplicasAtOnceScalesOnce() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup(); // target 2
            a.clearRequestLog();
            a.fault("{\"method\":\"PUT\",\"path\":\"" + GROUPS + "/*/scale/up\",\"action\":\"delay\",\"delayMs\":500}");
            String key = newKey();
            String path = "/main/elastigroups/" + id + "/scale";
            String body = "{\"direction\": \"up\", \"adjustment\": 1}";
            CompletableFuture<Reply> onA = CompletableFuture.supplyAsync(() -> keyed(a, "PUT", path, body, key));
            CompletableFuture<Reply> onB = CompletableFuture.supplyAsync(() -> keyed(b, "PUT", path, body, key));
            Reply ra = onA.get(15, TimeUnit.SECONDS);
            Reply rb = onB.get(15, TimeUnit.SECONDS);
            a.awaitSimulatorIdle();

            assertThat(java.util.List.of(ra.status(), rb.status())).as("%s / %s", ra.body(), rb.body())
                    .contains(200).allMatch(s -> s == 200 || s == 409);
            assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up")).as("scaled once").isEqualTo(1);
            assertThat(a.stored(GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(3);
        });
    }

}
