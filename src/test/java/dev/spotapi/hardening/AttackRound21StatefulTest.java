package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 21 on stateful nodes and rolls (helper "stateful"). Black box against the service and its simulator;
 * a failing test is a finding of the round's report.
 */
class AttackRound21StatefulTest extends TaskHarnessPerClass {

    /** Starts a roll of {@code group} (202 asserted): its answer, the roll id in {@code rollId}. */
    private Reply startRoll(String group, int batchSizePercentage, int gracePeriod) {
        Reply first = call("POST", "/main/elastigroups/" + group + "/rolls",
                "{\"batchSizePercentage\":" + batchSizePercentage + ",\"gracePeriod\":" + gracePeriod + "}");
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        return first;
    }
    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);

    private Reply call(String method, String path, Object body) {
        return h.svc.call(method, path, body, TOKEN);
    }

    /**
     * The simulator (GroupFleet.reconcile) rebuilds a group's state from its instances, history and activity only:
     * any capacity change (capacity route, scale, update with capacity, power stop/start) forgets the group's rolls
     * (running and finished) and its suspensions. Real Spot keeps a deployment through a capacity change and refuses
     * a second one while it runs (DEPLOYMENT_ALREADY_IN_PROGRESS, docs/simulator.md "One roll per group").
     * Inputs: a roll started (202), then PUT .../capacity; then a second roll. Expected: the first roll still readable
     * (GET .../rolls/{id} 200), its task not failed as "no longer exists", the second roll 409 naming the first.
     * Before: GET 404, the task failed ("DEPLOYMENT_NOT_FOUND"), the second roll 202: two rolls of one group.
     */
    @Test
    void aCapacityChangeDuringARollNeitherForgetsTheRollNorLetsASecondOneStart() throws Exception {
        String group = h.createGroup();
        Reply first = startRoll(group, 50, 600);
        String roll = first.json().path("rollId").asText();
        Reply cap = call("PUT", "/main/elastigroups/" + group + "/capacity", "{\"minimum\":1,\"maximum\":4,\"target\":3}");
        assertThat(cap.status()).as(cap.body()).isEqualTo(200);
        List<String> problems = new ArrayList<>();
        Reply read = call("GET", "/main/elastigroups/" + group + "/rolls/" + roll, null);
        if (read.status() != 200) {
            problems.add("GET rolls/" + roll + " after the capacity change: " + read.status() + " " + read.body());
        }
        Reply second = call("POST", "/main/elastigroups/" + group + "/rolls",
                "{\"batchSizePercentage\":50,\"gracePeriod\":600}");
        if (second.status() != 409) {
            problems.add("a second roll while " + roll + " runs: " + second.status() + " " + second.body());
        }
        JsonNode task = task(first.header("X-Flywheel-Task"));
        if ("failed".equals(task.path("status").asText())) {
            problems.add("the first roll's task: " + task.path("failure").asText());
        }
        assertThat(problems).as("a capacity change during a roll").isEmpty();
    }

    /**
     * The same reconcile forgets a finished roll's history and the group's suspensions on a scale. Inputs: a roll
     * run to FINISHED, AUTO_HEALING suspended, then PUT .../scale up 1. Expected: GET .../rolls still lists the roll,
     * GET .../suspensions still shows AUTO_HEALING (Spot keeps both). Before: [] and no suspensions.
     */
    @Test
    void aScaleNeitherErasesTheGroupsRollHistoryNorItsSuspensions() throws Exception {
        String group = h.createGroup();
        Reply first = startRoll(group, 100, 60);
        h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 200}");
        JsonNode t = awaitEnd(first.header("X-Flywheel-Task"), 10);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        Reply suspend = call("PUT", "/main/elastigroups/" + group + "/suspensions",
                "{\"suspensions\":[{\"name\":\"AUTO_HEALING\",\"ttlInMinutes\":60}]}");
        assertThat(suspend.status()).as(suspend.body()).isEqualTo(200);
        Reply scale = call("PUT", "/main/elastigroups/" + group + "/scale", "{\"direction\":\"up\",\"adjustment\":1}");
        assertThat(scale.status()).as(scale.body()).isEqualTo(200);
        List<String> problems = new ArrayList<>();
        Reply rolls = call("GET", "/main/elastigroups/" + group + "/rolls", null);
        if (!rolls.body().contains(first.json().path("rollId").asText())) {
            problems.add("GET rolls after a scale: " + rolls.status() + " " + rolls.body());
        }
        Reply susp = call("GET", "/main/elastigroups/" + group + "/suspensions", null);
        if (!susp.body().contains("AUTO_HEALING")) {
            problems.add("GET suspensions after a scale: " + susp.status() + " " + susp.body());
        }
        assertThat(problems).as("a scale forgot the group's state").isEmpty();
    }

    /**
     * Not only capacity: every group update goes through the same reconcile (GroupType.stateAfterUpdate). Input: a
     * roll started, then {@code PUT .../tags {"tags":{"team":"web"}}} (a plain group update). Expected: the roll still
     * listed IN_PROGRESS. Before: {@code GET .../rolls} is [] and the roll's task fails.
     */
    @Test
    void aTagWriteDuringARollDoesNotForgetTheRoll() {
        String group = h.createGroup();
        Reply first = startRoll(group, 50, 600);
        Reply tags = call("PUT", "/main/elastigroups/" + group + "/tags", "{\"tags\":{\"team\":\"web\"}}");
        assertThat(tags.status()).as(tags.body()).isEqualTo(200);
        Reply rolls = call("GET", "/main/elastigroups/" + group + "/rolls", null);
        assertThat(rolls.body()).as("the group's rolls after a tag write").contains(first.json().path("rollId").asText());
    }

    /** The words of an answer past its operation label ("failed to deallocate stateful instance ..."). */
    private static String said(Reply r) {
        return r.body().replaceAll("failed to [a-z ]+ in account '[^']*': ", "").toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * A deallocation repeated (a retry after a lost reply or a timeout, a second click) while Spot deallocates and
     * after it has: the stateful instance is listed DEALLOCATING, then DEALLOCATED, as asked. Expected, as a repeated
     * power answers "already there or moving there" with 204 and a repeated delete says "already deleted": a 204, or
     * an answer that says it is (being) deallocated; never "retry" (409 Retry-After: the retry can only end in a 404)
     * nor a bare "does not exist" for an instance the group's list still shows. A start of the DEALLOCATING instance:
     * never a 409 with Retry-After ("wait until it is done": it will never start). Before: 409 Retry-After 5 "is
     * DEALLOCATING; wait until it is done" for both, then 404 "Stateful instance: '...' does not exist" (round 12's
     * test of the retry only checks that "dealloc" appears, which the operation label always does).
     */
    @Test
    void aRepeatedDeallocationSaysItIsUnderWayOrDoneAndAStartOfADeallocatingInstanceIsNotToldToRetry() {
        String group = h.createGroup();
        Reply seeded = h.svc.sim("POST", "/_sim/groups/" + group + "/statefulInstances",
                "{\"accountId\": \"" + Harness.MAIN_ID + "\", \"volumes\": [{\"deviceName\": \"/dev/xvdb\"}]}");
        assertThat(seeded.status()).as(seeded.body()).isEqualTo(200);
        String ssi = seeded.json().path("id").asText();
        String path = "/main/elastigroups/" + group + "/stateful-instances/" + ssi;
        String before = h.svc.sim("GET", "/_sim/transitions", null).body();
        List<String> problems = new ArrayList<>();
        try {
            h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 60}");
            Reply first = call("DELETE", path, null);
            assertThat(first.status()).as(first.body()).isEqualTo(204);
            Reply again = call("DELETE", path, null);
            if (!(again.status() == 204 || again.header("Retry-After") == null && said(again).contains("dealloc"))) {
                problems.add("repeated DELETE while DEALLOCATING: " + again.status() + " Retry-After="
                        + again.header("Retry-After") + " " + again.body());
            }
            Reply start = call("PUT", path + "/power", "{\"state\":\"start\"}");
            if (start.status() == 409 && start.header("Retry-After") != null) {
                problems.add("start of a DEALLOCATING instance: 409 Retry-After=" + start.header("Retry-After") + " "
                        + start.body());
            }
            h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 600}");
            Reply list = call("GET", "/main/elastigroups/" + group + "/stateful-instances", null);
            Reply late = call("DELETE", path, null);
            if (!(late.status() == 204 || said(late).contains("dealloc"))) {
                problems.add("repeated DELETE once DEALLOCATED (listed: " + list.body().contains("DEALLOCATED") + "): "
                        + late.status() + " " + late.body());
            }
        } finally {
            h.svc.sim("PUT", "/_sim/transitions", before);
        }
        assertThat(problems).as("a repeated deallocation").isEmpty();
    }

    /**
     * docs/api.md: {@code PUT .../elastigroups/{id}?roll=true} while a roll runs: "when Spot refuses the roll (one
     * running: 409) the update stands and the refusal is the answer". In the sandbox the update itself erases the
     * running roll, so a second roll starts: 202 with a new X-Spot-Roll, the first roll gone. Expected: 409 naming the
     * running roll, which is still listed.
     */
    @Test
    void anUpdateAndRollDuringARollIsRefusedAndTheRunningRollStays() {
        String group = h.createGroup();
        Reply first = startRoll(group, 50, 600);
        String roll = first.json().path("rollId").asText();
        Reply update = call("PUT", "/main/elastigroups/" + group + "?roll=true",
                "{\"compute\":{\"launchSpecification\":{\"imageId\":\"ami-00000000000000002\"}}}");
        Reply rolls = call("GET", "/main/elastigroups/" + group + "/rolls", null);
        assertThat(update.status() + " X-Spot-Roll=" + update.header("X-Spot-Roll") + "; listed first roll: "
                + rolls.body().contains(roll)).as("update-and-roll during roll %s", roll)
                .isEqualTo("409 X-Spot-Roll=null; listed first roll: true");
    }
}
