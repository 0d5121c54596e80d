package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 14 (helper attack14-tasks), from outside: durable tasks ({@code Prefer: respond-async},
 * {@code /flywheel?task=}). Each test asserts what a caller of such a service expects; a failing one is a finding
 * (see the report), a passing one an attack that held.
 */
class AttackRound14TasksTest extends TaskHarnessPerClass {
    private static Map<String, String> headers(String... pairs) {
        return Harness.withToken(pairs);
    }

    private String activeInstance() {
        String id = h.createInstance();
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
        assertThat(spotStatus(id)).isEqualTo("ACTIVE");
        return id;
    }

    /**
     * Attack: an async reboot ({@code PUT .../power {"state":"reboot"}}, {@code Prefer: respond-async}) of an instance
     * whose EC2 instance was launched 2 s earlier (a start or a recycle just finished: the portal's user pressed
     * "reboot" right after "start"), while Spot's status shows the recycle a few reads late (round 8 established
     * that lag: how soon Spot shows the move is unspecified). Expected: the task stays running while Spot is
     * RECYCLING and completes only once the instance is ACTIVE again; it never says "completed" while Spot still
     * works.
     */
    @Test
    void aRebootTaskOfAJustLaunchedInstanceIsNotCompletedWhileSpotStillRecycles() throws Exception {
        String id = activeInstance();
        ObjectNode lagging = (ObjectNode) spotStatusReply(id);
        ((ObjectNode) lagging.path("response").path("items").path(0))
                .put("launchedAt", Instant.now().minusSeconds(2).truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
        // the reboot's own status read (PowerPlan) plus 3 of the task's reads still see ACTIVE
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/" + id + "/status\",\"action\":\"json\","
                + "\"count\":4,\"body\":" + lagging + "}");
        Reply reboot = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"reboot\"}",
                headers("Prefer", "respond-async"));
        assertThat(reboot.status()).as(reboot.body()).isEqualTo(202);
        String task = reboot.header("X-Flywheel-Task");
        Thread.sleep(600);
        JsonNode during = task(task);
        h.clearFaults(); // the faked reads the task did not use up would answer ours
        String spot = spotStatus(id);
        assertThat(spot).as("Spot's own state after the reboot").isEqualTo("RECYCLING");
        assertThat(during.path("status").asText())
                .as("the reboot task while Spot is RECYCLING: %s", during)
                .isEqualTo("running");
    }

    /**
     * Held guard: the same reboot of an instance launched long ago (its old launchedAt in the lagging reads) waits for
     * the recycle and completes once Spot shows the instance ACTIVE on a new EC2 instance.
     */
    @Test
    void aRebootTaskWithLaggingStatusOfAnOldInstanceWaitsForTheRecycle() throws Exception {
        String id = activeInstance();
        ObjectNode lagging = (ObjectNode) spotStatusReply(id);
        ((ObjectNode) lagging.path("response").path("items").path(0))
                .put("launchedAt", Instant.now().minus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString());
        assertThat(h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/" + id + "/status\",\"action\":\"json\","
                + "\"count\":4,\"body\":" + lagging + "}");
        Reply reboot = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"reboot\"}",
                headers("Prefer", "respond-async"));
        assertThat(reboot.status()).as(reboot.body()).isEqualTo(202);
        String task = reboot.header("X-Flywheel-Task");
        Thread.sleep(600);
        assertThat(task(task).path("status").asText()).isEqualTo("running");
        h.clearFaults();
        assertThat(spotStatus(id)).isEqualTo("RECYCLING");
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 1200}").status()).isEqualTo(200);
        JsonNode t = awaitEnd(task, 10);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
    }

    /**
     * Attack: a caller tries to choose its task id: it sends {@code X-Flywheel-Task: <chosen>} (and
     * {@code X-Request-Id: <chosen>}) on an async stop. Expected: the 202 names a task id spot-api chose (never the
     * caller's), and flywheel knows nothing under the chosen id.
     */
    @Test
    void aCallerCannotChooseItsTaskId() throws Exception {
        String id = activeInstance();
        String chosen = "00000000-0000-4000-8000-000000000014";
        Reply stop = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}",
                headers("Prefer", "respond-async", "X-Flywheel-Task", chosen, "X-Request-Id", chosen));
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        assertThat(stop.header("X-Flywheel-Task")).isNotEqualTo(chosen);
        assertThat(h.get("/flywheel?task=" + chosen).json().size()).isZero();
    }

    /**
     * Attack: a {@code Prefer} header whose only mention of respond-async is inside a quoted value of another
     * preference ({@code Prefer: x-note="no, respond-async=never"}; RFC 7240 §2: a quoted-string is one value).
     * Expected: the preference is not applied: the synchronous answer (204), no task.
     */
    @Test
    void respondAsyncInsideAQuotedValueOfAnotherPreferenceIsNotApplied() throws Exception {
        String id = activeInstance();
        Reply stop = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}",
                headers("Prefer", "x-note=\"no, respond-async=never\""));
        assertThat(stop.status()).as("status; X-Flywheel-Task %s", stop.header("X-Flywheel-Task")).isEqualTo(204);
        assertThat(stop.header("X-Flywheel-Task")).isNull();
    }

    /**
     * Attack: an async capacity change of a group counted in weight ({@code capacity.unit: weight}, one t3.micro of
     * weight 2 running for target 2), target 2 → 8, while Spot's status still lists only the one old instance
     * (Spot launches the others a while later). Expected: the task stays running while the fulfilled weight (2) is
     * below the target (8); it never says "completed" while Spot has 3 of the 4 instances to launch. The weights
     * are in the group the task reads ({@code compute.instanceTypes.weights}) and every status item names its type.
     */
    @Test
    void aWeightedCapacityTaskIsNotCompletedWhileTheFulfilledWeightIsBelowTheTarget() throws Exception {
        JsonNode t = capacityTaskWhileStatusLags(group("weight", 2), 8, 1);
        assertThat(t.path("status").asText()).as("the capacity task of a weighted group at 2 of 8 units: %s", t)
                .isEqualTo("running");
    }

    /** Held guard: the same on a group counted in instances: running while 1 of 4 instances is fulfilled. */
    @Test
    void anInstanceCountedCapacityTaskWaitsForItsInstances() throws Exception {
        ObjectNode body = Harness.groupBody(Harness.uniqueName("i14"));
        ((ObjectNode) body.path("capacity")).put("minimum", 0).put("maximum", 20).put("target", 1);
        Reply r = h.call("POST", "/main/elastigroups", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode t = capacityTaskWhileStatusLags(r.json().path("id").asText(), 4, 1);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("running");
    }

    /**
     * Held guard (two orgs' deployments on one Redis, both naming the one shared Spot account "main", as one account
     * serves several orgs): org alpha's async stop answered 202; org beta asks flywheel for alpha's task id, alone
     * and beside an id of its own, and sends alpha's exact keyed request (same key, path, body). Expected: beta
     * never sees alpha's task (left out, as an unknown id), and its keyed request is not alpha's replay.
     */
    @Test
    void anotherOrgOnOneRedisNeverSeesThisOrgsTaskOrItsReplay() throws Exception {
        TaskConfig tasks = TaskConfig.DEFAULTS.with(20, 10, 100, 2, 120, Map.of());
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator sim = dev.spotapi.sim.SpotSimulator.builder().port(0)
                        .transitionDuration(java.time.Duration.ofSeconds(5))
                        .account(dev.spotapi.support.TestService.MAIN_ID, "main-spot-token").start();
                dev.spotapi.support.TestService a = dev.spotapi.support.TestService.replica(sim,
                        dev.spotapi.support.TestService.fastSettings(), c -> c.withOrg("alpha")
                                .withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000)).withTasks(tasks));
                dev.spotapi.support.TestService b = dev.spotapi.support.TestService.replica(sim,
                        dev.spotapi.support.TestService.fastSettings(), c -> c.withOrg("beta")
                                .withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000)).withTasks(tasks))) {
            Reply made = a.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("a14")));
            assertThat(made.status()).as(made.body()).isEqualTo(200);
            String instance = made.json().asText();
            Reply bMade = b.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("b14")));
            assertThat(bMade.status()).as(bMade.body()).isEqualTo(200);
            Harness.awaitSharedStateUp(a);
            Harness.awaitSharedStateUp(b);
            a.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}");
            String key = "k14-" + java.util.UUID.randomUUID();
            Reply stop = a.call("PUT", "/main/instances/" + instance + "/power", "{\"state\":\"stop\"}",
                    headers("Prefer", "respond-async", "Idempotency-Key", key));
            assertThat(stop.status()).as(stop.body()).isEqualTo(202);
            String alphaTask = stop.header("X-Flywheel-Task");
            Reply bStart = b.call("PUT", "/main/instances/" + bMade.json().asText() + "/power", "{\"state\":\"stop\"}",
                    headers("Prefer", "respond-async"));
            assertThat(bStart.status()).as(bStart.body()).isEqualTo(202);
            String betaTask = bStart.header("X-Flywheel-Task");

            assertThat(a.call("GET", "/flywheel?task=" + alphaTask, null).json().has(alphaTask)).isTrue();
            Reply alone = b.call("GET", "/flywheel?task=" + alphaTask, null);
            assertThat(alone.status()).isEqualTo(200);
            assertThat(alone.json().size()).as(alone.body()).isZero();
            Reply mixed = b.call("GET", "/flywheel?task=" + betaTask + "&task=" + alphaTask, null);
            assertThat(mixed.json().has(betaTask)).as(mixed.body()).isTrue();
            assertThat(mixed.json().has(alphaTask)).as(mixed.body()).isFalse();

            Reply same = b.call("PUT", "/main/instances/" + instance + "/power", "{\"state\":\"stop\"}",
                    headers("Prefer", "respond-async", "Idempotency-Key", key));
            assertThat(same.header("Idempotency-Replayed")).as("%s %s", same.status(), same.body()).isNull();
            assertThat(same.header("X-Flywheel-Task")).isNotEqualTo(alphaTask);
            assertThat(same.status()).as(same.body()).isEqualTo(404);
        }
    }

    private JsonNode spotGroupCapacity(String group) {
        Reply r = h.svc.sim("GET", Harness.GROUPS + "/" + group + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0).path("capacity");
    }

    /**
     * Attack (the portal's scheduler, nightly stop and morning start): the scheduler stops a group at night
     * (capacity 2/4/2 remembered, 0/0/0 set); the user then brings it back by setting its capacity
     * ({@code PUT .../capacity {"minimum":1,"maximum":5,"target":3}}, 200); in the morning the scheduler sends its
     * start. Expected (the docs' power table: a started group, above 0, is "already there": 204, no Spot call): the
     * start changes nothing, and the capacity the user set and was answered stays 1/5/3.
     */
    @Test
    void theSchedulersStartDoesNotUndoACapacityTheUserSetAfterTheNightlyStop() throws Exception {
        String group = h.createGroup();
        Reply stop = h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);
        Reply set = h.call("PUT", "/main/elastigroups/" + group + "/capacity",
                TestService.json("{\"minimum\":1,\"maximum\":5,\"target\":3}"));
        assertThat(set.status()).as(set.body()).isEqualTo(200);
        assertThat(spotGroupCapacity(group).path("target").asInt()).isEqualTo(3);
        h.clearRequestLog();

        Reply start = h.svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"start\"}");
        assertThat(start.status()).as(start.body()).isIn(204, 409);
        JsonNode after = spotGroupCapacity(group);
        int writes = h.countSpotRequests("PUT", Harness.GROUPS + "/" + group);
        assertThat(after.path("minimum").asInt() + "/" + after.path("maximum").asInt() + "/" + after.path("target").asInt())
                .as("the group's capacity after the scheduler's start (%d group writes; start answered %d)", writes,
                        start.status())
                .isEqualTo("1/5/3");
    }
}
