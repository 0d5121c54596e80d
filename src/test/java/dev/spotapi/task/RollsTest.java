package dev.spotapi.task;

import static dev.spotapi.task.TaskTestSupport.advanceSimClock;
import static dev.spotapi.task.TaskTestSupport.awaitEnd;
import static dev.spotapi.task.TaskTestSupport.awaitEvent;
import static dev.spotapi.task.TaskTestSupport.groupBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 22, black-box over HTTP: rolls (blue/green deployments) run batch by batch in the simulator's time and
 * are followed by a flywheel task; failing health checks, stop, one roll at a time, update with a roll, detach
 * and process suspensions.
 */
class RollsTest {
    private static TestService svc;

    @BeforeAll
    static void start() {
        svc = TestService.start(TestService.fastSettings(), c -> c.withTasks(TaskTestSupport.fast(100, Map.of())));
    }

    @AfterAll
    static void stop() {
        svc.close();
    }

    @BeforeEach
    void reset() {
        svc.resetSimulator();
        assertThat(svc.sim("PUT", "/_sim/unhealthyImages", "{\"imageIds\": []}").status()).isEqualTo(200);
        assertThat(svc.sim("POST", "/_sim/clock/set", "{\"frozen\": true}").status()).isEqualTo(200);
    }

    private static String group(int target) {
        ObjectNode body = groupBody();
        ((ObjectNode) body.get("capacity")).put("minimum", 0).put("target", target).put("maximum", Math.max(target, 4) * 2);
        Reply r = svc.call("POST", "/main/elastigroups", body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("id").asText();
    }

    private static void setImage(String group, String image) {
        Reply r = svc.call("PUT", "/main/elastigroups/" + group,
                "{\"compute\": {\"launchSpecification\": {\"imageId\": \"" + image + "\"}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("X-Flywheel-Task")).as("an update without ?roll never rolls").isNull();
    }

    private static Reply roll(String group, String body) {
        return svc.call("POST", "/main/elastigroups/" + group + "/rolls", body);
    }

    /** The 202 of a roll start: returns {taskId, rollId}. */
    private static String[] started(Reply r) {
        assertThat(r.status()).as("roll start: %s", r.body()).isEqualTo(202);
        String task = r.header("X-Flywheel-Task");
        String rollId = r.header("X-Spot-Roll");
        assertThat(task).isNotBlank();
        assertThat(rollId).matches("sbgd-[0-9a-f]{8}");
        return new String[] {task, rollId};
    }

    private static JsonNode rollOf(String group, String rollId) {
        Reply r = svc.call("GET", "/main/elastigroups/" + group + "/rolls/" + rollId, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** The group's fleet as Spot shows it: instance id → image id ("" for instances launched before any roll). */
    private static Map<String, String> fleet(String group) {
        Reply r = svc.sim("GET", "/aws/ec2/group/" + group + "/status?accountId=" + TestService.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        Map<String, String> out = new java.util.LinkedHashMap<>();
        r.json().path("response").path("items").forEach(i -> out.put(i.path("instanceId").asText(),
                i.path("imageId").asText("")));
        return out;
    }

    private static int target(String group) {
        Reply r = svc.call("GET", "/main/elastigroups/" + group, null);
        return r.json().path("capacity").path("target").asInt();
    }

    @Test
    void aRollAfterAnImageChangeReplacesEveryInstanceBatchByBatchAndItsTaskCompletes() throws InterruptedException {
        String g = group(4);
        Set<String> before = fleet(g).keySet();
        assertThat(before).hasSize(4);
        setImage(g, "ami-0000000000000new1");
        assertThat(fleet(g).keySet()).as("the update alone changes no instance").isEqualTo(before);

        String[] ids = started(roll(g, "{\"batchSizePercentage\": 50, \"gracePeriod\": 60, \"healthCheckType\": \"EC2\"}"));
        Reply list = svc.call("GET", "/main/elastigroups/" + g + "/rolls", null);
        assertThat(list.json().path(0).path("id").asText()).isEqualTo(ids[1]);

        Reply health = svc.call("GET", "/main/elastigroups/" + g + "/healthiness", null);
        assertThat(health.status()).isEqualTo(200);
        assertThat(health.json()).hasSize(6);
        long waiting = 0;
        for (JsonNode h : health.json()) {
            waiting += h.path("healthStatus").asText().equals("INSUFFICIENT_DATA") ? 1 : 0;
        }
        assertThat(waiting).as("the first batch's new instances are in their grace period").isEqualTo(2);

        awaitEvent(svc, ids[0], "batch 1 of 2");
        advanceSimClock(svc, 60);
        // a read of the roll already in flight (the task's own poll, started before the clock moved) may answer
        // this one too (identical concurrent reads share one Spot call): the next poll sees batch 2
        JsonNode mid = rollOf(g, ids[1]);
        for (long end = System.nanoTime() + 5_000_000_000L; mid.path("currentBatch").asInt() != 2
                && System.nanoTime() < end; mid = rollOf(g, ids[1])) {
            Thread.sleep(20);
        }
        assertThat(mid.path("currentBatch").asInt()).isEqualTo(2);
        assertThat(mid.path("progress").path("value").asInt()).isEqualTo(50);
        assertThat(fleet(g).keySet()).as("batch 1 replaced two old instances").hasSize(6)
                .containsAnyElementsOf(before).filteredOn(before::contains).hasSize(2);
        awaitEvent(svc, ids[0], "batch 2 of 2");
        advanceSimClock(svc, 60);

        JsonNode t = awaitEnd(svc, ids[0]);
        assertThat(t.path("status").asText()).as("task %s", t).isEqualTo("completed");
        JsonNode done = rollOf(g, ids[1]);
        assertThat(done.path("status").asText()).isEqualTo("FINISHED");
        assertThat(done.path("progress").path("value").asInt()).isEqualTo(100);
        assertThat(done.path("instances").path(0).path("green")).hasSize(4);
        Map<String, String> after = fleet(g);
        assertThat(after).hasSize(4);
        assertThat(after.keySet()).doesNotContainAnyElementsOf(before);
        assertThat(after.values()).containsOnly("ami-0000000000000new1");
    }

    @Test
    void aFailingHealthCheckEndsInFailedWithSpotsOnFailureActionApplied() throws InterruptedException {
        String g = group(2);
        Set<String> before = fleet(g).keySet();
        svc.sim("PUT", "/_sim/unhealthyImages", "{\"imageIds\": [\"ami-00000000000000bad\"]}");
        setImage(g, "ami-00000000000000bad");
        String[] ids = started(roll(g, "{\"batchSizePercentage\": 50, \"gracePeriod\": 30, \"strategy\": "
                + "{\"action\": \"REPLACE_SERVER\", \"onFailure\": {\"actionType\": \"DETACH_NEW\", "
                + "\"shouldDecrementTargetCapacity\": true}}}"));
        assertThat(fleet(g)).hasSize(3);
        advanceSimClock(svc, 30);
        JsonNode t = awaitEnd(svc, ids[0]);
        assertThat(t.path("status").asText()).isEqualTo("failed");
        assertThat(t.path("failure").asText()).contains("FAILED");
        assertThat(rollOf(g, ids[1]).path("status").asText()).isEqualTo("FAILED");
        assertThat(fleet(g).keySet()).as("DETACH_NEW: the new instances left, the old ones stay").isEqualTo(before);
        assertThat(target(g)).isEqualTo(2);

        // DETACH_OLD: the failed batch's old instance leaves, the new one stays
        String[] again = started(roll(g, "{\"batchSizePercentage\": 50, \"gracePeriod\": 30, \"strategy\": "
                + "{\"onFailure\": {\"actionType\": \"DETACH_OLD\"}}}"));
        advanceSimClock(svc, 30);
        assertThat(awaitEnd(svc, again[0]).path("status").asText()).isEqualTo("failed");
        Map<String, String> after = fleet(g);
        assertThat(after).hasSize(2);
        assertThat(after.keySet().stream().filter(before::contains)).hasSize(1);
        assertThat(after.values()).contains("ami-00000000000000bad");
    }

    @Test
    void stopHaltsTheRollAndASecondRollIsAConflictNamingTheRunningOne() throws InterruptedException {
        String g = group(4);
        Set<String> before = fleet(g).keySet();
        setImage(g, "ami-0000000000000new2");
        String[] ids = started(roll(g, "{\"batchSizePercentage\": 25, \"gracePeriod\": 100}"));

        Reply second = roll(g, "{\"batchSizePercentage\": 50, \"gracePeriod\": 100}");
        assertThat(second.status()).as(second.body()).isEqualTo(409);
        assertThat(second.body()).contains(ids[1]);

        advanceSimClock(svc, 100);
        awaitEvent(svc, ids[0], "batch 2 of 4");
        Reply stop = svc.call("PUT", "/main/elastigroups/" + g + "/rolls/" + ids[1], "{\"status\": \"STOPPED\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);
        advanceSimClock(svc, 1000);
        JsonNode t = awaitEnd(svc, ids[0]);
        assertThat(t.path("status").asText()).isEqualTo("failed");
        assertThat(t.path("failure").asText()).contains("STOPPED");
        JsonNode roll = rollOf(g, ids[1]);
        assertThat(roll.path("status").asText()).isEqualTo("STOPPED");
        assertThat(roll.path("currentBatch").asInt()).isEqualTo(2);
        Map<String, String> after = fleet(g);
        assertThat(after).as("one batch replaced, the one in progress undone").hasSize(4);
        assertThat(after.keySet().stream().filter(before::contains)).hasSize(3);
        Reply badStop = svc.call("PUT", "/main/elastigroups/" + g + "/rolls/" + ids[1], "{\"status\": \"RUNNING\"}");
        assertThat(badStop.status()).isEqualTo(400);
    }

    @Test
    void updateWithRollUpdatesTheGroupAndRollsIt() throws InterruptedException {
        String g = group(2);
        Set<String> before = fleet(g).keySet();
        String roll = URLEncoder.encode("{\"batchSizePercentage\":100,\"gracePeriod\":10}", StandardCharsets.UTF_8);
        Reply r = svc.call("PUT", "/main/elastigroups/" + g + "?roll=" + roll,
                "{\"compute\": {\"launchSpecification\": {\"imageId\": \"ami-0000000000000new3\"}}}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.json().path("compute").path("launchSpecification").path("imageId").asText())
                .isEqualTo("ami-0000000000000new3");
        String task = r.header("X-Flywheel-Task");
        String rollId = r.header("X-Spot-Roll");
        assertThat(rollId).startsWith("sbgd-");
        advanceSimClock(svc, 10);
        assertThat(awaitEnd(svc, task).path("status").asText()).isEqualTo("completed");
        Map<String, String> after = fleet(g);
        assertThat(after.keySet()).hasSize(2).doesNotContainAnyElementsOf(before);
        assertThat(after.values()).containsOnly("ami-0000000000000new3");

        Reply defaults = svc.call("PUT", "/main/elastigroups/" + g + "?roll=true", "{\"name\": \"renamed\"}");
        assertThat(defaults.status()).as(defaults.body()).isEqualTo(202);
        assertThat(rollOf(g, defaults.header("X-Spot-Roll")).path("gracePeriod").asInt()).isEqualTo(300);

        Reply bad = svc.call("PUT", "/main/elastigroups/" + g + "?roll=" + URLEncoder.encode(
                "{\"batchSizePercentage\":101}", StandardCharsets.UTF_8), "{\"name\": \"x\"}");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("batchSizePercentage");
    }

    /**
     * The closing-note figures: a 10-batch roll (10 %) of a 20-instance group with a 300 s grace period. Spot calls
     * are counted in the simulator's request log, from the roll's start to the task's end.
     */
    @Test
    void aTenBatchRollOfTwentyInstancesAndTheSpotCallsItCosts() throws InterruptedException {
        String g = group(20);
        Set<String> before = fleet(g).keySet();
        setImage(g, "ami-0000000000000new4");
        svc.sim("DELETE", "/_sim/requests", null);
        long simStart = simNow();
        long realStart = System.nanoTime();
        String[] ids = started(roll(g, "{\"batchSizePercentage\": 10, \"gracePeriod\": 300}"));
        for (int batch = 1; batch <= 10; batch++) {
            awaitEvent(svc, ids[0], "batch " + batch + " of 10");
            advanceSimClock(svc, 300);
        }
        JsonNode t = awaitEnd(svc, ids[0]);
        long realMs = (System.nanoTime() - realStart) / 1_000_000;
        long simMs = simNow() - simStart;
        assertThat(t.path("status").asText()).isEqualTo("completed");
        Map<String, String> after = fleet(g);
        assertThat(after).hasSize(20);
        assertThat(after.keySet()).doesNotContainAnyElementsOf(before);
        Map<String, Integer> calls = new java.util.TreeMap<>();
        for (JsonNode e : svc.sim("GET", "/_sim/requests?limit=1000", null).json().path("requests")) {
            String path = e.path("path").asText().replaceAll("sig-[0-9a-f]+", "{id}").replaceAll("sbgd-[0-9a-f]+", "{rollId}");
            if (!path.endsWith("/status") || path.contains("/roll/")) {
                calls.merge(e.path("method").asText() + " " + path, 1, Integer::sum);
            }
        }
        System.out.printf("10-batch roll of 20 instances: simulated %d s, real %d ms, Spot calls %s (task events %d)%n",
                simMs / 1000, realMs, calls, t.path("events").size());
        assertThat(calls.get("PUT /aws/ec2/group/{id}/roll")).isEqualTo(1);
        assertThat(simMs).isGreaterThanOrEqualTo(3000_000L);
    }

    private static long simNow() {
        Reply r = svc.sim("GET", "/_sim/clock", null);
        return java.time.Instant.parse(r.json().path("now").asText()).toEpochMilli();
    }

    @Test
    void anIdempotencyKeyReplaysTheRollStartWithoutASecondRoll() throws InterruptedException {
        String g = group(2);
        svc.sim("DELETE", "/_sim/requests", null);
        Map<String, String> headers = Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", "roll-key-1");
        String body = "{\"batchSizePercentage\": 100, \"gracePeriod\": 5}";
        Reply first = svc.call("POST", "/main/elastigroups/" + g + "/rolls", body, headers);
        String[] ids = started(first);
        Reply again = svc.call("POST", "/main/elastigroups/" + g + "/rolls", body, headers);
        assertThat(again.status()).isEqualTo(202);
        assertThat(again.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(again.header("X-Flywheel-Task")).isEqualTo(ids[0]);
        assertThat(again.json().path("rollId").asText()).isEqualTo(ids[1]);
        long starts = 0;
        for (JsonNode e : svc.sim("GET", "/_sim/requests?limit=1000", null).json().path("requests")) {
            starts += e.path("method").asText().equals("PUT") && e.path("path").asText().endsWith("/roll") ? 1 : 0;
        }
        assertThat(starts).as("one roll reached Spot").isEqualTo(1);
        advanceSimClock(svc, 5);
        assertThat(awaitEnd(svc, ids[0]).path("status").asText()).isEqualTo("completed");
    }

    @Test
    void spotsRefusalsAreAnswered() {
        String empty = group(0);
        Reply zero = roll(empty, "{\"batchSizePercentage\": 50}");
        assertThat(zero.status()).as(zero.body()).isEqualTo(400);
        assertThat(zero.body()).contains("no running instances");
        String g = group(1);
        svc.sim("DELETE", "/_sim/requests", null);
        for (String body : List.of("{\"batchSizePercentage\": 0}", "{\"batchSizePercentage\": 101}",
                "{\"gracePeriod\": 10}", "{\"batchSizePercentage\": 50, \"strategy\": {\"action\": \"SWAP\"}}",
                "{\"batchSizePercentage\": 50, \"unknown\": 1}",
                "{\"batchSizePercentage\": 50, \"strategy\": {\"onFailure\": {\"actionType\": \"KEEP\"}}}")) {
            assertThat(roll(g, body).status()).as(body).isEqualTo(400);
        }
        JsonNode log = svc.sim("GET", "/_sim/requests?limit=1000", null).json().path("requests");
        for (JsonNode e : log) {
            assertThat(e.path("method").asText()).as("a refused body writes nothing: %s", e).isEqualTo("GET");
        }
    }

    @Test
    void detachWithAndWithoutDecrement() {
        String g = group(3);
        List<String> ids = List.copyOf(fleet(g).keySet());
        Reply r = svc.call("PUT", "/main/elastigroups/" + g + "/detach", "{\"instancesToDetach\": [\"" + ids.get(0)
                + "\"], \"shouldDecrementTargetCapacity\": true, \"shouldTerminateInstances\": true}");
        assertThat(r.status()).as(r.body()).isEqualTo(204);
        assertThat(target(g)).isEqualTo(2);
        assertThat(fleet(g).keySet()).containsExactlyInAnyOrder(ids.get(1), ids.get(2));

        r = svc.call("PUT", "/main/elastigroups/" + g + "/detach", "{\"instancesToDetach\": [\"" + ids.get(1)
                + "\"], \"shouldDecrementTargetCapacity\": false, \"shouldTerminateInstances\": false, \"drainingTimeout\": 0}");
        assertThat(r.status()).as(r.body()).isEqualTo(204);
        assertThat(target(g)).isEqualTo(2);
        Set<String> now = fleet(g).keySet();
        assertThat(now).hasSize(2).contains(ids.get(2)).doesNotContain(ids.get(1));

        Reply missing = svc.call("PUT", "/main/elastigroups/" + g + "/detach",
                "{\"instancesToDetach\": [\"i-0123456789abcdef0\"], \"shouldDecrementTargetCapacity\": true,"
                        + " \"shouldTerminateInstances\": true}");
        assertThat(missing.status()).isEqualTo(400);
        Reply noFlags = svc.call("PUT", "/main/elastigroups/" + g + "/detach",
                "{\"instancesToDetach\": [\"" + ids.get(2) + "\"]}");
        assertThat(noFlags.status()).isEqualTo(400);
        assertThat(fleet(g).keySet()).isEqualTo(now);
    }

    @Test
    void suspendAndResumeProcesses() {
        String g = group(1);
        Reply r = svc.call("PUT", "/main/elastigroups/" + g + "/suspensions",
                "{\"suspensions\": [{\"name\": \"AUTO_HEALING\", \"ttlInMinutes\": 60}, {\"name\": \"SCHEDULING\"}]}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(names(r.json())).containsExactlyInAnyOrder("AUTO_HEALING", "SCHEDULING");
        Reply list = svc.call("GET", "/main/elastigroups/" + g + "/suspensions", null);
        assertThat(names(list.json())).containsExactlyInAnyOrder("AUTO_HEALING", "SCHEDULING");

        assertThat(svc.call("DELETE", "/main/elastigroups/" + g + "/suspensions/AUTO_HEALING", null).status())
                .isEqualTo(204);
        assertThat(names(svc.call("GET", "/main/elastigroups/" + g + "/suspensions", null).json()))
                .containsExactly("SCHEDULING");
        advanceSimClock(svc, 10);
        assertThat(svc.call("PUT", "/main/elastigroups/" + g + "/suspensions",
                "{\"suspensions\": [{\"name\": \"OUT_OF_STRATEGY\", \"ttlInMinutes\": 1}]}").status()).isEqualTo(200);
        advanceSimClock(svc, 61);
        assertThat(names(svc.call("GET", "/main/elastigroups/" + g + "/suspensions", null).json()))
                .as("a suspension with a TTL ends by itself").containsExactly("SCHEDULING");

        assertThat(svc.call("PUT", "/main/elastigroups/" + g + "/suspensions",
                "{\"suspensions\": [{\"name\": \"NAPPING\"}]}").status()).isEqualTo(400);
        assertThat(svc.call("PUT", "/main/elastigroups/" + g + "/suspensions",
                "{\"processes\": [\"AUTO_SCALE\"]}").status()).isEqualTo(400);
        assertThat(svc.call("DELETE", "/main/elastigroups/" + g + "/suspensions/NAPPING", null).status()).isEqualTo(400);
    }

    private static Set<String> names(JsonNode suspensions) {
        Set<String> out = new HashSet<>();
        suspensions.path("suspensions").forEach(s -> out.add(s.path("name").asText()));
        return out;
    }
}
