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
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Attack round 13, replicas: two spot-api replicas over one real Redis that comes back with <em>older</em> data, not
 * none (a restart from an RDB snapshot taken seconds earlier after a crash, or a failover to a lagging replica):
 * Redis's generation ({@code spot-api:generation}) is the same as before, but every claim, answer, lease and task
 * record written after the snapshot is gone.
 */
// each test has its own Redis, simulator and replicas, and mostly waits (a snapshot's restart, a 10 s lease): concurrent
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
class AttackRound13ReplicasTest {
    /** Attempts of 800 ms, deadline 3 s, 3 attempts (as ReplicatedWritesTest). */
    private static final SpotClientSettings SETTINGS = new SpotClientSettings(1_000, 800, 3_000, 3, 20, 200, 0, 100);

    /**
     * A real redis-server with an RDB file in a directory of its own: {@link #save()} takes a snapshot,
     * {@link #crashAndRestartFromSnapshot()} kills the process with SIGKILL (no final save) and starts a new one on
     * the same port and directory, which loads the snapshot: Redis is back with the data of the last SAVE.
     */
    static final class SnapshotRedis implements AutoCloseable {
        final Path dir;
        final RedisProcess redis;

        SnapshotRedis() throws IOException {
            dir = Files.createTempDirectory("a13-redis");
            redis = RedisProcess.startIn(dir);
        }

        String url() {
            return redis.url();
        }

        <T> T with(java.util.function.Function<StatefulRedisConnection<String, String>, T> f) {
            RedisClient client = RedisClient.create(url());
            try (StatefulRedisConnection<String, String> c = client.connect()) {
                return f.apply(c);
            } finally {
                client.shutdown();
            }
        }

        void save() {
            String ok = with(c -> c.sync().save());
            assertThat(ok).isEqualTo("OK");
        }

        long keys() {
            return with(c -> c.sync().dbsize());
        }

        /** The redis-server process's id (INFO server). */
        long pid() {
            String info = with(c -> c.sync().info("server"));
            return info.lines().filter(l -> l.startsWith("process_id:")).map(l -> Long.parseLong(l.substring(11).trim()))
                    .findFirst().orElseThrow();
        }

        void crashAndRestartFromSnapshot() throws Exception {
            ProcessHandle p = ProcessHandle.of(pid()).orElseThrow();
            p.destroyForcibly(); // SIGKILL: no save at exit
            p.onExit().get(5, TimeUnit.SECONDS);
            try {
                redis.stop();
            } catch (RuntimeException goneAlready) {
                // the process is gone already
            }
            redis.restart(); // loads the last SAVE's dump.rdb
        }

        @Override
        public void close() throws IOException {
            redis.close();
            try (var files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    @FunctionalInterface
    private interface TwoReplicas {
        void run(SnapshotRedis redis, Harness a, Harness b) throws Exception;
    }

    private static void twoReplicas(TwoReplicas steps) throws Exception {
        try (SnapshotRedis redis = new SnapshotRedis(); SpotSimulator sim = TestService.simulator()) {
            Harness a = replica(sim, redis);
            Harness b = replica(sim, redis);
            try {
                steps.run(redis, a, b);
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

    private static Harness replica(SpotSimulator sim, SnapshotRedis redis) {
        return Harness.of(TestService.replica(sim, SETTINGS,
                c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), SETTINGS);
    }

    /**
     * Redis snapshot (SAVE); a keyed scale (up by 1) answered 200 by replica A; Redis then crashes (SIGKILL) and
     * restarts from that snapshot, taken a moment before the key was claimed (as {@code appendfsync everysec} loses
     * up to a second, an RDB-only Redis minutes, a failover to a lagging replica what it had not copied); the client's
     * retry with the same key and body goes to replica B. A user expects the replay (or a clear 503), never a second
     * scale: the generation guard of round 11 sees nothing, the generation is the snapshot's.
     */
    @Test
    void aKeyedScaleRetriedAfterRedisCameBackFromAnOlderSnapshotRunsOnce() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup(); // target 2
            a.clearRequestLog();
            String key = newKey();
            String path = "/main/elastigroups/" + id + "/scale";
            String body = "{\"direction\": \"up\", \"adjustment\": 1}";
            redis.save();

            Reply first = keyed(a, "PUT", path, body, key);
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            redis.crashAndRestartFromSnapshot();
            Harness.awaitSharedStateUp(a.svc);
            Harness.awaitSharedStateUp(b.svc);
            Thread.sleep(600); // every replica looks at the generation every 250 ms
            Reply retried = Harness.untilNot503(() -> keyed(b, "PUT", path, body, key));
            a.awaitSimulatorIdle();

            assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up"))
                    .as("the retry (answered %d %s, replayed: %s) must not scale again", retried.status(),
                            retried.body(), retried.header("Idempotency-Replayed"))
                    .isEqualTo(1);
            assertThat(a.stored(GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(3);
        });
    }

    /**
     * The same on the same replica: SAVE, a keyed scale answered 200 by A, Redis back from the snapshot, the retry on
     * A itself (which still holds the answer it gave in memory for the round-11 write-back). A user expects the replay.
     */
    @Test
    void aKeyedScaleRetriedOnTheSameReplicaAfterRedisCameBackFromAnOlderSnapshotRunsOnce() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup();
            a.clearRequestLog();
            String key = newKey();
            String path = "/main/elastigroups/" + id + "/scale";
            String body = "{\"direction\": \"up\", \"adjustment\": 1}";
            redis.save();

            Reply first = keyed(a, "PUT", path, body, key);
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            redis.crashAndRestartFromSnapshot();
            Harness.awaitSharedStateUp(a.svc);
            Thread.sleep(600);
            Reply retried = Harness.untilNot503(() -> keyed(a, "PUT", path, body, key));
            a.awaitSimulatorIdle();

            assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up"))
                    .as("the retry on A (answered %d %s, replayed: %s) must not scale again", retried.status(),
                            retried.body(), retried.header("Idempotency-Replayed"))
                    .isEqualTo(1);
        });
    }

    /**
     * SAVE; replica A's PUT (target 3) held by Spot 3 s, so A holds the object's write lease in Redis (taken after
     * the snapshot); Redis crashes and comes back from the snapshot (no lease); replica B's PUT (target 1) is then
     * answered 200; A's older write lands afterwards. A user expects the fence's promise: B waits for A's write or
     * is 409 not sent, so the last acknowledged write (target 1) stays.
     */
    @Test
    void aWriteLeaseLostToAnOlderSnapshotDoesNotLetAnOlderWriteLandAfterANewerAcknowledgedOne() throws Exception {
        twoReplicas((redis, a, b) -> {
            redis.save(); // before A's lease is taken
            Harness.olderWriteAgainstNewer(a, b, 4_000, () -> {
                redis.crashAndRestartFromSnapshot();
                Harness.awaitSharedStateUp(b.svc);
                Thread.sleep(600);
            });
        });
    }

    /**
     * SAVE; an async stop answered 202 (Spot shows PAUSING 3 s, then PAUSED) and running; Redis crashes and comes
     * back from the snapshot taken before the task existed (its record and stream entry gone, the generation the
     * same). The caller polls the task on the other replica: it must end (completed or failed), never vanish
     * ({@code {}} for a task answered 202) or stay unfinished.
     */
    @Test
    void anAcceptedTaskIsNotLostWhenRedisComesBackFromAnOlderSnapshot() throws Exception {
        try (SnapshotRedis redis = new SnapshotRedis();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(3_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            TestService a = Harness.taskReplica(sim, redis.url());
            TestService b = Harness.taskReplica(sim, redis.url());
            try {
                String instance = AttackRound6ReplicasTest.createInstance(a);
                // an earlier task, so the stream and its group are in the snapshot (the usual case of a live system)
                String earlier = AttackRound6ReplicasTest.asyncStop(a, AttackRound6ReplicasTest.createInstance(a));
                AttackRound6ReplicasTest.awaitStatus(a, earlier, "completed");
                redis.save();
                String task = AttackRound6ReplicasTest.asyncStop(a, instance);
                AttackRound6ReplicasTest.awaitStatus(a, task, "running");
                redis.crashAndRestartFromSnapshot();

                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                JsonNode t = b.call("GET", "/flywheel?task=" + task, null).json().path(task);
                while (System.nanoTime() < until && !t.path("status").asText().matches("completed|failed")) {
                    Thread.sleep(100);
                    Reply r = b.call("GET", "/flywheel?task=" + task, null);
                    t = r.status() == 200 ? r.json().path(task) : t;
                }
                assertThat(t.path("status").asText())
                        .as("task %s answered 202, 15 s after Redis came back from an older snapshot (the stop itself"
                                + " finishes in 3 s): %s", task, t)
                        .isIn("completed", "failed");
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

    /**
     * (expected to hold: the correlation tag) SAVE; a keyed group create answered 200 on A; Redis back from the
     * snapshot; the retry with the key on B: one group, B answers its id.
     */
    @Test
    void aKeyedCreateRetriedAfterRedisCameBackFromAnOlderSnapshotMakesOneGroup() throws Exception {
        twoReplicas((redis, a, b) -> {
            String key = newKey();
            String name = Harness.uniqueName("snapshot-create");
            com.fasterxml.jackson.databind.node.ObjectNode body = Harness.groupBody(name);
            redis.save();
            Reply first = keyed(a, "POST", "/main/elastigroups", body, key);
            assertThat(first.status()).as(first.body()).isEqualTo(200);
            redis.crashAndRestartFromSnapshot();
            Harness.awaitSharedStateUp(b.svc);
            Thread.sleep(600);
            Reply retried = Harness.untilNot503(() -> keyed(b, "POST", "/main/elastigroups", body, key));
            a.awaitSimulatorIdle();

            java.util.List<JsonNode> named = a.storedAll(GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).toList();
            assertThat(named).as("groups for one key (retry answered %d %s)", retried.status(), retried.body()).hasSize(1);
            assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        });
    }

    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);

    /**
     * The cost ledger (deleted resources' costs, in Redis only): an instance of space S runs 20 h; Redis snapshot
     * (SAVE); the instance is deleted (its costs recorded in the ledger) and S's roll-up counts them; Redis crashes
     * and comes back from the snapshot (the ledger entry gone, the generation the same, so no
     * {@code spot-api:lost-at}). A later roll-up of S (a new window, no cached answer) must still count the deleted
     * instance, or say {@code X-Cost-Missing}/{@code X-Cost-Partial}: never a silently lower total given as complete.
     */
    @Test
    void aRollUpAfterRedisCameBackFromAnOlderSnapshotNeverSilentlyOmitsADeletedInstancesCosts() throws Exception {
        try (SnapshotRedis redis = new SnapshotRedis(); SpotSimulator sim = TestService.simulator()) {
            Harness a = replica(sim, redis);
            try {
                java.time.LocalDate first = Harness.frozenToday(a.svc);
                String space = "space-" + System.nanoTime();
                java.math.BigDecimal cost = Harness.deletedAfterRunning(a, first, space, redis::save);

                redis.crashAndRestartFromSnapshot();
                Harness.awaitSharedStateUp(a.svc);
                Thread.sleep(600);

                Reply after = Harness.untilNot503(() -> a.svc.call("GET", "/main/costs?start=" + first + "&end="
                        + first.plusDays(5) + "&space=" + space, null, TOKEN));
                assertThat(after.status()).as(after.body()).isEqualTo(200);
                boolean saysPartial = after.header("X-Cost-Partial") != null || after.header("X-Cost-Missing") != null;
                assertThat(saysPartial || Harness.costTotal(after.json()).compareTo(cost) == 0)
                        .as("after Redis came back from an older snapshot the roll-up answered %s (before: %s), no"
                                + " X-Cost-Partial/X-Cost-Missing: %s", Harness.costTotal(after.json()), cost, after.body())
                        .isTrue();
            } finally {
                TestService.closeAll(a);
            }
        }
    }

    /**
     * An async stop answered 202 and running (Spot shows PAUSING 3 s); Redis snapshot (SAVE) while it runs; the
     * task completes and the caller sees {@code completed}; Redis then crashes and comes back from the snapshot
     * (the task's record says running, its stream entry pending again). A user who saw {@code completed} expects
     * the task to stay completed (never running again) and no second stop sent to Spot.
     */
    @Test
    void aCompletedTaskNeverGoesBackToRunningWhenRedisComesBackFromAnOlderSnapshot() throws Exception {
        try (SnapshotRedis redis = new SnapshotRedis();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(2_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            TestService a = Harness.taskReplica(sim, redis.url());
            TestService b = Harness.taskReplica(sim, redis.url());
            try {
                String instance = AttackRound6ReplicasTest.createInstance(a);
                String task = AttackRound6ReplicasTest.asyncStop(a, instance);
                AttackRound6ReplicasTest.awaitStatus(a, task, "running");
                redis.save();
                AttackRound6ReplicasTest.awaitStatus(a, task, "completed");
                AttackRound6ReplicasTest.awaitStatus(b, task, "completed");
                redis.crashAndRestartFromSnapshot();
                Harness.awaitSharedStateUp(a);
                Harness.awaitSharedStateUp(b);

                java.util.List<String> seen = new java.util.ArrayList<>();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
                while (System.nanoTime() < until) {
                    for (TestService s : java.util.List.of(a, b)) {
                        Reply r = s.call("GET", "/flywheel?task=" + task, null);
                        if (r.status() == 503) {
                            continue; // the task store reconnecting: an honest "retry", not a state
                        }
                        String st = r.status() == 200 ? r.json().path(task).path("status").asText("<absent>") : "HTTP " + r.status();
                        if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(st)) {
                            seen.add(st);
                        }
                    }
                    Thread.sleep(100);
                }
                long stops = Harness.of(a, TestService.fastSettings()).spotRequests().stream()
                        .filter(e -> e.path("path").asText().endsWith(instance + "/pause")).count();
                assertThat(seen).as("statuses of task %s after Redis came back from a snapshot taken while it ran"
                        + " (it was completed before); stop calls at Spot: %d", task, stops).containsOnly("completed");
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

    /** What a zombie test checks once A's write landed: B's acknowledged write is still there. */
    @FunctionalInterface
    private interface AfterZombie {
        void check(Harness b, String id, Reply acknowledged, java.net.http.HttpResponse<String> zombie) throws Exception;
    }

    /**
     * A "zombie" replica: replica A (its own JVM) sends {@code aBody} to {@code aPath} of a new group, a change that
     * reads the group inside its write fence (the Redis lease) and then writes what it computed from that read. A's
     * org check reads the group first (held 1 s), then Spot holds A's fenced read 12 s (its reply carries the group
     * as it was); A is paused (SIGSTOP: a GC pause, a frozen node, a throttled container) right after sending it, so
     * its lease is not renewed and runs out (10 s). Replica B's change ({@code bBody} to {@code bPath}) is sent until
     * it is answered 200 (409 while A's lease lasts). Then A is resumed (SIGCONT), gets its read and writes.
     */
    private static void zombie(String aPath, String aBody, String bPath, String bBody, AfterZombie after) throws Exception {
        Path dir = Files.createTempDirectory("a13-zombie");
        try (SnapshotRedis redis = new SnapshotRedis(); SpotSimulator sim = TestService.simulator()) {
            Harness b = replica(sim, redis);
            int port = ServiceProcess.freePort();
            Process a = ServiceProcess.startUp(dir, port, sim.baseUrl(),
                    "\"sharedState\": {\"redisUrl\": \"" + redis.url() + "\", \"timeoutMs\": 2000},"
                    + " \"spot\": {\"attemptTimeoutMs\": 20000, \"deadlineMs\": 25000, \"maxAttempts\": 1}",
                    dir.resolve("replica-a.log"));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                String id = b.createGroup(); // 1/3/2
                b.clearRequestLog();
                b.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "/" + id + "\",\"action\":\"delay\",\"delayMs\":1000,"
                        + "\"after\":true,\"count\":1}");
                String baseA = "http://127.0.0.1:" + port + "/v1/spot";
                java.util.concurrent.Future<java.net.http.HttpResponse<String>> first = pool.submit(() -> ServiceProcess.send(
                        "PUT", baseA + "/main/elastigroups/" + id + aPath, aBody, Map.of()));
                TaskReplicaCrashTest.awaitInProgress(sim);
                b.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "/" + id + "\",\"action\":\"delay\",\"delayMs\":12000,"
                        + "\"after\":true,\"count\":1}");
                Thread.sleep(1_300); // A's org check answered (the log has a request when Spot handled it, before its hold)
                b.awaitSpotRequests("GET", GROUPS + "/" + id, 2);
                assertThat(b.countSpotRequests("GET", GROUPS + "/" + id)).as("A's two reads, the second held").isEqualTo(2);
                long paused = System.nanoTime();
                AttackRound6ReplicasTest.signal(a, "STOP");

                Reply update = null;
                java.util.List<Integer> statuses = new java.util.ArrayList<>();
                while (System.nanoTime() - paused < TimeUnit.SECONDS.toNanos(11)) {
                    update = b.call("PUT", "/main/elastigroups/" + id + bPath, TestService.json(bBody));
                    statuses.add(update.status());
                    if (update.status() == 200) {
                        break;
                    }
                    Thread.sleep(200);
                }
                AttackRound6ReplicasTest.signal(a, "CONT");
                java.net.http.HttpResponse<String> zombie = first.get(30, TimeUnit.SECONDS);
                b.awaitSimulatorIdle();
                assertThat(update.status()).as("B's change while A was paused: %s", statuses).isEqualTo(200);
                after.check(b, id, update, zombie);
            } finally {
                pool.shutdownNow();
                AttackRound6ReplicasTest.signal(a, "CONT");
                a.destroyForcibly();
                a.waitFor(10, TimeUnit.SECONDS);
                TestService.closeAll(b);
            }
        }
    }

    /**
     * {@link #zombie}: A stops the group (reads its capacity 1/3/2, writes 0/0/0 and the tag
     * {@code spot-api:stopped-capacity}); B's capacity update (1/5/3) is answered 200 after A's lease ran out. A user
     * expects what GroupPowerRaceTest promises within one replica, cluster-wide: a capacity update answered while the
     * stop ran survives stop and start (the stop remembers 1/5/3), or the stop does not write (its lease was lost).
     */
    @Test
    void aPausedReplicaWhoseWriteLeaseRanOutDoesNotUndoACapacityUpdateAnsweredMeanwhile() throws Exception {
        zombie("/power", "{\"state\": \"stop\"}", "/capacity", "{\"minimum\": 1, \"maximum\": 5, \"target\": 3}",
                (b, id, acknowledged, stopped) -> {
                    JsonNode afterStop = b.stored(GROUPS, id);
                    Reply start = b.call("PUT", "/main/elastigroups/" + id + "/power", TestService.json("{\"state\": \"start\"}"));
                    JsonNode c = b.stored(GROUPS, id).path("capacity");
                    assertThat(java.util.List.of(c.path("minimum").asInt(), c.path("maximum").asInt(), c.path("target").asInt()))
                            .as("B's capacity update (1/5/3) was answered 200 while A's stop was running (A answered %d %s;"
                                    + " after the stop: capacity %s, tags %s; the start answered %d)", stopped.statusCode(),
                                    stopped.body(), afterStop.path("capacity"), afterStop.path("compute")
                                            .path("launchSpecification").path("tags"), start.status())
                            .containsExactly(1, 5, 3);
                });
    }

    /**
     * {@link #zombie}: A merges the tag {@code a=1} into the group's tags (read, merge, write the whole array); B's
     * merge of {@code b=2} is answered 200 (its answer lists {@code b}) after A's lease ran out. A user expects both
     * tags afterwards (AttackRound11ReplicasTest's concurrent merges, with one replica paused).
     */
    @Test
    void aPausedReplicasTagMergeDoesNotDropATagAnotherReplicaAcknowledgedMeanwhile() throws Exception {
        zombie("/tags", "{\"tags\": {\"a\": \"1\"}}", "/tags", "{\"tags\": {\"b\": \"2\"}}",
                (b, id, acknowledged, merged) -> {
                    JsonNode tags = b.get("/main/elastigroups/" + id + "/tags").json().path("tags");
                    assertThat(tags.has("b"))
                            .as("B's merge of b=2 was answered 200 (%s) while A's merge ran; A answered %d %s; tags now %s",
                                    acknowledged.body(), merged.statusCode(), merged.body(), tags)
                            .isTrue();
                });
    }

    /**
     * (Owner's, after the fix of the two tests above.) Writes inside a fence while Redis is down: a tag merge and a
     * group stop, each a read and a write under the object's write fence. As every write while Redis cannot be
     * reached, they go through, ordered per replica only ({@code SharedState#tryLease} grants the lease then): the
     * lease check before the write must not refuse them for want of Redis, nor a lease granted while it was down once
     * it is back.
     */
    @Test
    void writesInsideAFenceGoThroughWhileRedisIsDownAndAfterItIsBack() throws Exception {
        twoReplicas((redis, a, b) -> {
            String id = a.createGroup();
            redis.redis.stop();
            Reply merged = a.call("PUT", "/main/elastigroups/" + id + "/tags", TestService.json("{\"tags\": {\"a\": \"1\"}}"));
            assertThat(merged.status()).as(merged.body()).isEqualTo(200);
            Reply stopped = a.call("PUT", "/main/elastigroups/" + id + "/power", TestService.json("{\"state\": \"stop\"}"));
            assertThat(stopped.status()).as(stopped.body()).isEqualTo(204);
            redis.redis.restart();
            Harness.awaitSharedStateUp(a.svc);
            Reply started = a.call("PUT", "/main/elastigroups/" + id + "/power", TestService.json("{\"state\": \"start\"}"));
            assertThat(started.status()).as(started.body()).isEqualTo(204);
            assertThat(a.stored(GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(2);
            JsonNode tags = a.get("/main/elastigroups/" + id + "/tags").json().path("tags");
            assertThat(tags.path("a").asText()).as("tags %s", tags).isEqualTo("1");
        });
    }

    /**
     * Read-after-write across a Redis that comes back from an older snapshot: replica B's read of a group is held by
     * Spot (it read the old state); Redis snapshot (SAVE, the account's write mark as it was when B's read started);
     * replica A's PUT is then answered 200 (a new write mark); Redis crashes and comes back from the snapshot (the
     * write mark back to the value B's held read was started under). B's next read of the group, sent after A's
     * acknowledged PUT, must show it (docs/scaling.md: a GET never shares a read that started before a write any
     * replica acknowledged).
     */
    @Test
    void aReadAfterAnAcknowledgedWriteSeesItWhenRedisCameBackFromAnOlderSnapshot() throws Exception {
        SpotClientSettings patient = new SpotClientSettings(1_000, 8_000, 10_000, 1, 20, 200, 0, 100);
        try (SnapshotRedis redis = new SnapshotRedis(); SpotSimulator sim = TestService.simulator()) {
            Harness a = Harness.of(TestService.replica(sim, patient,
                    c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), patient);
            Harness b = Harness.of(TestService.replica(sim, patient,
                    c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), patient);
            try {
            String id = a.createGroup();
            a.clearRequestLog();
            a.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "/" + id + "\",\"action\":\"delay\",\"delayMs\":5000,"
                    + "\"after\":true,\"count\":1}");
            CompletableFuture<Reply> early = CompletableFuture.supplyAsync(() -> b.get("/main/elastigroups/" + id));
            a.awaitSpotRequests("GET", GROUPS + "/" + id, 1);
            redis.save();
            Reply update = a.call("PUT", "/main/elastigroups/" + id, TestService.json("{\"description\": \"after the snapshot\"}"));
            assertThat(update.status()).as(update.body()).isEqualTo(200);
            redis.crashAndRestartFromSnapshot();
            Harness.awaitSharedStateUp(b.svc);
            assertThat(early).as("B's first read still held by Spot").isNotDone();
            Reply read = b.get("/main/elastigroups/" + id);

            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json().path("description").asText())
                    .as("B's read sent after A's acknowledged PUT, while B's read started before it was still held by Spot")
                    .isEqualTo("after the snapshot");
            assertThat(early.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }

}
