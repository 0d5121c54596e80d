package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Attack round 18 (helper attack18-tasks), from outside: the async task protocol ({@code Prefer: respond-async},
 * {@code /flywheel?task=}) under load, across replicas, with deadlines and a Spot rate budget. A failing test is a
 * finding (see the report), a passing one an attack that held.
 */
class AttackRound18TasksTest extends TaskHarnessPerClass {

    /** An async stop's instance and task. */
    private record StopTask(String id, String task) {
    }

    /**
     * An async stop of a new instance whose pause takes 10 minutes at Spot (the simulator's clock moved past its
     * launch first): the instance and the task, running.
     */
    private static StopTask slowStopTask(Harness d) {
        String id = d.createInstance();
        assertThat(d.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
        assertThat(d.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
        Reply stop = d.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", ASYNC);
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        return new StopTask(id, stop.header("X-Flywheel-Task"));
    }
    private static final Map<String, String> ASYNC = Harness.withToken("Prefer", "respond-async");

    private static String statusOf(Reply flywheel, String id) {
        return flywheel.json().path(id).path("status").asText("(absent)");
    }

    /**
     * Attack (the rate budget spent by tasks): {@code spot.rateBudgetPerMinute} 30 (Spot's per-route budget, shared
     * by every caller), tasks polling every 200 ms (the default 2 s with 10x the tasks is the same rate); 8 async
     * stops of instances whose pause lasts 10 simulated minutes. Then, 2 s later and for 6 s more, a portal user asks
     * for another instance's status ({@code GET /main/instances/{id}/status}) once a second. Expected: the user's
     * interactive read is served at least once (tasks, which can wait, leave interactive callers a share of the
     * budget, or slow down when it runs low); it is not 429 for the rest of Spot's 60 s window because background
     * polls spent the budget.
     */
    @Test
    void tasksPollingDoNotStarveInteractiveReadsOfTheRouteBudget() throws Exception {
        SpotClientSettings budgeted = new SpotClientSettings(2_000, 3_000, 8_000, 3, 20, 200, 30, 60_000, 300);
        try (Harness b = Harness.start(budgeted,
                c -> c.withTasks(TaskConfig.DEFAULTS.with(200, 50, 200, 2, 300, Map.of())))) {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                ids.add(b.createInstance());
            }
            assertThat(b.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
            assertThat(b.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
            String interactive = ids.remove(8);
            List<String> tasks = new ArrayList<>();
            for (String id : ids) {
                Reply stop = b.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", ASYNC);
                assertThat(stop.status()).as("async stop of %s: %s", id, stop.body()).isEqualTo(202);
                tasks.add(stop.header("X-Flywheel-Task"));
            }
            Thread.sleep(2_000);
            List<String> seen = new ArrayList<>();
            boolean served = false;
            for (int i = 0; i < 7 && !served; i++) {
                Reply r = b.get("/main/instances/" + interactive + "/status");
                seen.add(r.status() + " (Retry-After " + r.header("Retry-After") + ")");
                served = r.status() == 200;
                if (!served) {
                    Thread.sleep(1_000);
                }
            }
            long statusReads = b.spotRequests().stream()
                    .filter(e -> e.path("path").asText().endsWith("/status")).count();
            Reply summary = b.get("/main/instances/" + interactive);
            Reply syncStop = b.svc.call("PUT", "/main/instances/" + interactive + "/power", "{\"state\":\"stop\"}");
            assertThat(served)
                    .as("the user's status reads over 8 s while 8 tasks poll: %s; Spot status reads sent: %d; "
                            + "then the summary: %d %s; a synchronous stop: %d %s", seen, statusReads,
                            summary.status(), summary.body(), syncStop.status(), syncStop.body())
                    .isTrue();
        }
    }

    /**
     * Attack (the rate budget spent by another org's tasks): two orgs' deployments (alpha, beta) on one Redis, both
     * naming the one shared Spot account "main" ({@code spot.rateBudgetPerMinute} 30, tasks polling every 200 ms);
     * alpha sends 8 async stops of its instances (pauses of 10 simulated minutes); 2 s later beta's user reads the
     * status of beta's own instance, once a second for 4 s. Expected: beta's interactive read is served at least once:
     * one org's background tasks do not lock another org out of its own instances' state for Spot's whole window.
     */
    @Test
    void oneOrgsTasksDoNotStarveAnotherOrgsInteractiveReads() throws Exception {
        SpotClientSettings budgeted = new SpotClientSettings(2_000, 3_000, 8_000, 3, 20, 200, 30, 60_000, 300);
        TaskConfig tasks = TaskConfig.DEFAULTS.with(200, 50, 200, 2, 120, Map.of());
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofSeconds(30))
                        .account(TestService.MAIN_ID, "main-spot-token").start();
                TestService a = TestService.replica(sim, budgeted, c -> c.withOrg("alpha")
                        .withSharedState(new SharedStateConfig(redis.url(), 2_000)).withTasks(tasks));
                TestService b = TestService.replica(sim, budgeted, c -> c.withOrg("beta")
                        .withSharedState(new SharedStateConfig(redis.url(), 2_000)).withTasks(tasks))) {
            Harness.awaitSharedStateUp(a);
            Harness.awaitSharedStateUp(b);
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                Reply made = a.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("a18")));
                assertThat(made.status()).as(made.body()).isEqualTo(200);
                ids.add(made.json().asText());
            }
            Reply mine = b.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("b18")));
            assertThat(mine.status()).as(mine.body()).isEqualTo(200);
            assertThat(a.sim("POST", "/_sim/clock/advance", "{\"seconds\": 60}").status()).isEqualTo(200);
            assertThat(a.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
            for (String id : ids) {
                Reply stop = a.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", ASYNC);
                assertThat(stop.status()).as(stop.body()).isEqualTo(202);
            }
            Thread.sleep(2_000);
            List<String> seen = new ArrayList<>();
            boolean served = false;
            for (int i = 0; i < 5 && !served; i++) {
                Reply r = b.call("GET", "/main/instances/" + mine.json().asText() + "/status", null);
                seen.add(r.status() + " (Retry-After " + r.header("Retry-After") + ")");
                served = r.status() == 200;
                if (!served) {
                    Thread.sleep(1_000);
                }
            }
            assertThat(served).as("beta's status reads over 6 s while alpha's 8 tasks poll: %s", seen).isTrue();
        }
    }

    /**
     * Attack (the rate budget and a task's deadline): {@code spot.rateBudgetPerMinute} 10, one async stop polled every
     * 100 ms, {@code tasks.deadlineSeconds.instancePower} 5; its polls spend the status route's budget within a
     * second (its events say so); Spot then finishes the pause (PAUSED), before the deadline. Expected (docs/api.md: "a task resumed late
     * never fails a change Spot made"): the task completes (Spot says PAUSED), or at worst stays running until it can
     * read Spot; it never ends "failed" for a change Spot made because its own polls left it no budget to look.
     */
    @Test
    void aTaskThatSpentItsBudgetIsNotFailedAtItsDeadlineForAChangeSpotMade() throws Exception {
        SpotClientSettings budgeted = new SpotClientSettings(2_000, 3_000, 8_000, 3, 20, 200, 10, 60_000, 300);
        try (Harness d = Harness.start(budgeted, c -> c.withTasks(
                TaskConfig.DEFAULTS.with(100, 50, 100, 2, 300, Map.of("instancePower", 5L))))) {
            StopTask stopTask = slowStopTask(d);
            String id = stopTask.id();
            String task = stopTask.task();
            long spent = System.nanoTime();
            while (System.nanoTime() - spent < 4_000_000_000L
                    && !d.get("/flywheel?task=" + task).body().contains("rate budget")) {
                Thread.sleep(50);
            }
            assertThat(d.get("/flywheel?task=" + task).body()).as("the task's polls spent the budget").contains("rate budget");
            assertThat(d.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 700}").status()).isEqualTo(200);
            Reply spot = d.svc.sim("GET", Harness.INSTANCES + "/" + id + "/status?accountId=" + Harness.MAIN_ID, null);
            String spotState = spot.json().path("response").path("items").path(0).path("status").asText();
            assertThat(spotState).isEqualTo("PAUSED");
            long start = System.nanoTime();
            Reply r = d.get("/flywheel?task=" + task);
            while (System.nanoTime() - start < 12_000_000_000L && !statusOf(r, task).matches("completed|failed")) {
                Thread.sleep(100);
                r = d.get("/flywheel?task=" + task);
            }
            assertThat(statusOf(r, task)).as("the task after its deadline, Spot's state %s: %s", spotState, r.body())
                    .isNotEqualTo("failed");
        }
    }

    /**
     * Attack (many tasks at once): 80 async creates from 16 clients at once while Spot keeps the instances PENDING
     * for 30 simulated seconds. Expected: 80 distinct task ids; none completed while Spot says PENDING; after the
     * clock moves on, every one completed, each create sent to Spot exactly once, and no task left running
     * ({@code spotapi_tasks_running} back to 0).
     */
    @Test
    void eightyCreatesAtOnceEachCompleteOnceAndNoneBeforeSpotSaysActive() throws Exception {
        assertThat(h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 30}").status()).isEqualTo(200);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Reply>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < 80; i++) {
                futures.add(pool.submit(() -> h.svc.call("POST", "/main/instances",
                        Harness.instanceBody(Harness.uniqueName("m18")), ASYNC)));
            }
            Map<String, String> taskToInstance = new LinkedHashMap<>();
            for (Future<Reply> f : futures) {
                Reply r = f.get();
                assertThat(r.status()).as(r.body()).isEqualTo(202);
                taskToInstance.put(r.header("X-Flywheel-Task"), r.json().asText());
            }
            assertThat(taskToInstance).hasSize(80);
            assertThat(new HashSet<>(taskToInstance.values())).hasSize(80);
            Thread.sleep(800);
            for (Map.Entry<String, String> e : taskToInstance.entrySet()) {
                JsonNode t = task(e.getKey());
                if (t != null && t.path("status").asText().equals("completed")) {
                    assertThat(spotStatus(e.getValue())).as("Spot's state of %s whose task said completed: %s",
                            e.getValue(), t).isEqualTo("ACTIVE");
                }
            }
            assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 60}").status()).isEqualTo(200);
            Set<String> notCompleted = new HashSet<>();
            for (String task : taskToInstance.keySet()) {
                JsonNode t = awaitEnd(task, 20);
                if (t == null || !t.path("status").asText().equals("completed")) {
                    notCompleted.add(task + "=" + t);
                }
            }
            assertThat(notCompleted).as("tasks not completed").isEmpty();
            assertThat(h.countSpotRequests("POST", Harness.INSTANCES)).as("creates sent to Spot").isEqualTo(80);
            long end = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < end && h.metric("spotapi_tasks_running") > 0) {
                Thread.sleep(100);
            }
            assertThat(h.metric("spotapi_tasks_running")).as("tasks still counted running").isZero();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Held guard (Spot's state changed behind the task's back): an async stop, the pause slow (600 s); someone deletes
     * the instance in Spot's console. Expected: the task ends failed (the object is gone), never "completed" as
     * if the instance were PAUSED, and not left running.
     */
    @Test
    void aStopTaskWhoseInstanceIsDeletedInSpotFailsInsteadOfCompleting() throws Exception {
        String id = h.createInstance();
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
        assertThat(h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
        Reply stop = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", ASYNC);
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        String task = stop.header("X-Flywheel-Task");
        Thread.sleep(300);
        Reply del = h.svc.sim("DELETE", Harness.INSTANCES + "/" + id + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(del.status()).as(del.body()).isEqualTo(200);
        JsonNode t = awaitEnd(task, 10);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("failed");
    }

    /**
     * Attack (task deadlines): {@code tasks.deadlineSeconds.instancePower} 2, an async stop whose pause takes 600
     * simulated seconds. Expected: the task is not stuck running: it fails soon after its deadline (within 3x the
     * deadline plus the last read), naming the deadline; once failed it stays failed, even when Spot then reaches
     * PAUSED (a finished task never changes).
     */
    @Test
    void aTaskPastItsDeadlineFailsAndStaysFailed() throws Exception {
        try (Harness d = Harness.start(Harness.quick(), c -> c.withTasks(
                TaskConfig.DEFAULTS.with(50, 50, 100, 2, 300, Map.of("instancePower", 2L))))) {
            StopTask stopTask = slowStopTask(d);
            String id = stopTask.id();
            String task = stopTask.task();
            long start = System.nanoTime();
            String status = "";
            Reply r = null;
            while (System.nanoTime() - start < 9_000_000_000L) {
                r = d.get("/flywheel?task=" + task);
                status = statusOf(r, task);
                if (status.matches("completed|failed")) {
                    break;
                }
                Thread.sleep(100);
            }
            long millis = Harness.millisSince(start);
            assertThat(status).as("after %d ms: %s", millis, r.body()).isEqualTo("failed");
            assertThat(r.json().path(task).path("failure").asText()).containsIgnoringCase("deadline");
            assertThat(d.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 700}").status()).isEqualTo(200);
            Thread.sleep(500);
            Reply later = d.get("/flywheel?task=" + task);
            assertThat(statusOf(later, task)).as(later.body()).isEqualTo("failed");
        }
    }

    /**
     * Attack (a replica restarting mid-way, two real replicas on one real Redis): 20 async stops sent to replica A
     * (10) and B (10), the pause lasting 30 simulated seconds; A is shut down (a rolling restart) while every task is
     * running; then Spot finishes the pauses. Expected: B (after the 2 s lease) finishes A's tasks: all 20 completed,
     * none failed because its replica stopped, each pause sent to Spot once, and the tasks read the same from B.
     */
    @Test
    void tasksOfAReplicaShutDownMidWayAreFinishedByTheOtherReplica() throws Exception {
        TaskConfig tasks = TaskConfig.DEFAULTS.with(50, 50, 200, 2, 120, Map.of());
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofSeconds(30))
                        .account(TestService.MAIN_ID, "main-spot-token").start();
                TestService b = TestService.replica(sim, TestService.fastSettings(), c -> c
                        .withSharedState(new SharedStateConfig(redis.url(), 2_000)).withTasks(tasks))) {
            TestService a = TestService.replica(sim, TestService.fastSettings(), c -> c
                    .withSharedState(new SharedStateConfig(redis.url(), 2_000)).withTasks(tasks));
            boolean aOpen = true;
            try {
                Harness.awaitSharedStateUp(a);
                Harness.awaitSharedStateUp(b);
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    Reply made = (i % 2 == 0 ? a : b).call("POST", "/main/instances",
                            Harness.instanceBody(Harness.uniqueName("r18")));
                    assertThat(made.status()).as(made.body()).isEqualTo(200);
                    ids.add(made.json().asText());
                }
                assertThat(a.sim("POST", "/_sim/clock/advance", "{\"seconds\": 60}").status()).isEqualTo(200);
                List<String> taskIds = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    Reply stop = (i < 10 ? a : b).call("PUT", "/main/instances/" + ids.get(i) + "/power",
                            "{\"state\":\"stop\"}", ASYNC);
                    assertThat(stop.status()).as(stop.body()).isEqualTo(202);
                    taskIds.add(stop.header("X-Flywheel-Task"));
                }
                Thread.sleep(500);
                String query = "/flywheel?task=" + String.join("&task=", taskIds);
                Reply before = b.call("GET", query, null);
                for (String t : taskIds) {
                    assertThat(statusOf(before, t)).as(before.body()).isEqualTo("running");
                }
                a.close();
                aOpen = false;
                assertThat(b.sim("POST", "/_sim/clock/advance", "{\"seconds\": 60}").status()).isEqualTo(200);
                long end = System.nanoTime() + 20_000_000_000L;
                Reply after = b.call("GET", query, null);
                while (System.nanoTime() < end
                        && taskIds.stream().anyMatch(t -> !statusOf(after(b, query), t).matches("completed|failed"))) {
                    Thread.sleep(200);
                }
                Reply fin = b.call("GET", query, null);
                List<String> wrong = new ArrayList<>();
                for (int i = 0; i < 20; i++) {
                    String s = statusOf(fin, taskIds.get(i));
                    if (!s.equals("completed")) {
                        wrong.add((i < 10 ? "A's " : "B's ") + taskIds.get(i) + "=" + s + " "
                                + fin.json().path(taskIds.get(i)).path("failure").asText(""));
                    }
                }
                assertThat(wrong).as("tasks not completed after A's shutdown").isEmpty();
                Harness hb = Harness.of(b, TestService.fastSettings());
                for (String id : ids.subList(0, 20)) {
                    assertThat(hb.countSpotRequests("PUT", Harness.INSTANCES + "/" + id + "/pause"))
                            .as("pauses of %s", id).isEqualTo(1);
                }
            } finally {
                if (aOpen) {
                    a.close();
                }
            }
        }
    }

    private static Reply after(TestService svc, String query) {
        return svc.call("GET", query, null);
    }
}
