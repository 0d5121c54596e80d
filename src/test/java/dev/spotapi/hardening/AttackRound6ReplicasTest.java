package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 6, replicas: several spot-api replicas over one real Redis (and one simulator); durable tasks
 * when a replica is paused (SIGSTOP/SIGCONT) or slow, and what replicas share in Redis.
 */
// each test has its own Redis, simulator and replicas, and mostly waits for leases to run out: they run side by side
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT)
class AttackRound6ReplicasTest {
    @TempDir
    Path dir;

    /**
     * Replica A (its own JVM) runs an async stop's task and is paused (SIGSTOP) before the instance is PAUSED.
     * Replica B takes the task over after the lease and completes it. A is resumed (SIGCONT) after the task's
     * deadline: a task answered {@code completed} must stay completed (a finished task is final), not be
     * turned into {@code failed} ("deadline ... passed") by the replica that lost it.
     */
    @Test
    void aCompletedTaskStaysCompletedWhenThePausedReplicaThatLostItResumes() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(3_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            int port = ServiceProcess.freePort();
            Path output = dir.resolve("replica-a.log");
            Process a = ServiceProcess.startUp(dir, port, sim.baseUrl(),
                    "\"sharedState\": {\"redisUrl\": \"" + redis.url() + "\", \"timeoutMs\": 2000},"
                    + " \"tasks\": {\"pollMs\": 50, \"leaseSeconds\": 2, \"staleSeconds\": 120,"
                    + " \"deadlineSeconds\": {\"instancePower\": 8}}", output);
            try {
                String baseA = "http://127.0.0.1:" + port + "/v1/spot";
                HttpResponse<String> made = ServiceProcess.send("POST", baseA + "/main/instances",
                        Harness.instanceBody(Harness.uniqueName("paused")).toString(), Map.of());
                assertThat(made.statusCode()).as(made.body()).isEqualTo(200);
                String instance = TestService.JSON.readTree(made.body()).asText();
                // a stop: Spot shows PAUSING for 3 s, then PAUSED
                HttpResponse<String> accepted = ServiceProcess.send("PUT", baseA + "/main/instances/" + instance + "/power",
                        "{\"state\":\"stop\"}", Map.of("Prefer", "respond-async"));
                long created = System.nanoTime();
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                String task = accepted.headers().firstValue("X-Flywheel-Task").orElseThrow();
                TaskReplicaCrashTest.awaitStatus(baseA, task, "running");
                signal(a, "STOP");

                TaskConfig tasks = TaskConfig.DEFAULTS.with(50, 10, 100, 2, 120, Map.of("instancePower", 8L));
                try (TestService b = TestService.replica(sim, TestService.fastSettings(), c -> c
                        .withSharedState(new SharedStateConfig(redis.url(), 2_000)).withTasks(tasks))) {
                    JsonNode done = awaitFinished(b, task, 20);
                    assertThat(done.path("status").asText()).as("finished by replica B: %s", done).isEqualTo("completed");
                    assertThat(done.path("events").toString()).contains("taken over");

                    // the task's deadline (8 s after its creation) passes while A is paused
                    long waitMs = TimeUnit.NANOSECONDS.toMillis(created + TimeUnit.SECONDS.toNanos(9) - System.nanoTime());
                    if (waitMs > 0) {
                        Thread.sleep(waitMs);
                    }
                    signal(a, "CONT");
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
                    JsonNode t = done;
                    while (System.nanoTime() < until) {
                        t = b.call("GET", "/flywheel?task=" + task, null).json().path(task);
                        if (!t.path("status").asText().equals("completed")) {
                            break;
                        }
                        Thread.sleep(50);
                    }
                    assertThat(t.path("status").asText()).as("the completed task after replica A resumed: %s", t)
                            .isEqualTo("completed");
                    assertThat(t.path("failure").asText()).as("%s", t).isEmpty();
                }
            } finally {
                signal(a, "CONT");
                a.destroyForcibly();
                a.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }


    /**
     * Replica L runs 25 tasks (its maxRunning: no room), replica D runs one more and stops (its work item stays
     * pending, as after a SIGKILL). Replica B (maxRunning 2) must take D's abandoned item over once its lease
     * (2 s) has passed. Abandoned items are claimed with {@code XAUTOCLAIM ... 0-0 COUNT <room>}, which scans at
     * most ten times COUNT pending entries from the start each time: the live, renewed entries ahead of D's keep
     * it out of reach for good, and the task waits for the reaper ({@code staleSeconds}) instead.
     */
    @Test
    void anAbandonedTaskBehindManyLiveOnesIsTakenOverAfterItsLease() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofSeconds(120))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            SharedStateConfig shared = new SharedStateConfig(redis.url(), 2_000);
            // polls 5 s apart: L's 25 tasks hold their slots (5 polls) for the whole test, so L has no room
            TaskConfig live = TaskConfig.DEFAULTS.with(5_000, 25, 200, 2, 120, Map.of());
            TestService l = TestService.replica(sim, TestService.fastSettings(),
                    c -> c.withSharedState(shared).withTasks(live));
            TestService d = null;
            TestService b = null;
            try {
                List<String> running = new ArrayList<>();
                for (int i = 0; i < 25; i++) {
                    running.add(asyncStop(l, createInstance(l)));
                }
                for (String task : running) {
                    awaitStatus(l, task, "running");
                }
                d = TestService.replica(sim, TestService.fastSettings(), c -> c.withSharedState(shared)
                        .withTasks(TaskConfig.DEFAULTS.with(500, 5, 200, 2, 120, Map.of())));
                String abandoned = asyncStop(d, createInstance(d));
                awaitStatus(d, abandoned, "running"); // only D has room: D runs it
                d.close(); // D stops; its item stays pending in the consumer group, as after SIGKILL
                d = null;
                b = TestService.replica(sim, TestService.fastSettings(), c -> c.withSharedState(shared)
                        .withTasks(TaskConfig.DEFAULTS.with(500, 2, 200, 2, 120, Map.of())));
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(12);
                JsonNode t = b.call("GET", "/flywheel?task=" + abandoned, null).json().path(abandoned);
                while (!t.path("events").toString().contains("taken over") && System.nanoTime() < until) {
                    Thread.sleep(100);
                    t = b.call("GET", "/flywheel?task=" + abandoned, null).json().path(abandoned);
                }
                assertThat(t.path("events").toString()).as("D's task, 12 s after D stopped (lease 2 s): %s", t)
                        .contains("taken over");
            } finally {
                TestService.closeAll(b, d, l);
            }
        }
    }

    static String createInstance(TestService s) {
        TestService.Reply made = s.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("live")));
        assertThat(made.status()).as(made.body()).isEqualTo(200);
        return made.json().asText();
    }

    /** An async stop of {@code instance}: its task id (the task waits for PAUSED). */
    static String asyncStop(TestService s, String instance) {
        TestService.Reply r = s.call("PUT", "/main/instances/" + instance + "/power", TestService.json("{\"state\":\"stop\"}"),
                Map.of("Prefer", "respond-async", "X-Auth-Token", TestService.TOKEN));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        return r.header("X-Flywheel-Task");
    }

    static void awaitStatus(TestService s, String task, String status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        JsonNode t = s.call("GET", "/flywheel?task=" + task, null).json().path(task);
        while (!t.path("status").asText().equals(status) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            t = s.call("GET", "/flywheel?task=" + task, null).json().path(task);
        }
        assertThat(t.path("status").asText()).as("task %s: %s", task, t).isEqualTo(status);
    }


    /**
     * A keyed create on replica A (its own JVM) is paused (SIGSTOP) after A claimed the key, while A looks for an
     * earlier attempt's instance (its list read held 1 s in Spot). Once the key's lease has run out, the retry
     * with the same key and body on replica B creates the instance (a resumed create). Then A is resumed
     * (SIGCONT) while Spot's list fails for a moment (500), so that A's look-up ends the same way whichever of its
     * held reply and its timeout A sees first. Spot must hold one instance for the key: A's claim was taken over, so A must not create too; and a
     * later replay of the key must answer what B answered (today A's late answer overwrites the stored one).
     */
    @Test
    void aKeyedCreateOfAPausedReplicaIsNotMadeAgainWhenItResumesAfterTheRetryOnAnother() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            int port = ServiceProcess.freePort();
            Path output = dir.resolve("replica-a.log");
            Process a = ServiceProcess.startUp(dir, port, sim.baseUrl(),
                    "\"sharedState\": {\"redisUrl\": \"" + redis.url() + "\", \"timeoutMs\": 2000},"
                    + " \"spot\": {\"attemptTimeoutMs\": 1200, \"deadlineMs\": 1500, \"maxAttempts\": 1}", output);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newSingleThreadExecutor();
            try {
                String baseA = "http://127.0.0.1:" + port + "/v1/spot";
                String name = Harness.uniqueName("keyed");
                String body = Harness.instanceBody(name).toString();
                String key = java.util.UUID.randomUUID().toString();
                // A's look-up of an earlier attempt (the list of instances) is held 1 s by Spot
                TaskReplicaCrashTest.admin(sim, "POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\","
                        + "\"action\":\"delay\",\"delayMs\":1000,\"count\":1}");
                long claimed = System.nanoTime();
                java.util.concurrent.Future<HttpResponse<String>> first = pool.submit(() -> ServiceProcess.send("POST",
                        baseA + "/main/instances", body, Map.of("Idempotency-Key", key)));
                TaskReplicaCrashTest.awaitInProgress(sim);
                signal(a, "STOP");
                // the key's lease on A: deadline 1.5 s + attempt 1.2 s + 10 s
                long leaseMs = 1_500 + 1_200 + 10_000;
                try (TestService b = TestService.replica(sim, TestService.fastSettings(), c -> c
                        .withSharedState(new SharedStateConfig(redis.url(), 2_000)))) {
                    long until = claimed + TimeUnit.MILLISECONDS.toNanos(leaseMs + 700);
                    while (System.nanoTime() < until) {
                        Thread.sleep(100);
                    }
                    TestService.Reply retry = b.call("POST", "/main/instances", TestService.json(body),
                            Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", key));
                    assertThat(retry.status()).as(retry.body()).isEqualTo(200);
                    // Spot's list fails for a moment as A resumes: A's held look-up either answers the list Spot made
                    // before B's create or, when its timeout is seen first, fails at its retry; both ways A still
                    // believes it holds a first claim (whose failed look-up "creates anyway")
                    TaskReplicaCrashTest.admin(sim, "POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\","
                            + "\"action\":\"status\",\"status\":500,\"count\":20}");
                    signal(a, "CONT");
                    HttpResponse<String> firstReply = first.get(30, TimeUnit.SECONDS);
                    TaskReplicaCrashTest.admin(sim, "DELETE", "/_sim/faults", null);
                    Thread.sleep(300);
                    JsonNode list = TestService.JSON.readTree(TaskReplicaCrashTest.admin(sim, "GET",
                            "/aws/ec2/managedInstance?accountId=" + TestService.MAIN_ID, null));
                    JsonNode items = list.path("response").path("items");
                    // and the key's answer, once given (B's), stays the answer of every replay
                    TestService.Reply replay = b.call("POST", "/main/instances", TestService.json(body),
                            Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", key));
                    org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
                    soft.assertThat(items.size()).as("instances in Spot (only this test's): %s; B answered %s, A answered"
                            + " %d %s", items, retry.body(), firstReply.statusCode(), firstReply.body()).isEqualTo(1);
                    soft.assertThat(replay.body()).as("a replay of the key after B answered %s", retry.body())
                            .isEqualTo(retry.body());
                    soft.assertAll();
                }
            } finally {
                pool.shutdownNow();
                signal(a, "CONT");
                a.destroyForcibly();
                a.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }


    /**
     * Two replicas over one Redis with a Spot rate budget of 6 calls a minute per route: 30 reads of imports
     * ({@code GET /{account}/imports/{migration}}, Spot's {@code GET /aws/ec2/managedInstance/migration/{id}}), each
     * with another well-formed migration id, alternating between the replicas. Spot counts calls by route (contract
     * §9.2), so at most 6 may reach Spot: spot-api's budget names a bucket per id (only {@code sig-}/{@code smi-}
     * segments become {@code {id}}), so every made-up id has a budget of its own.
     */
    @Test
    void madeUpMigrationIdsDoNotEscapeTheRateBudget() throws Exception {
        long[] r = madeUpMigrationReads();
        assertThat(r[0]).as("migration reads that reached Spot (budget 6; %d answered 429)", r[1]).isLessThanOrEqualTo(6);
    }

    /** 30 reads of made-up migration ids over two budgeted replicas: {reached Spot, 429s, new budget keys, of them without TTL}. */
    private static long[] madeUpMigrationReads() throws Exception {
        int budget = 6;
        SpotClientSettings budgeted = new SpotClientSettings(1_000, 2_000, 4_000, 3, 20, 200, budget, 60_000);
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start()) {
            SharedStateConfig shared = new SharedStateConfig(redis.url(), 2_000);
            try (TestService a = TestService.replica(sim, budgeted, c -> c.withSharedState(shared));
                    TestService b = TestService.replica(sim, budgeted, c -> c.withSharedState(shared));
                    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
                    var conn = client.connect()) {
                java.util.Set<String> before = new java.util.HashSet<>(conn.sync().keys("spot-api:budget:*"));
                long refused = 0;
                for (int i = 0; i < 30; i++) {
                    TestService s = i % 2 == 0 ? a : b;
                    TestService.Reply reply = s.call("GET", "/main/imports/smg-" + Integer.toHexString(0xa000 + i), null);
                    if (reply.status() == 429) {
                        refused++;
                    }
                }
                JsonNode log = TestService.JSON.readTree(TaskReplicaCrashTest.admin(sim, "GET", "/_sim/requests?limit=1000", null)).path("requests");
                long reached = 0;
                for (JsonNode e : log) {
                    if (e.path("path").asText().startsWith("/aws/ec2/managedInstance/migration/")) {
                        reached++;
                    }
                }
                List<String> added = conn.sync().keys("spot-api:budget:*").stream().filter(k -> !before.contains(k)).toList();
                long permanent = added.stream().filter(k -> conn.sync().pttl(k) < 0).count();
                return new long[] {reached, refused, added.size(), permanent};
            }
        }
    }


    /**
     * Held: two replicas run eight async stops (Spot takes 1.5 s to PAUSED) while Redis drops every client
     * connection five times ({@code CLIENT KILL TYPE normal}, every 300 ms). Every task ends {@code completed},
     * once (one {@code complete task} event), and none is failed.
     */
    @Test
    void tasksSurviveRedisDroppingEveryConnectionWhileTheyRun() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(1_500))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            SharedStateConfig shared = new SharedStateConfig(redis.url(), 2_000);
            TaskConfig tasks = TaskConfig.DEFAULTS.with(100, 20, 100, 2, 120, Map.of());
            try (TestService a = TestService.replica(sim, TestService.fastSettings(), c -> c.withSharedState(shared).withTasks(tasks));
                    TestService b = TestService.replica(sim, TestService.fastSettings(), c -> c.withSharedState(shared).withTasks(tasks));
                    io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
                    var conn = client.connect()) {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    TestService s = i % 2 == 0 ? a : b;
                    ids.add(asyncStop(s, createInstance(s)));
                }
                for (int i = 0; i < 5; i++) {
                    conn.sync().clientKill(io.lettuce.core.KillArgs.Builder.typeNormal().skipme(true));
                    Thread.sleep(300);
                }
                for (String id : ids) {
                    JsonNode t = awaitFinished(i0(a, b, id), id, 15);
                    assertThat(t.path("status").asText()).as("task %s: %s", id, t).isEqualTo("completed");
                    long completes = 0;
                    for (JsonNode e : t.path("events")) {
                        if (e.asText().contains("complete task")) {
                            completes++;
                        }
                    }
                    assertThat(completes).as("task %s completed once: %s", id, t).isEqualTo(1);
                }
            }
        }
    }

    private static TestService i0(TestService a, TestService b, String id) {
        return (id.hashCode() & 1) == 0 ? a : b;
    }


    /**
     * Two live replicas (lease 2 s). A status read of an async stop's task is answered by Spot after
     * 6 s (within the attempt timeout). The replica running the task is alive and waiting for Spot, yet its
     * item is renewed only after a read completes, so the other replica takes the task over ("the replica that
     * ran this task stopped renewing it") and both run it. A live replica's task must not be taken over: one
     * runner, one {@code complete task} (and a {@code completed_at} that does not change once answered). Replica A
     * runs with {@code maxRunning} 1, so that its own claims of idle items (which reset the idle time of its own
     * entry when it has room) do not hide the takeover by chance. With the defaults (lease 30 s, attempt timeout 30 s, deadline 60 s) a read
     * retried by a slow Spot outlives the lease the same way.
     */
    @Test
    void aTaskWhoseSpotReadIsSlowerThanTheLeaseIsNotRunByTwoLiveReplicas() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(1_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            SharedStateConfig shared = new SharedStateConfig(redis.url(), 2_000);
            SpotClientSettings patient = new SpotClientSettings(1_000, 8_000, 9_000, 1, 20, 200, 0, 100);
            // A runs one task at a time (it has no room left to claim items itself); B has room
            try (TestService a = TestService.replica(sim, patient, c -> c.withSharedState(shared)
                    .withTasks(TaskConfig.DEFAULTS.with(100, 1, 100, 2, 120, Map.of())))) {
                String instance = createInstance(a);
                String task = asyncStop(a, instance);
                awaitStatus(a, task, "running");
                // A's next status read (Spot shows PAUSING for 1 s) is answered after 6 s, within its attempt timeout
                TaskReplicaCrashTest.admin(sim, "POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\","
                        + "\"action\":\"delay\",\"delayMs\":6000,\"count\":1}");
                TaskReplicaCrashTest.awaitInProgress(sim);
                try (TestService b = TestService.replica(sim, patient, c -> c.withSharedState(shared)
                        .withTasks(TaskConfig.DEFAULTS.with(100, 20, 100, 2, 120, Map.of())))) {
                    JsonNode t = awaitFinished(b, task, 15);
                    assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                    while (System.nanoTime() < until && TestService.JSON.readTree(TaskReplicaCrashTest.admin(sim, "GET",
                            "/_sim/requests?limit=1", null)).path("inProgress").asInt() > 0) {
                        Thread.sleep(50);
                    }
                    Thread.sleep(300); // A's held read answered: its end is written
                    t = b.call("GET", "/flywheel?task=" + task, null).json().path(task);
                    long completes = 0;
                    for (JsonNode e : t.path("events")) {
                        if (e.asText().contains("complete task")) {
                            completes++;
                        }
                    }
                    assertThat(t.path("events").toString()).as("a live replica's task taken over: %s", t)
                            .doesNotContain("taken over");
                    assertThat(completes).as("completed once: %s", t).isEqualTo(1);
                }
            }
        }
    }


    /**
     * Held: org alpha's and org beta's deployments share one Redis (and flywheel's namespace). Alpha's async
     * create (keyed, so its task id is derived from the key) is not answered to beta, and beta sending the same
     * key and body gets a task of its own, never alpha's.
     */
    @Test
    void anotherOrgNeverSeesOrReusesThisOrgsTask() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start()) {
            SharedStateConfig shared = new SharedStateConfig(redis.url(), 2_000);
            try (TestService alpha = TestService.replica(sim, TestService.fastSettings(),
                    c -> c.withOrg("alpha").withSharedState(shared));
                    TestService beta = TestService.replica(sim, TestService.fastSettings(),
                            c -> c.withOrg("beta").withSharedState(shared))) {
                JsonNode body = Harness.instanceBody(Harness.uniqueName("orgs"));
                Map<String, String> headers = Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async",
                        "Idempotency-Key", "shared-key-1");
                TestService.Reply a = alpha.call("POST", "/main/instances", body, headers);
                assertThat(a.status()).as(a.body()).isEqualTo(202);
                String task = a.header("X-Flywheel-Task");
                assertThat(beta.call("GET", "/flywheel?task=" + task, null).json().has(task)).as("alpha's task on beta")
                        .isFalse();
                TestService.Reply b = beta.call("POST", "/main/instances", body, headers);
                assertThat(b.status()).as(b.body()).isEqualTo(202);
                assertThat(b.header("X-Flywheel-Task")).isNotEqualTo(task);
                assertThat(awaitFinished(alpha, task, 10).path("events").toString()).doesNotContain(b.body());
            }
        }
    }

    // ---- helpers

    static void signal(Process p, String signal) throws Exception {
        if (p.isAlive()) {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor();
        }
    }

    static JsonNode awaitFinished(TestService s, String task, int seconds) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        JsonNode t = s.call("GET", "/flywheel?task=" + task, null).json().path(task);
        while (!t.path("status").asText().matches("completed|failed") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            t = s.call("GET", "/flywheel?task=" + task, null).json().path(task);
        }
        return t;
    }
}
