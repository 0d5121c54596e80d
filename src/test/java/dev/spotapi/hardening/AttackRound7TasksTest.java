package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.IdempotencyConfig;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Attack round 7, the durable task protocol (helper attack7b): {@code Prefer: respond-async}, the flywheel task
 * route, rolls, and {@code Idempotency-Key} across them. Each test asserts what a caller of such a service
 * expects; a failing one is a finding (see the report), a passing one an attack that held.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttackRound7TasksTest {
    private Harness h;

    /** Fast task settings: 20 ms polls, 50 running, 100 open, lease 2 s, stale 300 s, default deadlines. */
    private static TaskConfig fastTasks(int maxQueue) {
        return TaskConfig.DEFAULTS.with(20, 50, maxQueue, 2, 300, Map.of());
    }

    @BeforeAll
    void start() {
        h = Harness.start(Harness.quick(), c -> c.withTasks(fastTasks(100)));
    }

    @AfterAll
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @BeforeEach
    void reset() {
        h.reset();
    }

    private static Map<String, String> headers(boolean async, String key) {
        Map<String, String> m = new HashMap<>();
        m.put("X-Auth-Token", TestService.TOKEN);
        if (async) {
            m.put("Prefer", "respond-async");
        }
        if (key != null) {
            m.put("Idempotency-Key", key);
        }
        return m;
    }

    private static JsonNode task(Harness on, String id) {
        Reply r = on.get("/flywheel?task=" + id);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get(id);
    }

    /** Polls the task until completed or failed (at most {@code seconds}); the last task seen (null: unknown). */
    private static JsonNode awaitEnd(Harness on, String id, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode t = task(on, id);
        while (System.nanoTime() < end && (t == null || !t.path("status").asText().matches("completed|failed"))) {
            Thread.sleep(30);
            t = task(on, id);
        }
        return t;
    }

    // ---- Idempotency-Key x Prefer: respond-async ------------------------------------------------------

    /**
     * The key sent bare, then quoted ({@code "k"}, the draft's sf-string): the idempotency layer treats both as one
     * key and replays the 202 (IdempotencyKeyTest#aQuotedKeyIsTheSameKeyAsTheBareOne), so the replay must name the
     * task of the first answer. The task id is derived from the raw header (quotes included), so the replay names
     * a task that does not exist: the caller polls an id flywheel never answers.
     */
    @Test
    void aReplayWithTheQuotedKeyNamesTheTaskOfTheFirstAnswer() throws Exception {
        String key = "k-" + UUID.randomUUID();
        String body = Harness.instanceBody(Harness.uniqueName("mi-q")).toString();
        Reply first = h.svc.call("POST", "/main/instances", body, headers(true, key));
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String task = first.header("X-Flywheel-Task");

        Reply retry = h.svc.call("POST", "/main/instances", body, headers(true, "\"" + key + "\""));
        assertThat(retry.status()).as(retry.body()).isEqualTo(202);
        assertThat(retry.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(retry.body()).isEqualTo(first.body());
        String replayedTask = retry.header("X-Flywheel-Task");
        assertThat(task(h, replayedTask))
                .as("the task named by the replay (%s; the first answer named %s)", replayedTask, task)
                .isNotNull();
        assertThat(replayedTask).isEqualTo(task);
    }

    /**
     * A keyed async create answered 202; the retry (the 202 was lost) comes from a client that does not send
     * {@code Prefer} again (e.g. a generic retry wrapper): the replay is the stored 202, but without
     * {@code X-Flywheel-Task}: a 202 Accepted nobody can follow.
     */
    @Test
    void aReplayedTwoHundredTwoAlwaysNamesItsTask() {
        String key = "k-" + UUID.randomUUID();
        String body = Harness.instanceBody(Harness.uniqueName("mi-np")).toString();
        Reply first = h.svc.call("POST", "/main/instances", body, headers(true, key));
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String task = first.header("X-Flywheel-Task");

        Reply retry = h.svc.call("POST", "/main/instances", body, headers(false, key));
        assertThat(retry.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(retry.status()).as(retry.body()).isEqualTo(202);
        assertThat(retry.header("X-Flywheel-Task"))
                .as("a replayed 202 (Accepted: the work goes on) names the task to follow")
                .isEqualTo(task);
    }

    /**
     * Held: the key first without {@code Prefer} (answered 200), then again with it: the replay is the stored 200
     * (the preference not applied: no task, no {@code Preference-Applied}), nothing sent to Spot again; the same
     * key on another account's path is 422.
     */
    @Test
    void aKeyFirstUsedSynchronouslyIsReplayedSynchronouslyWithPrefer() {
        String key = "k-" + UUID.randomUUID();
        String body = Harness.instanceBody(Harness.uniqueName("mi-s")).toString();
        Reply first = h.svc.call("POST", "/main/instances", body, headers(false, key));
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        int creates = h.countSpotRequests("POST", Harness.INSTANCES);

        Reply again = h.svc.call("POST", "/main/instances", body, headers(true, key));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(again.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(again.header("X-Flywheel-Task")).isNull();
        assertThat(again.header("Preference-Applied")).isNull();
        assertThat(again.body()).isEqualTo(first.body());
        Reply other = h.svc.call("POST", "/other/instances", body, headers(true, key));
        assertThat(other.status()).as(other.body()).isEqualTo(422);
        assertThat(h.countSpotRequests("POST", Harness.INSTANCES)).isEqualTo(creates);
    }

    /**
     * {@code PUT .../elastigroups/{id}?roll=true} with a key: the 202's body is the updated group, the roll id is only
     * in {@code X-Spot-Roll}. The replay (lost answer, same key) must give the roll id back as the first answer did.
     */
    @Test
    void aReplayedUpdateWithRollStillNamesTheRoll() {
        String id = h.createGroup();
        String path = "/main/elastigroups/" + id + "?roll=true";
        String body = "{\"name\": \"" + Harness.uniqueName("rolled") + "\"}";
        Map<String, String> keyed = headers(false, UUID.randomUUID().toString());
        Reply first = h.svc.call("PUT", path, body, keyed);
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String roll = first.header("X-Spot-Roll");
        assertThat(roll).isNotBlank();

        Reply retry = h.svc.call("PUT", path, body, keyed);
        assertThat(retry.status()).as(retry.body()).isEqualTo(202);
        assertThat(retry.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(retry.header("X-Flywheel-Task")).isEqualTo(first.header("X-Flywheel-Task"));
        assertThat(retry.header("X-Spot-Roll")).as("the roll of the replayed 202").isEqualTo(roll);
    }

    /**
     * The queue is full (maxQueue open tasks); the retry of a keyed async request that was already answered 202 (its
     * answer lost) needs no room: it runs nothing, it is the replay. spot-api checks the room before the key, so the
     * retry is a 503 and the caller cannot learn the task of the create that did happen (until tasks finish).
     */
    @Test
    void theReplayOfAnAcceptedKeyedRequestIsNotRefusedForWantOfRoom() throws Exception {
        try (Harness small = Harness.start(Harness.quick(), c -> c.withTasks(fastTasks(2)))) {
            // the tasks' status reads hang: the tasks stay open
            small.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\",\"action\":\"delay\","
                    + "\"delayMs\":20000}");
            String key = "k-" + UUID.randomUUID();
            String body = Harness.instanceBody(Harness.uniqueName("mi-full")).toString();
            Reply first = small.svc.call("POST", "/main/instances", body, headers(true, key));
            assertThat(first.status()).as(first.body()).isEqualTo(202);
            Reply other = small.svc.call("POST", "/main/instances",
                    Harness.instanceBody(Harness.uniqueName("mi-fill")).toString(), headers(true, null));
            assertThat(other.status()).as(other.body()).isEqualTo(202);
            int creates = small.countSpotRequests("POST", Harness.INSTANCES);

            Reply retry = small.svc.call("POST", "/main/instances", body, headers(true, key));
            assertThat(small.countSpotRequests("POST", Harness.INSTANCES)).isEqualTo(creates);
            assertThat(retry.status())
                    .as("the retry of an answered keyed request while the queue is full: %s %s", retry.status(), retry.body())
                    .isEqualTo(202);
            assertThat(retry.header("X-Flywheel-Task")).isEqualTo(first.header("X-Flywheel-Task"));
            small.clearFaults();
        }
    }

    /**
     * A keyed async create is replayed (the same key and body: a job re-run with stable keys, a client retrying
     * late) after its task record expired ({@code tasks.ttlSeconds}, default 1 h) but within the key's TTL
     * ({@code idempotency.ttlSeconds}, default 24 h). The replay was a 202 naming a task that flywheel no longer
     * answered (the id left out as unknown): the caller polled a task that could never end. Shown with a 1 s task
     * TTL; now a task is kept at least as long as the key.
     */
    @Test
    void aKeyedAsyncReplayNeverNamesATaskThatNoLongerExists() throws Exception {
        TaskConfig shortLived = new TaskConfig(null, 1, 20, 50, 100, 0, 2, 2, null, null, 0);
        try (Harness s = Harness.start(Harness.quick(), c -> c.withTasks(shortLived))) {
            String key = "k-" + UUID.randomUUID();
            String body = Harness.instanceBody(Harness.uniqueName("mi-ttl")).toString();
            Reply first = s.svc.call("POST", "/main/instances", body, headers(true, key));
            assertThat(first.status()).as(first.body()).isEqualTo(202);
            String id = first.header("X-Flywheel-Task");
            JsonNode t = awaitEnd(s, id, 10);
            assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
            Thread.sleep(1_500); // past tasks.ttlSeconds: the task is kept as long as the key that names it
            assertThat(task(s, id)).as("the task, past tasks.ttlSeconds, within the key's TTL").isNotNull();

            Reply retry = s.svc.call("POST", "/main/instances", body, headers(true, key));
            assertThat(retry.header("Idempotency-Replayed")).isEqualTo("true");
            String named = retry.header("X-Flywheel-Task");
            assertThat(retry.status() == 202 ? task(s, named) : retry.json())
                    .as("the replay (%d, task %s) names a task flywheel answers, or is not a 202 of a task", retry.status(), named)
                    .isNotNull();
        }
    }

    // ---- with Redis: two replicas -------------------------------------------------------------------

    /**
     * Held (expected): two replicas on one Redis; a keyed async create on A runs to completed; the retry on B (the
     * caller's 202 was lost) is the replay naming the same task, which B answers as completed; one instance in Spot.
     */
    @Test
    void aKeyedAsyncCreateReplayedOnTheOtherReplicaNamesTheFinishedTask() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start()) {
            SharedStateConfig shared = new SharedStateConfig(redis.url(), 2_000);
            try (TestService a = TestService.replica(sim, Harness.quick(), c -> c.withSharedState(shared).withTasks(fastTasks(100)));
                    TestService b = TestService.replica(sim, Harness.quick(), c -> c.withSharedState(shared).withTasks(fastTasks(100)))) {
                Harness ha = Harness.of(a, Harness.quick());
                Harness hb = Harness.of(b, Harness.quick());
                String key = "k-" + UUID.randomUUID();
                String body = Harness.instanceBody(Harness.uniqueName("mi-r")).toString();
                Reply first = a.call("POST", "/main/instances", body, headers(true, key));
                assertThat(first.status()).as(first.body()).isEqualTo(202);
                String id = first.header("X-Flywheel-Task");
                assertThat(awaitEnd(ha, id, 10).path("status").asText()).isEqualTo("completed");

                Reply retry = b.call("POST", "/main/instances", body, headers(true, key));
                assertThat(retry.status()).as(retry.body()).isEqualTo(202);
                assertThat(retry.header("Idempotency-Replayed")).isEqualTo("true");
                assertThat(retry.body()).isEqualTo(first.body());
                assertThat(retry.header("X-Flywheel-Task")).isEqualTo(id);
                assertThat(task(hb, id).path("status").asText()).isEqualTo("completed");
                assertThat(ha.storedAll(Harness.INSTANCES)).hasSize(1);
            }
        }
    }

    /**
     * Keys kept 1 s ({@code idempotency.ttlSeconds: 1}): a keyed async create's task completes; after the key
     * expired the same key and body are sent again: the create finds its instance by its correlation tag (nothing
     * created twice: held) and answered 202 naming the same task id (derived from the key and the request). That
     * task was created again over the finished one: it went from completed back to created/running and completed a
     * second time (another completed_at; in Redis its events list also kept the old events, two "created task").
     * docs/api.md: "a finished task (completed, failed) never changes again". Now task ids are never derived (the
     * replay repeats the stored task header): the second request has a task of its own. Redis and embedded.
     */
    @Test
    void aFinishedTaskNeverChangesAgainWhenItsKeyIsReusedAfterExpiryWithRedis() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start()) {
            SharedStateConfig shared = new SharedStateConfig(redis.url(), 2_000);
            try (TestService a = TestService.replica(sim, Harness.quick(), c -> c.withSharedState(shared)
                    .withIdempotency(new IdempotencyConfig(1)).withTasks(fastTasks(100)))) {
                finishedTaskStaysFinishedAfterTheKeyExpired(Harness.of(a, Harness.quick()));
            }
        }
    }

    /** The same without Redis (tasks and keys in the process). */
    @Test
    void aFinishedTaskNeverChangesAgainWhenItsKeyIsReusedAfterExpiryEmbedded() throws Exception {
        try (Harness s = Harness.start(Harness.quick(), c -> c.withIdempotency(new IdempotencyConfig(1))
                .withTasks(fastTasks(100)))) {
            finishedTaskStaysFinishedAfterTheKeyExpired(s);
        }
    }

    private void finishedTaskStaysFinishedAfterTheKeyExpired(Harness on) throws Exception {
        String key = "k-" + UUID.randomUUID();
        String body = Harness.instanceBody(Harness.uniqueName("mi-x")).toString();
        Reply first = on.svc.call("POST", "/main/instances", body, headers(true, key));
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String id = first.header("X-Flywheel-Task");
        JsonNode done = awaitEnd(on, id, 10);
        assertThat(done.path("status").asText()).isEqualTo("completed");
        Thread.sleep(1_500); // the key expires

        Reply second = on.svc.call("POST", "/main/instances", body, headers(true, key));
        assertThat(second.status()).as(second.body()).isEqualTo(202);
        assertThat(second.json().asText()).as("found by its correlation tag, not created twice").isEqualTo(first.json().asText());
        JsonNode right = task(on, id);
        JsonNode later = awaitEnd(on, second.header("X-Flywheel-Task"), 10);
        assertThat(on.storedAll(Harness.INSTANCES)).hasSize(1);
        // the key expired: the second request is a new one, with a task of its own (attack round 8: naming the old,
        // finished task left the new change unfollowed); the finished one never changes again
        assertThat(second.header("X-Flywheel-Task")).isNotEqualTo(id);
        assertThat(later.path("status").asText()).as("the task named by the second 202, 10 s later: %s", later)
                .isEqualTo("completed");
        JsonNode old = task(on, id);
        assertThat(right.path("status").asText())
                .as("the finished task %s right after the second request: %s", id, right).isEqualTo("completed");
        assertThat(old.path("completed_at").asText()).as("%s", old).isEqualTo(done.path("completed_at").asText());
        long created = 0;
        for (JsonNode e : old.path("events")) {
            created += e.asText().contains("created task") ? 1 : 0;
        }
        assertThat(created).as("one 'created task' in %s", old).isEqualTo(1);
    }

    // ---- what a task says vs what Spot did -------------------------------------------------------------

    /**
     * An instance's async stop (its task waits for PAUSED); Spot is slow to answer status reads (1.5 s each), and
     * before the task's first read is answered someone starts the instance again (Spot's console, another
     * deployment: {@code PUT /aws/ec2/managedInstance/{id}/resume}). The instance runs (ACTIVE) for good. A group's
     * power task fails at once as superseded (round 6); the instance's task waits for a PAUSED that never comes,
     * "running" until its 30-minute deadline. The caller expects it to end (failed: superseded, or at least not
     * running on) once Spot shows that the stop was undone.
     */
    @Test
    void anInstanceStopTaskSupersededByAStartEndsPromptly() throws Exception {
        String id = h.createInstance();
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
        assertThat(spotStatus(id)).isEqualTo("ACTIVE");
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\",\"action\":\"delay\",\"delayMs\":1500}");
        Reply stop = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", headers(true, null));
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        String task = stop.header("X-Flywheel-Task");
        Reply resume = h.svc.sim("PUT", Harness.INSTANCES + "/" + id + "/resume?accountId=" + Harness.MAIN_ID, null);
        assertThat(resume.status()).as("resume in Spot: %s", resume.body()).isEqualTo(200);
        h.clearFaults();
        assertThat(spotStatus(id)).as("Spot's state").isEqualTo("ACTIVE");

        JsonNode t = awaitEnd(h, task, 10);
        assertThat(spotStatus(id)).as("Spot's state").isEqualTo("ACTIVE");
        assertThat(t.path("status").asText())
                .as("the stop task of an instance that runs again (10 s later): %s", t)
                .isEqualTo("failed");
    }

    /** The managed instance's status as Spot answers it ({@code GET /aws/ec2/managedInstance/{id}/status}). */
    private String spotStatus(String id) {
        return spotStatus(h, id);
    }

    private static String spotStatus(Harness on, String id) {
        Reply r = on.svc.sim("GET", Harness.INSTANCES + "/" + id + "/status?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0).path("status").asText();
    }

    /**
     * Head-of-line blocking of the task runner (default {@code tasks.maxRunning} 200 per replica): 200 long tasks
     * (here async stops whose instances stay PAUSING; in real use e.g. a fleet-wide roll after an AMI update, each
     * roll lasting up to its 30-minute deadline or longer) hold every run slot; the next caller's async create,
     * whose instance is ACTIVE at once, stays "created" (never looked at) until one of them ends. A task whose
     * object reached its target must not wait minutes to hours behind other callers' long tasks.
     */
    @Test
    void longTasksOfOneCallerDoNotHoldEveryOtherTaskInCreated() throws Exception {
        // 50 slots held by 50 long tasks: the same as the default 200 by 200 (the count does not matter), faster
        TaskConfig defaults = TaskConfig.DEFAULTS.with(1_000, 50, 2_000, 30, 300, Map.of());
        try (Harness s = Harness.start(Harness.quick(), c -> c.withTasks(defaults))) {
            java.util.List<String> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 50; i++) {
                ids.add(s.createInstance());
            }
            Reply slow = s.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}");
            assertThat(slow.status()).as(slow.body()).isEqualTo(200);
            for (String id : ids) {
                Reply stop = s.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", headers(true, null));
                assertThat(stop.status()).as(stop.body()).isEqualTo(202);
            }
            Reply create = s.svc.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("mi-late")).toString(),
                    headers(true, null));
            assertThat(create.status()).as(create.body()).isEqualTo(202);
            String task = create.header("X-Flywheel-Task");
            assertThat(spotStatus(s, create.json().asText())).as("the new instance in Spot").isEqualTo("ACTIVE");

            JsonNode t = awaitEnd(s, task, 10);
            assertThat(t.path("status").asText())
                    .as("the task of an instance ACTIVE in Spot, 10 s later, behind 50 long tasks: %s", t)
                    .isEqualTo("completed");
        }
    }

    /**
     * A task waiting for a run slot (all {@code maxRunning} busy with long tasks) is not dead: the reaper must not fail
     * it. The reaper takes every unfinished task not running here whose check-in (or creation) is older than
     * {@code staleSeconds} (default 300 s) for one "whose replica stopped", so a task queued that long behind long
     * tasks is failed ("no check-in for N s: the replica running this task stopped and no other took it over") on a
     * live replica, its instance ACTIVE in Spot. Shown with maxRunning 1 and staleSeconds 2.
     */
    @Test
    void aTaskWaitingForARunSlotIsNotReapedAsIfItsReplicaDied() throws Exception {
        TaskConfig oneSlot = TaskConfig.DEFAULTS.with(200, 1, 100, 2, 2, Map.of());
        try (Harness s = Harness.start(Harness.quick(), c -> c.withTasks(oneSlot))) {
            String busy = s.createInstance();
            Reply slow = s.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}");
            assertThat(slow.status()).as(slow.body()).isEqualTo(200);
            Reply stop = s.svc.call("PUT", "/main/instances/" + busy + "/power", "{\"state\":\"stop\"}", headers(true, null));
            assertThat(stop.status()).as(stop.body()).isEqualTo(202);
            Reply create = s.svc.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("mi-wait")).toString(),
                    headers(true, null));
            assertThat(create.status()).as(create.body()).isEqualTo(202);
            String task = create.header("X-Flywheel-Task");
            long end = System.nanoTime() + 6_000_000_000L;
            JsonNode t = task(s, task);
            while (System.nanoTime() < end && !t.path("status").asText().matches("completed|failed")) {
                Thread.sleep(100);
                t = task(s, task);
            }
            assertThat(spotStatus(s, create.json().asText())).isEqualTo("ACTIVE");
            assertThat(t.path("status").asText())
                    .as("a task waiting for a slot on a live replica, its instance ACTIVE: %s", t)
                    .isNotEqualTo("failed");
        }
    }

    /**
     * Embedded mode with {@code tasks.stateFile} (as the sandbox runs): an async create's task is open when the only
     * replica stops (a deploy); the replica is back after the kind's deadline. The create had succeeded: the instance
     * is ACTIVE in Spot. The resumed task is failed ("deadline ... passed; last seen: nothing yet") without one look
     * at Spot: the task says the create failed while Spot's final state is the one asked for. A task taken over or
     * resumed late (Redis: every replica down; or waiting for a run slot) must look at Spot before it fails.
     */
    @Test
    void aTaskResumedAfterItsDeadlineLooksAtSpotBeforeFailing(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        TaskConfig cfg = new TaskConfig(null, 0, 20, 50, 100, 0, 2, 300, Map.of("instanceCreate", 2L),
                dir.resolve("tasks.json").toString(), 0);
        try (SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start()) {
            String task;
            String instance;
            try (TestService first = TestService.replica(sim, Harness.quick(), c -> c.withTasks(cfg))) {
                Harness.of(first, Harness.quick()).fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\","
                        + "\"action\":\"delay\",\"delayMs\":2500,\"count\":1}");
                Reply create = first.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("mi-dl")).toString(),
                        headers(true, null));
                assertThat(create.status()).as(create.body()).isEqualTo(202);
                task = create.header("X-Flywheel-Task");
                instance = create.json().asText();
            } // the replica stops while its task's first read waits on Spot
            Thread.sleep(2_500); // down past the 2 s deadline
            try (TestService second = TestService.replica(sim, Harness.quick(), c -> c.withTasks(cfg))) {
                Harness h2 = Harness.of(second, Harness.quick());
                assertThat(spotStatus(h2, instance)).as("the instance in Spot").isEqualTo("ACTIVE");
                JsonNode t = awaitEnd(h2, task, 10);
                assertThat(t).as("the task after the restart").isNotNull();
                assertThat(t.path("status").asText())
                        .as("the task of a create whose instance is ACTIVE in Spot: %s", t)
                        .isEqualTo("completed");
            }
        }
    }

    /**
     * Held: RFC 7240 spellings of the preference (case, parameters, other preferences beside it, two headers) are
     * applied; near misses ({@code respond-asyncx}, {@code respond_async}) are not (the synchronous answer).
     */
    @Test
    void preferSpellingsAreReadAsRfc7240Says() {
        String id = h.createGroup();
        for (String prefer : new String[] {"RESPOND-ASYNC", "respond-async; wait=5", "handling=lenient, respond-async",
                " respond-async ", "return=minimal,respond-async"}) {
            Reply r = h.svc.call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"start\"}",
                    Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", prefer));
            assertThat(r.status()).as("Prefer: %s -> %s", prefer, r.body()).isEqualTo(202);
            assertThat(r.header("X-Flywheel-Task")).as(prefer).isNotBlank();
        }
        for (String prefer : new String[] {"respond-asyncx", "respond_async", "wait=respond-async"}) {
            Reply r = h.svc.call("DELETE", "/main/elastigroups/" + h.createGroup(), null,
                    Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", prefer));
            assertThat(r.status()).as("Prefer: %s -> %s", prefer, r.body()).isIn(200, 204);
            assertThat(r.header("X-Flywheel-Task")).as(prefer).isNull();
        }
    }

    // ---- the flywheel route with hostile values ---------------------------------------------------------

    /** Hostile task ids (long, Redis-glob and path characters, another route's key layout): 200 {} or 400, never 5xx. */
    @Test
    void hostileTaskIdsAreLeftOutOrRefusedNeverAServerError() {
        for (String id : new String[] {"*", "..%2F..%2Fetc", "a%00b", "x".repeat(4000), "%7B%7D", "spotapi:work:x",
                "%20", "%E2%80%AE"}) {
            Reply r = h.get("/flywheel?task=" + id);
            assertThat(r.status()).as("task=%s: %s", id.length() > 40 ? id.substring(0, 40) + "..." : id, r.body())
                    .isIn(200, 400, 414, 431);
            if (r.status() == 200) {
                assertThat(r.json().size()).isZero();
            }
        }
        StringBuilder many = new StringBuilder("/flywheel?task=a");
        for (int i = 0; i < 101; i++) {
            many.append("&task=").append(i);
        }
        assertThat(h.get(many.toString()).status()).isEqualTo(400);
    }
}
