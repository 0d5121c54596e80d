package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 16 on stateful nodes and fleet operations: rolls, stateful instances of a group (power, deallocation,
 * volumes), imports and bulk power, and their async tasks. Black box against the service and the simulator; a
 * failing test is a finding (see the round's report), a passing one an attack that held.
 */
class AttackRound16StatefulTest extends TaskHarnessPerClass {
    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);
    private static final Map<String, String> ASYNC = Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async");

    private Reply call(String method, String path, Object body) {
        return h.svc.call(method, path, body, TOKEN);
    }

    private void sim(String method, String path, String body) {
        Reply r = h.svc.sim(method, path, body);
        assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
    }

    private String seedStateful(String group) {
        Reply seeded = h.svc.sim("POST", "/_sim/groups/" + group + "/statefulInstances",
                "{\"accountId\": \"" + Harness.MAIN_ID + "\", \"volumes\": [{\"deviceName\": \"/dev/xvdb\"},"
                        + " {\"deviceName\": \"/dev/xvdc\"}]}");
        assertThat(seeded.status()).as(seeded.body()).isEqualTo(200);
        return seeded.json().path("id").asText();
    }

    /** The stateful instance's item as Spot lists it (straight from the simulator); null when not listed. */
    private JsonNode statefulItem(String group, String ssi) {
        Reply r = h.svc.sim("GET", Harness.GROUPS + "/" + group + "/statefulInstance?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        for (JsonNode i : r.json().path("response").path("items")) {
            if (ssi.equals(i.path("id").asText())) {
                return i;
            }
        }
        return null;
    }

    private List<String> volumes(JsonNode item) {
        List<String> out = new ArrayList<>();
        item.path("devices").forEach(d -> {
            if (!d.path("volumeId").asText("").isEmpty()) {
                out.add(d.path("volumeId").asText());
            }
        });
        return out;
    }

    private List<JsonNode> writes() {
        return h.spotRequests().stream().filter(e -> !e.path("method").asText().equals("GET")).toList();
    }

    // ---- rolls: Spot's start-deployment schema ----------------------------------------------------------------

    /**
     * Spot's start-deployment body requires {@code gracePeriod} (OAS {@code start-deployment}: required
     * batchSizePercentage, gracePeriod). Inputs: {@code POST .../rolls {"batchSizePercentage":50}},
     * {@code {"batchSizePercentage":50,"gracePeriod":null}}, and {@code PUT .../elastigroups/{id}?roll={"batchSizePercentage":50}}
     * (Terraform's should_roll form). Expected: either a 400 naming gracePeriod before anything reaches Spot, or the
     * roll Spot receives carries a gracePeriod (spot-api's own default, 300 s, as {@code ?roll=true} sends): never a
     * start-deployment body without the field Spot requires (real Spot: 400 after the update already stood, or a roll
     * whose batches are judged on a grace period nobody chose).
     */
    @Test
    void aRollWithoutAGracePeriodIsNeverSentToSpotWithoutOne() {
        List<String> problems = new ArrayList<>();
        for (String body : List.of("{\"batchSizePercentage\":50}", "{\"batchSizePercentage\":50,\"gracePeriod\":null}")) {
            String group = h.createGroup();
            h.clearRequestLog();
            Reply r = call("POST", "/main/elastigroups/" + group + "/rolls", body);
            List<JsonNode> sent = h.spotRequests("PUT", Harness.GROUPS + "/" + group + "/roll");
            if (r.status() == 400) {
                if (!sent.isEmpty()) {
                    problems.add("POST rolls " + body + ": 400 but Spot got " + sent.get(0).path("body"));
                }
                continue;
            }
            if (sent.isEmpty() || !sent.get(0).path("body").path("gracePeriod").isIntegralNumber()) {
                problems.add("POST rolls " + body + ": " + r.status() + " " + clip(r.body()) + "; Spot got "
                        + (sent.isEmpty() ? "nothing" : sent.get(0).path("body").toString()));
            }
        }
        String group = h.createGroup();
        h.clearRequestLog();
        String roll = URLEncoder.encode("{\"batchSizePercentage\":50}", StandardCharsets.UTF_8);
        Reply r = call("PUT", "/main/elastigroups/" + group + "?roll=" + roll,
                "{\"compute\":{\"launchSpecification\":{\"imageId\":\"ami-00000000000000002\"}}}");
        List<JsonNode> sent = h.spotRequests("PUT", Harness.GROUPS + "/" + group + "/roll");
        if (r.status() != 400 && (sent.isEmpty() || !sent.get(0).path("body").path("gracePeriod").isIntegralNumber())) {
            problems.add("PUT ?roll={\"batchSizePercentage\":50}: " + r.status() + "; Spot got "
                    + (sent.isEmpty() ? "nothing" : sent.get(0).path("body").toString()));
        }
        if (r.status() == 400) {
            assertThat(writes()).as("a refused update-and-roll writes nothing").isEmpty();
        }
        assertThat(problems).as("rolls sent to Spot without the gracePeriod its start-deployment requires").isEmpty();
    }

    /**
     * Spot answers a roll start 200 without naming a roll (an envelope with no item: {@code Rolls.start} takes an
     * empty object then). Inputs: a group whose last roll FINISHED earlier; a group that never rolled. Expected: never
     * a 202 whose task says {@code completed} from another roll (the group's older FINISHED one) nor a task left to
     * poll until its 30-minute deadline: either an error saying Spot named no roll (it may have started one), or a
     * task that follows a roll Spot actually has. (Held: 202 {"rollId":"","roll":{}}, and its task fails.)
     */
    @Test
    void aRollStartSpotAnswersWithoutARollIsNotCompletedFromAnOlderRoll() throws Exception {
        List<String> problems = new ArrayList<>();
        for (boolean rolledBefore : List.of(true, false)) {
            String group = h.createGroup();
            if (rolledBefore) {
                Reply first = call("POST", "/main/elastigroups/" + group + "/rolls",
                        "{\"batchSizePercentage\":100,\"gracePeriod\":60}");
                assertThat(first.status()).as(first.body()).isEqualTo(202);
                sim("POST", "/_sim/clock/advance", "{\"seconds\": 200}");
                JsonNode t = awaitEnd(first.header("X-Flywheel-Task"), 10);
                assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
            }
            h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + group + "/roll\",\"action\":\"json\","
                    + "\"count\":1,\"body\":{\"request\":{\"id\":\"5e4b1c2a-1111-4222-8333-444455556666\",\"url\":\"/\","
                    + "\"method\":\"PUT\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"},\"response\":{\"status\":{\"code\":200,"
                    + "\"message\":\"OK\"},\"kind\":\"spotinst:aws:ec2:group:deployment\",\"items\":[],\"count\":0}}}");
            Reply r;
            try {
                r = call("POST", "/main/elastigroups/" + group + "/rolls", "{\"batchSizePercentage\":50,\"gracePeriod\":60}");
            } finally {
                h.clearFaults();
            }
            if (r.status() != 202) {
                continue; // refused or a doubtful answer: what is expected
            }
            String task = r.header("X-Flywheel-Task");
            JsonNode t = awaitEnd(task, 3);
            String status = t == null ? "unknown" : t.path("status").asText();
            if (!status.equals("failed")) {
                problems.add((rolledBefore ? "after a finished roll" : "never rolled") + ": 202 " + clip(r.body())
                        + " X-Spot-Roll=" + r.header("X-Spot-Roll") + "; task " + status + ": "
                        + (t == null ? "" : t.path("events")));
            }
        }
        assertThat(problems).as("roll starts Spot answered without a roll").isEmpty();
    }

    /** (held) a roll body with a field outside the start-deployment schema, or a value Spot refuses, never reaches Spot. */
    @Test
    void rollBodiesOutsideSpotsSchemaAreRefusedBeforeSpot() {
        String group = h.createGroup();
        h.clearRequestLog();
        for (String body : List.of("{\"batchSizePercentage\":0,\"gracePeriod\":300}",
                "{\"batchSizePercentage\":50,\"gracePeriod\":300,\"groupId\":\"sig-00000000\"}",
                "{\"batchSizePercentage\":50,\"gracePeriod\":300,\"strategy\":{\"onFailure\":{}}}",
                "{\"batchSizePercentage\":50,\"gracePeriod\":300,\"healthCheckType\":\"K8S\"}",
                "{\"batchSizePercentage\":50.5,\"gracePeriod\":300}")) {
            Reply r = call("POST", "/main/elastigroups/" + group + "/rolls", body);
            assertThat(r.status()).as("%s: %s", body, r.body()).isEqualTo(400);
        }
        assertThat(writes()).as("nothing written to Spot").isEmpty();
    }

    // ---- stateful instances of a group ---------------------------------------------------------------------------

    /**
     * Spot deletes a volume of a PAUSED stateful instance only (OAS {@code deleteVolumeStatefulInstance}: "a Volume
     * that is part of a paused stateful instance"); docs/api.md promises "409 when not paused". spot-api reads the
     * group's stateful list first (the instance's {@code state} is in it). Inputs: an ACTIVE stateful instance, a
     * PAUSING one (stop under way), a RESUMING one. Expected: 409 and no DELETE sent to Spot (the state read already
     * says no, as power does with its plan); the volume still listed.
     */
    @Test
    void aVolumeOfAStatefulInstanceThatIsNotPausedIsRefusedWithoutAWrite() {
        List<String> problems = new ArrayList<>();
        sim("PUT", "/_sim/transitions", "{\"seconds\": 60}"); // the simulator's default (the harness: at once)
        String group = h.createGroup();
        for (String phase : List.of("ACTIVE", "PAUSING", "RESUMING")) {
            String ssi = seedStateful(group);
            if (!phase.equals("ACTIVE")) {
                Reply stop = call("PUT", "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/power",
                        "{\"state\":\"stop\"}");
                assertThat(stop.status()).as(stop.body()).isEqualTo(204);
            }
            if (phase.equals("RESUMING")) {
                sim("POST", "/_sim/clock/advance", "{\"seconds\": 700}");
                Reply start = call("PUT", "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/power",
                        "{\"state\":\"start\"}");
                assertThat(start.status()).as(start.body()).isEqualTo(204);
            }
            JsonNode item = statefulItem(group, ssi);
            assertThat(item.path("state").asText()).as("%s", item).isEqualTo(phase);
            String volume = volumes(item).get(0);
            h.clearRequestLog();
            Reply r = call("DELETE", "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/volumes/" + volume,
                    null);
            List<JsonNode> w = writes();
            boolean stillThere = volumes(statefulItem(group, ssi)).contains(volume);
            if (r.status() != 409 || !w.isEmpty() || !stillThere) {
                problems.add(phase + ": " + r.status() + " " + clip(r.body()) + "; writes sent to Spot: "
                        + w.stream().map(e -> e.path("method").asText() + " " + e.path("path").asText()).toList()
                        + "; volume still listed: " + stillThere);
            }
        }
        assertThat(problems).as("volume deletes of stateful instances that are not paused").isEmpty();
    }

    /**
     * (held?) An async deallocation: the task must not say {@code completed} while Spot still shows the stateful
     * instance DEALLOCATING (its volumes not yet deleted), and must complete once DEALLOCATED.
     */
    @Test
    void anAsyncDeallocationIsNotCompletedWhileSpotIsStillDeallocating() throws Exception {
        sim("PUT", "/_sim/transitions", "{\"seconds\": 60}");
        String group = h.createGroup();
        String ssi = seedStateful(group);
        Reply r = h.svc.call("DELETE", "/main/elastigroups/" + group + "/stateful-instances/" + ssi, null, ASYNC);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String task = r.header("X-Flywheel-Task");
        Thread.sleep(500);
        JsonNode item = statefulItem(group, ssi);
        JsonNode t = task(task);
        assertThat(item.path("state").asText()).as("Spot mid-deallocation: %s", item).isEqualTo("DEALLOCATING");
        assertThat(t.path("status").asText()).as("task %s while Spot shows %s", t, item).isNotEqualTo("completed");
        sim("POST", "/_sim/clock/advance", "{\"seconds\": 700}");
        t = awaitEnd(task, 10);
        assertThat(t.path("status").asText()).as("%s; Spot: %s", t, statefulItem(group, ssi)).isEqualTo("completed");
    }

    /**
     * An async reboot (recycle) of a stateful instance: the task completes only once Spot recycled it (a new EC2
     * instance), never from the ACTIVE read Spot still shows right after accepting the recycle. Spot's list shows
     * the change late here (its answer frozen for the task's first reads, as in round 14's managed-instance case).
     * Expected: not completed while the frozen list says ACTIVE with the old launch; completed after the recycle.
     */
    @Test
    void anAsyncStatefulRebootIsNotCompletedFromALaggingActiveRead() throws Exception {
        sim("PUT", "/_sim/transitions", "{\"seconds\": 60}");
        String group = h.createGroup();
        String ssi = seedStateful(group);
        sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}"); // the seed's launch well before the reboot
        Reply now = h.svc.sim("GET", Harness.GROUPS + "/" + group + "/statefulInstance?accountId=" + Harness.MAIN_ID, null);
        assertThat(now.status()).isEqualTo(200);
        Thread.sleep(1_100);
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + group + "/statefulInstance\",\"action\":\"json\","
                + "\"count\":1000,\"body\":" + now.body() + "}");
        Reply r;
        try {
            r = h.svc.call("PUT", "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/power",
                    "{\"state\":\"reboot\"}", ASYNC);
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            Thread.sleep(600);
            JsonNode t = task(r.header("X-Flywheel-Task"));
            assertThat(t.path("status").asText()).as("task from a lagging ACTIVE read: %s", t).isNotEqualTo("completed");
        } finally {
            h.clearFaults();
        }
        sim("POST", "/_sim/clock/advance", "{\"seconds\": 700}");
        JsonNode t = awaitEnd(r.header("X-Flywheel-Task"), 10);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
    }

    /**
     * (held?) Round 12's kind on deallocation: a PAUSED stateful instance's deallocation held 4 s in Spot (the caller
     * 504 "may have been applied", the call still open), then the scheduler's start of it. Expected: the start waits
     * for the deallocation's answer and is refused, or is 409 and not sent; never a 2xx start after which the earlier
     * deallocation lands (the caller told "started", Spot deleting its volumes).
     */
    @Test
    void aSlowDeallocationDoesNotUndoAStartAnsweredAfterIt() throws Exception {
        String group = h.createGroup();
        String ssi = seedStateful(group);
        String power = "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/power";
        assertThat(call("PUT", power, "{\"state\":\"stop\"}").status()).isEqualTo(204);
        assertThat(statefulItem(group, ssi).path("state").asText()).isEqualTo("PAUSED");
        h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + group + "/statefulInstance/" + ssi
                + "/deallocate\",\"action\":\"delay\",\"delayMs\":4000,\"count\":1}");
        Reply deallocate = call("DELETE", "/main/elastigroups/" + group + "/stateful-instances/" + ssi, null);
        Reply start = call("PUT", power, "{\"state\":\"start\"}");
        h.awaitSimulatorIdle();
        h.clearFaults();
        String spot = statefulItem(group, ssi).path("state").asText();
        if (start.status() >= 200 && start.status() < 300) {
            assertThat(spot).as("deallocation answered %s %s; then start answered %s; Spot now: %s", deallocate.status(),
                    clip(deallocate.body()), start.status(), spot).isIn("ACTIVE", "RESUMING");
        } else {
            assertThat(start.status()).as(start.body()).isIn(404, 409);
        }
    }

    /**
     * (held) a stateful instance id of another group of the same org under this group (power, deallocate, volume
     * delete): 404 and nothing written.
     */
    @Test
    void anotherGroupsStatefulInstanceIsNeverActedOnThroughThisGroup() {
        String mine = h.createGroup();
        String other = h.createGroup();
        String ssi = seedStateful(other);
        String volume = volumes(statefulItem(other, ssi)).get(0);
        h.clearRequestLog();
        String base = "/main/elastigroups/" + mine + "/stateful-instances/" + ssi;
        assertThat(call("PUT", base + "/power", "{\"state\":\"stop\"}").status()).isEqualTo(404);
        assertThat(call("DELETE", base, null).status()).isEqualTo(404);
        assertThat(call("DELETE", base + "/volumes/" + volume, null).status()).isEqualTo(404);
        assertThat(writes()).isEmpty();
        assertThat(statefulItem(other, ssi).path("state").asText()).isEqualTo("ACTIVE");
    }

    // ---- imports -----------------------------------------------------------------------------------------------

    /**
     * An import's {@code originalInstanceId} must be an EC2 instance id: AWS ids are {@code i-} and 8 (older) or 17
     * hexadecimal digits. Inputs: {@code i-0123456789} (10), {@code i-0123456789abcd} (14), {@code i-0123456789abcdef}
     * (16). Expected: 400 before Spot, as {@code i-xyz} is (no Spot call out of the account's rate budget, no
     * migration attempted for an id no EC2 instance can have).
     */
    @Test
    void anImportOfAnIdNoEc2InstanceCanHaveNeverReachesSpot() {
        List<String> reached = new ArrayList<>();
        for (String id : List.of("i-0123456789", "i-0123456789abcd", "i-0123456789abcdef")) {
            h.clearRequestLog();
            Reply r = call("POST", "/main/imports", "{\"originalInstanceId\":\"" + id + "\",\"region\":\"us-east-1\"}");
            if (r.status() != 400 || !writes().isEmpty()) {
                reached.add(id + ": " + r.status() + " " + clip(r.body()) + "; writes " + writes().size());
            }
        }
        assertThat(reached).as("imports of ids no EC2 instance can have").isEmpty();
    }

    /**
     * (held?) An async import: its task must not say {@code completed} while Spot's migration is still MIGRATE_START
     * (the managed instance RESUMING, not running), and completes once the migration finished and the instance is
     * ACTIVE.
     */
    @Test
    void anAsyncImportIsNotCompletedBeforeTheMigrationFinished() throws Exception {
        sim("PUT", "/_sim/transitions", "{\"seconds\": 60}");
        String ec2 = h.ec2Instance();
        Reply r = h.svc.call("POST", "/main/imports", "{\"originalInstanceId\":\"" + ec2 + "\",\"region\":\"us-east-1\"}",
                ASYNC);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String task = r.header("X-Flywheel-Task");
        String migration = r.json().path("migrationId").asText();
        Thread.sleep(500);
        JsonNode t = task(task);
        Reply m = call("GET", "/main/imports/" + migration, null);
        assertThat(m.status()).as(m.body()).isEqualTo(200);
        assertThat(m.json().path("state").asText()).as(m.body()).isEqualTo("MIGRATE_START");
        assertThat(t.path("status").asText()).as("task %s while the migration is %s", t, m.body())
                .isNotEqualTo("completed");
        sim("POST", "/_sim/clock/advance", "{\"seconds\": 61}");
        t = awaitEnd(task, 10);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(call("GET", "/main/imports/" + migration, null).json().path("state").asText()).isEqualTo("MIGRATE_FINISH");
    }

    /** (held) bulk power: reboot (not in Spot's bulk call), an empty list, 101 ids: 400, nothing sent. */
    @Test
    void bulkPowerOutsideSpotsBulkCallIsRefusedBeforeSpot() {
        String mine = h.createInstance();
        h.clearRequestLog();
        assertThat(call("PUT", "/main/instances-power", "{\"state\":\"reboot\",\"instances\":[\"" + mine + "\"]}").status())
                .isEqualTo(400);
        assertThat(call("PUT", "/main/instances-power", "{\"state\":\"stop\",\"instances\":[]}").status()).isEqualTo(400);
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 101; i++) {
            many.append(i == 0 ? "" : ",").append("\"smi-").append(String.format("%08x", i)).append('"');
        }
        assertThat(call("PUT", "/main/instances-power", "{\"state\":\"stop\",\"instances\":[" + many + "]}").status())
                .isEqualTo(400);
        assertThat(h.spotRequests()).isEmpty();
    }

    // ---- durable tasks across real replicas ------------------------------------------------------------------

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    /**
     * Two real replicas over one real Redis. Replica A (its own JVM) starts a roll ({@code POST .../rolls}, always a
     * task) and an async reboot of a stateful instance (Spot recycling it for 60 s of simulated time), answers both
     * 202, and is killed with SIGKILL. Replica B takes both work items over after the lease. Expected (held if it
     * passes): both tasks end {@code completed} once Spot's roll FINISHED and the stateful instance is ACTIVE again,
     * each taken over (not restarted): Spot saw exactly one roll start and one recycle.
     */
    @Test
    void rollAndStatefulRebootTasksOfAKilledReplicaAreFinishedByAnotherWithoutASecondWrite() throws Exception {
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator sim = dev.spotapi.sim.SpotSimulator.builder().port(0)
                        .transitionDuration(java.time.Duration.ofSeconds(60))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            int port = ServiceProcess.freePort();
            Process a = ServiceProcess.startUp(dir, port, sim.baseUrl(),
                    "\"sharedState\": {\"redisUrl\": \"" + redis.url() + "\", \"timeoutMs\": 2000},"
                            + " \"tasks\": {\"pollMs\": 50, \"leaseSeconds\": 2, \"staleSeconds\": 120}",
                    dir.resolve("replica-a.log"));
            try {
                String baseA = "http://127.0.0.1:" + port + "/v1/spot";
                var created = ServiceProcess.send("POST", baseA + "/main/elastigroups",
                        Harness.groupBody(Harness.uniqueName("r16")).toString(), Map.of());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
                String group = TestService.JSON.readTree(created.body()).path("id").asText();
                JsonNode seeded = TestService.JSON.readTree(TaskReplicaCrashTest.admin(sim, "POST",
                        "/_sim/groups/" + group + "/statefulInstances", "{\"accountId\": \"" + Harness.MAIN_ID
                                + "\", \"volumes\": [{\"deviceName\": \"/dev/xvdb\"}]}"));
                String ssi = seeded.path("id").asText();
                TaskReplicaCrashTest.admin(sim, "POST", "/_sim/clock/advance", "{\"seconds\": 120}");

                var roll = ServiceProcess.send("POST", baseA + "/main/elastigroups/" + group + "/rolls",
                        "{\"batchSizePercentage\":50,\"gracePeriod\":60}", Map.of());
                assertThat(roll.statusCode()).as(roll.body()).isEqualTo(202);
                String rollTask = roll.headers().firstValue("X-Flywheel-Task").orElseThrow();
                var reboot = ServiceProcess.send("PUT", baseA + "/main/elastigroups/" + group + "/stateful-instances/"
                        + ssi + "/power", "{\"state\":\"reboot\"}", Map.of("Prefer", "respond-async"));
                assertThat(reboot.statusCode()).as(reboot.body()).isEqualTo(202);
                String rebootTask = reboot.headers().firstValue("X-Flywheel-Task").orElseThrow();
                TaskReplicaCrashTest.awaitStatus(baseA, rollTask, "running");
                TaskReplicaCrashTest.awaitStatus(baseA, rebootTask, "running");

                a.destroyForcibly();
                assertThat(a.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)).as("replica A is gone").isTrue();
                dev.spotapi.config.TaskConfig tasks = dev.spotapi.config.TaskConfig.DEFAULTS.with(50, 10, 100, 2, 120,
                        Map.of());
                try (TestService b = TestService.replica(sim, TestService.fastSettings(), c -> c
                        .withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000)).withTasks(tasks))) {
                    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(25);
                    JsonNode r = null;
                    JsonNode s = null;
                    while (System.nanoTime() < deadline) {
                        TaskReplicaCrashTest.admin(sim, "POST", "/_sim/clock/advance", "{\"seconds\": 61}");
                        r = b.call("GET", "/flywheel?task=" + rollTask, null).json().path(rollTask);
                        s = b.call("GET", "/flywheel?task=" + rebootTask, null).json().path(rebootTask);
                        if (r.path("status").asText().matches("completed|failed")
                                && s.path("status").asText().matches("completed|failed")) {
                            break;
                        }
                        Thread.sleep(200);
                    }
                    assertThat(r.path("status").asText()).as("roll task: %s", r).isEqualTo("completed");
                    assertThat(s.path("status").asText()).as("reboot task: %s", s).isEqualTo("completed");
                    JsonNode log = TestService.JSON.readTree(TaskReplicaCrashTest.admin(sim, "GET",
                            "/_sim/requests?limit=1000", null));
                    int rolls = 0;
                    int recycles = 0;
                    for (JsonNode e : log.path("requests")) {
                        String m = e.path("method").asText();
                        String p = e.path("path").asText();
                        rolls += m.equals("PUT") && p.equals(Harness.GROUPS + "/" + group + "/roll") ? 1 : 0;
                        recycles += m.equals("PUT") && p.endsWith("/statefulInstance/" + ssi + "/recycle") ? 1 : 0;
                    }
                    assertThat(rolls).as("roll starts Spot saw").isEqualTo(1);
                    assertThat(recycles).as("recycles Spot saw").isEqualTo(1);
                }
            } finally {
                a.destroyForcibly();
            }
        }
    }

    private static String clip(String s) {
        return s == null ? "" : s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
