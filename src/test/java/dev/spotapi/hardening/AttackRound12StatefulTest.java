package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 12 on stateful nodes (bulk power, stateful instances of a group, imports), rolls and the async task
 * protocol as the portal's services call them. Black box against the service and the simulator; a failing test is
 * a finding (see the round's report), a passing one an attack that held.
 */
class AttackRound12StatefulTest extends HarnessPerClass {
    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);
    private static final Map<String, String> ASYNC = Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async");

    private Reply call(String method, String path, Object body) {
        return h.svc.call(method, path, body, TOKEN);
    }

    private void sim(String method, String path, String body) {
        Reply r = h.svc.sim(method, path, body);
        assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
    }

    /** Polls the task until it is completed or failed (at most {@code seconds}); answers the last task seen. */
    private JsonNode awaitEnd(String task, int seconds) throws InterruptedException {
        JsonNode t = null;
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < end) {
            Reply r = call("GET", "/flywheel?task=" + task, null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            t = r.json().path(task);
            String status = t.path("status").asText();
            if (status.equals("completed") || status.equals("failed")) {
                return t;
            }
            Thread.sleep(100);
        }
        return t;
    }

    /** Spot's status word of a managed instance, read from the simulator directly. */
    private String spotStatus(String mi) {
        Reply r = h.svc.sim("GET", Harness.INSTANCES + "/" + mi + "/status", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0).path("status").asText();
    }

    private String statefulGroup() {
        return h.createGroup();
    }

    private String seedStateful(String group) {
        Reply seeded = h.svc.sim("POST", "/_sim/groups/" + group + "/statefulInstances",
                "{\"accountId\": \"" + Harness.MAIN_ID + "\", \"volumes\": [{\"deviceName\": \"/dev/xvdb\"}]}");
        assertThat(seeded.status()).as(seeded.body()).isEqualTo(200);
        return seeded.json().path("id").asText();
    }

    private JsonNode statefulItem(String group, String ssi) {
        Reply r = h.svc.sim("GET", Harness.GROUPS + "/" + group + "/statefulInstance", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        for (JsonNode i : r.json().path("response").path("items")) {
            if (ssi.equals(i.path("id").asText())) {
                return i;
            }
        }
        return null;
    }

    // ---- bulk power: partial failures -----------------------------------------------------------------

    /**
     * A bulk stop of four instances. Spot refuses the first (all-or-nothing) call, so spot-api sends the ids again in
     * halves; Spot carries out the first half's call but its reply is lost ({@code drop_reply}), the second half's
     * is answered. The answer must not say {@code failed} ("Spot refused it", openapi.json BulkPowerResult) for
     * instances Spot paused: each id's result must agree with what Spot did (accepted when Spot shows it
     * PAUSED/PAUSING), or at least say that the change may have been applied.
     */
    @Test
    void aBulkStopWhoseHalfLostItsReplyDoesNotReportPausedInstancesAsFailed() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ids.add(h.createInstance());
        }
        String state = Harness.INSTANCES + "/state";
        h.fault("{\"method\":\"PUT\",\"path\":\"" + state + "\",\"action\":\"status\",\"status\":400,"
                + "\"errorCode\":\"MANAGED_INSTANCE_ACTION_IN_PROGRESS\",\"message\":\"busy\",\"count\":1}");
        h.fault("{\"method\":\"PUT\",\"path\":\"" + state + "\",\"action\":\"drop_reply\",\"count\":1}");
        Reply bulk;
        try {
            bulk = call("PUT", "/main/instances-power", "{\"state\":\"stop\",\"instances\":[\"" + String.join("\",\"", ids)
                    + "\"]}");
        } finally {
            h.clearFaults();
        }
        assertThat(bulk.status()).as(bulk.body()).isEqualTo(200);
        Map<String, String> spot = new LinkedHashMap<>();
        Map<String, JsonNode> answered = new LinkedHashMap<>();
        for (JsonNode r : bulk.json().path("instances")) {
            answered.put(r.path("id").asText(), r);
        }
        for (String id : ids) {
            spot.put(id, spotStatus(id));
        }
        for (String id : ids) {
            boolean paused = spot.get(id).equals("PAUSED") || spot.get(id).equals("PAUSING");
            JsonNode r = answered.get(id);
            assertThat(r).as("answer for %s: %s", id, bulk.body()).isNotNull();
            if (paused) {
                String message = r.path("message").asText("");
                assertThat(r.path("result").asText().equals("accepted") || message.contains("may have been applied"))
                        .as("Spot paused %s (Spot: %s) but the bulk answer says %s", id, spot, bulk.body()).isTrue();
            } else {
                assertThat(r.path("result").asText()).as("Spot: %s; answer %s", spot, bulk.body()).isNotEqualTo("accepted");
            }
        }
    }

    /** (held?) ids that are paths ({@code smi-../..}, percent forms, uppercase) never reach Spot from a bulk body. */
    @Test
    void bulkPowerIdsThatAreNotIdsNeverReachSpot() {
        String mine = h.createInstance();
        h.clearRequestLog();
        for (String bad : List.of("smi-1234/../../group", "smi-1234%2F..", "SMI-1234", "smi-1234\\u002Fx", "smi-", " smi-1234")) {
            Reply r = call("PUT", "/main/instances-power", "{\"state\":\"stop\",\"instances\":[\"" + mine + "\",\"" + bad + "\"]}");
            assertThat(r.status()).as("%s: %s", bad, r.body()).isEqualTo(400);
        }
        // (the class's earlier tests leave roll tasks that still read their rolls: only managed-instance calls count)
        assertThat(h.spotRequests().stream().filter(r -> r.path("path").asText().startsWith("/aws/ec2/managedInstance"))
                .toList()).as("nothing may reach Spot").isEmpty();
        assertThat(spotStatus(mine)).isEqualTo("ACTIVE");
    }

    // ---- async tasks of stateful instances -------------------------------------------------------------

    /**
     * An async stop of a stateful instance (202, task waiting for PAUSED); before the task looks again, another tool
     * deallocates the instance in Spot (it stays listed as DEALLOCATED: no EC2 instance, no devices, every action
     * refused). The instance can never be PAUSED: the task must end (failed) promptly, as it does when the instance
     * leaves the list, not stay running until its 30-minute deadline.
     */
    @Test
    void anAsyncStatefulStopWhoseInstanceIsDeallocatedMeanwhileEndsPromptly() throws Exception {
        String group = statefulGroup();
        String ssi = seedStateful(group);
        sim("PUT", "/_sim/transitions", "{\"seconds\": 600}");
        Reply stop = h.svc.call("PUT", "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/power",
                "{\"state\":\"stop\"}", ASYNC);
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        String task = stop.header("X-Flywheel-Task");
        assertThat(task).isNotBlank();
        // the task's next reads wait 2 s in Spot; meanwhile the pause ends and another tool deallocates the instance
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + group + "/statefulInstance\","
                + "\"action\":\"delay\",\"delayMs\":2000,\"count\":2}");
        try {
            sim("POST", "/_sim/clock/advance", "{\"seconds\": 601}");
            sim("PUT", Harness.GROUPS + "/" + group + "/statefulInstance/" + ssi + "/deallocate", null);
            sim("POST", "/_sim/clock/advance", "{\"seconds\": 601}");
        } finally {
            h.clearFaults();
        }
        JsonNode item = statefulItem(group, ssi);
        assertThat(item).isNotNull();
        assertThat(item.path("state").asText()).isEqualTo("DEALLOCATED");
        JsonNode t = awaitEnd(task, 20);
        assertThat(t.path("status").asText())
                .as("the stop's task of a stateful instance Spot shows DEALLOCATED (it can never be PAUSED): %s", t)
                .isEqualTo("failed");
    }

    // ---- bulk import: what a refusal costs --------------------------------------------------------------

    /**
     * A bulk import of 50 EC2 instances Spot does not know (each in Spot's {@code failures}): Spot answered the whole
     * request in its one bulk call, with a reason per instance. spot-api then imports each refused instance again on
     * its own (a second import call per id: 51 imports sent for one request), the amplification round 2 removed from
     * bulk power. The refusals must be answered from Spot's bulk answer (its {@code failures}), at a bounded number
     * of Spot calls, never one more import per refused instance.
     */
    @Test
    void aBulkImportOfRefusedInstancesDoesNotSendOneMoreImportPerInstance() {
        StringBuilder body = new StringBuilder("{\"instances\":[");
        for (int i = 0; i < 50; i++) {
            body.append(i == 0 ? "" : ",").append("{\"originalInstanceId\":\"i-0abc").append(String.format("%013x", 4096 + i))
                    .append("\",\"region\":\"us-east-1\"}");
        }
        body.append("]}");
        h.clearRequestLog();
        Reply r = call("POST", "/main/bulk-imports", body.toString());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode answers = r.json().path("instances");
        assertThat(answers.size()).isEqualTo(50);
        for (JsonNode a : answers) {
            assertThat(a.path("error").isObject()).as("%s", a).isTrue();
        }
        long imports = h.spotRequests().stream().filter(q -> q.path("method").asText().equals("POST")
                && q.path("path").asText().startsWith(Harness.INSTANCES + "/migration")).count();
        assertThat(imports).as("Spot import calls for one bulk import of 50 refused instances").isLessThanOrEqualTo(3);
    }

    // ---- rolls ----------------------------------------------------------------------------------------

    private Reply rollStarted(String group) {
        Reply r = call("POST", "/main/elastigroups/" + group + "/rolls", "{\"batchSizePercentage\":50,\"gracePeriod\":300}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.header("X-Spot-Roll")).isNotBlank();
        return r;
    }

    /**
     * The stop of a roll is a PUT of its state ({@code {"status": "STOPPED"}}): Spot carries it out but its reply is
     * lost ({@code drop_reply}: 502 "may have been applied"), the caller retries the same PUT. The roll is STOPPED, as
     * asked: the retry must succeed (204), as a power PUT of an instance already there does, not answer a 4xx that
     * tells the caller its stop failed (and a plain repeated stop alike).
     */
    @Test
    void aRetriedRollStopOfARollSpotStoppedSucceeds() {
        String group = h.createGroup();
        String roll = rollStarted(group).header("X-Spot-Roll");
        String path = "/main/elastigroups/" + group + "/rolls/" + roll;
        h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + group + "/roll/" + roll
                + "\",\"action\":\"drop_reply\",\"count\":1}");
        Reply first;
        try {
            first = call("PUT", path, "{\"status\":\"STOPPED\"}");
        } finally {
            h.clearFaults();
        }
        Reply read = call("GET", path, null);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.json().path("status").asText()).as("Spot stopped the roll: %s", read.body()).isEqualTo("STOPPED");
        Reply retry = call("PUT", path, "{\"status\":\"STOPPED\"}");
        assertThat(retry.status()).as("first stop %s %s; the retry of the stop of a roll Spot shows STOPPED: %s",
                first.status(), first.body(), retry.body()).isEqualTo(204);
    }

    /**
     * (held?) {@code instancesToDetach} naming one instance twice with {@code shouldDecrementTargetCapacity}: the
     * group's target drops by one, not two (one instance left the group).
     */
    @Test
    void aDetachNamingAnInstanceTwiceDecrementsTheTargetOnce() {
        String group = h.createGroup();
        JsonNode instances = h.svc.sim("GET", Harness.GROUPS + "/" + group + "/status", null).json().path("response")
                .path("items");
        assertThat(instances.size()).as("%s", instances).isGreaterThanOrEqualTo(2);
        String ec2 = instances.path(0).path("instanceId").asText();
        Reply detach = call("PUT", "/main/elastigroups/" + group + "/detach", "{\"instancesToDetach\":[\"" + ec2 + "\",\""
                + ec2 + "\"],\"shouldDecrementTargetCapacity\":true,\"shouldTerminateInstances\":true}");
        assertThat(detach.status()).as(detach.body()).isBetween(200, 400);
        int target = h.svc.sim("GET", Harness.GROUPS + "/" + group, null).json().path("response").path("items").path(0)
                .path("capacity").path("target").asInt();
        assertThat(target).as("target after detaching one instance (named twice), answer %s %s", detach.status(),
                detach.body()).isIn(detach.status() == 400 ? 2 : 1);
    }

    // ---- deallocation: what is kept ------------------------------------------------------------------

    /**
     * A delete whose keep option is spelt in a form spot-api does not read ({@code ?Keep=volumes},
     * {@code ?keep[]=volumes}, {@code ?keepVolumes=true}): the caller asked to keep the volumes. Either the option is
     * read, or the request is refused (400) before anything is deleted; never a delete of everything (Spot's
     * {@code shouldDeleteVolumes: true}) answered 200. The route already refuses an undecodable or repeated keep.
     */
    @Test
    void aDeleteWithAKeepOptionItDoesNotReadIsRefusedNotRunAsDeleteEverything() {
        List<String> shown = new ArrayList<>();
        for (String query : List.of("Keep=volumes", "keep%5B%5D=volumes", "keepVolumes=true", "KEEP=volumes,snapshots", "Detach=true")) {
            String mi = h.createInstance();
            h.clearRequestLog();
            Reply del = call("DELETE", "/main/instances/" + mi + "?" + query, null);
            List<JsonNode> deletes = h.spotRequests("DELETE", Harness.INSTANCES + "/" + mi);
            boolean deletedVolumes = deletes.stream().anyMatch(d -> d.path("body").path("deallocationConfig")
                    .path("shouldDeleteVolumes").asBoolean(false));
            boolean right = del.status() == 400 && deletes.isEmpty() || del.status() == 200 && !deletedVolumes;
            shown.add(query + " -> " + del.status() + (deletedVolumes ? " (Spot deleted the volumes)" : "")
                    + (right ? "" : " WRONG"));
        }
        String group = h.createGroup();
        h.clearRequestLog();
        Reply del = call("DELETE", "/main/elastigroups/" + group + "?Keep=volumes", null);
        boolean deletedVolumes = h.spotRequests("DELETE", Harness.GROUPS + "/" + group).stream().anyMatch(d -> d
                .path("body").path("statefulDeallocation").path("shouldDeleteVolumes").asBoolean(false));
        shown.add("group Keep=volumes -> " + del.status() + (deletedVolumes ? " (Spot deleted the volumes) WRONG" : ""));
        assertThat(shown).as("%s", shown).noneMatch(line -> line.endsWith("WRONG"));
    }

    /**
     * A deallocation whose reply is lost ({@code drop_reply}: Spot deallocated, 502 "may have been applied"), then the
     * caller's retry. The stateful instance is DEALLOCATED, as asked: the retry must say so, a 204 (done) or a 404
     * saying it is already deallocated (as a repeated instance or group delete says "already deleted"), never a
     * refusal (400) that reads as "your deallocation failed".
     */
    @Test
    void aRetriedDeallocationOfADeallocatedStatefulInstanceSaysItIsDone() {
        String group = statefulGroup();
        String ssi = seedStateful(group);
        String path = "/main/elastigroups/" + group + "/stateful-instances/" + ssi;
        h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + group + "/statefulInstance/" + ssi
                + "/deallocate\",\"action\":\"drop_reply\",\"count\":1}");
        Reply first;
        try {
            first = call("DELETE", path, null);
        } finally {
            h.clearFaults();
        }
        JsonNode item = statefulItem(group, ssi);
        assertThat(item == null ? "gone" : item.path("state").asText()).isIn("gone", "DEALLOCATED", "DEALLOCATING");
        Reply retry = call("DELETE", path, null);
        assertThat(retry.status() == 204 || retry.status() == 404 && retry.body().toLowerCase().contains("dealloc"))
                .as("first %s %s; retry of the deallocation of a DEALLOCATED stateful instance: %s %s", first.status(),
                        first.body(), retry.status(), retry.body()).isTrue();
    }

    // ---- bulk power and the write fence ---------------------------------------------------------------

    /**
     * A bulk stop of one instance whose Spot call is slow (held 6 s before Spot handles it): the caller gets its 5xx
     * ("may have been applied") while the call is still open. A start of the same instance through the single route
     * follows and is answered 2xx. Changes to one object are kept in order (docs/reliability.md, {@code WriteFence}:
     * the next change waits for the answer of one whose caller got a 5xx, else 409 with Retry-After): once Spot is
     * idle, an instance whose start was answered 2xx after the stop's answer must be running, not paused by the
     * bulk stop landing afterwards.
     */
    @Test
    void aSlowBulkStopDoesNotUndoAStartAnsweredAfterIt() throws Exception {
        String mi = h.createInstance();
        aStartAfterASlowStopIsNotUndone(Harness.INSTANCES + "/state", "/main/instances-power",
                "{\"state\":\"stop\",\"instances\":[\"" + mi + "\"]}", "/main/instances/" + mi + "/power",
                () -> spotStatus(mi));
    }

    /**
     * Spot holds the stop's PUT to {@code heldPath} 6 s (its caller gets 504 "may have been applied", the call still
     * open), then a start of the same instance: a start answered 2xx must leave it running ({@code state} read from
     * Spot afterwards), else the start is 409 (not sent).
     */
    private void aStartAfterASlowStopIsNotUndone(String heldPath, String stopPath, String stopBody, String startPath,
            java.util.function.Supplier<String> state) throws InterruptedException {
        h.fault("{\"method\":\"PUT\",\"path\":\"" + heldPath + "\",\"action\":\"delay\",\"delayMs\":6000,"
                + "\"count\":1}");
        Reply stop = call("PUT", stopPath, stopBody);
        Reply start = call("PUT", startPath, "{\"state\":\"start\"}");
        h.awaitSimulatorIdle();
        h.clearFaults();
        String spot = state.get();
        if (start.status() >= 200 && start.status() < 300) {
            assertThat(spot).as("stop answered %s %s; then start answered %s %s; Spot now: %s", stop.status(),
                    stop.body(), start.status(), start.body(), spot).isIn("ACTIVE", "RESUMING");
        } else {
            assertThat(start.status()).as(start.body()).isEqualTo(409);
        }
    }

    /**
     * The same on the single route: a stop whose Spot call is held 6 s (the caller gets 504 "may have been applied",
     * the call still open), then a start of the same instance. The start reads ACTIVE (the stop has not landed) and
     * answers 204 with no call; the stop then lands. Is the read that decides "already there" kept behind the
     * change in flight, as the write fence keeps writes?
     */
    @Test
    void aSlowSingleStopDoesNotUndoAStartAnsweredAfterIt() throws Exception {
        String mi = h.createInstance();
        aStartAfterASlowStopIsNotUndone(Harness.INSTANCES + "/" + mi + "/pause", "/main/instances/" + mi + "/power",
                "{\"state\":\"stop\"}", "/main/instances/" + mi + "/power", () -> spotStatus(mi));
    }

    /**
     * The scheduler's nightly bulk stop of 32 instances that are all stopped already (a user stopped them, or last
     * night's run was retried). Spot's bulk call refuses the whole list (ALREADY_PAUSED); spot-api then halves the list
     * down to single ids, each refused again, and ends with one single-instance power (a status read) per id. One
     * request must not cost Spot about three calls per id: at most one read per id plus a few calls (the list, one
     * bulk call).
     */
    @Test
    void aBulkStopOfInstancesAllStoppedAlreadyDoesNotCostSeveralSpotCallsPerId() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 32; i++) {
            ids.add(h.createInstance());
        }
        String body = "{\"state\":\"stop\",\"instances\":[\"" + String.join("\",\"", ids) + "\"]}";
        Reply first = call("PUT", "/main/instances-power", body);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        for (String id : ids) {
            assertThat(spotStatus(id)).isIn("PAUSED", "PAUSING");
        }
        h.clearRequestLog();
        Reply again = call("PUT", "/main/instances-power", body);
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        for (JsonNode r : again.json().path("instances")) {
            assertThat(r.path("result").asText()).as("%s", r).isEqualTo("accepted");
        }
        List<JsonNode> calls = h.spotRequests();
        long writes = calls.stream().filter(c -> !c.path("method").asText().equals("GET")).count();
        // about one read per id plus a few calls: the list, the bulk call, its two halves (both refused: then the
        // statuses are read, BulkPowerAmplificationAttackTest keeps one refused id among 30 at ~2 log2 N)
        assertThat(calls.size()).as("Spot calls for one bulk stop of 32 stopped instances (%s writes)", writes)
                .isLessThanOrEqualTo(32 + 4);
    }

    /** The same for a stateful instance of a group: a pause held 6 s in Spot (504), then a start answered 2xx. */
    @Test
    void aSlowStatefulStopDoesNotUndoAStartAnsweredAfterIt() throws Exception {
        String group = statefulGroup();
        String ssi = seedStateful(group);
        String power = "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/power";
        aStartAfterASlowStopIsNotUndone(Harness.GROUPS + "/" + group + "/statefulInstance/" + ssi + "/pause", power,
                "{\"state\":\"stop\"}", power, () -> statefulItem(group, ssi).path("state").asText());
    }

    /**
     * (held?) The contrast: group power reads the group inside its write fence ({@code SpotClient#exclusive}). A group
     * stop held 6 s in Spot (504), then a start: the start waits for the stop's answer (or is 409), and a start
     * answered 2xx leaves the group running.
     */
    @Test
    void aSlowGroupStopDoesNotUndoAStartAnsweredAfterIt() throws Exception {
        String group = h.createGroup();
        h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + group + "\",\"action\":\"delay\","
                + "\"delayMs\":6000,\"count\":1}");
        Reply stop = call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}");
        Reply start = call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"start\"}");
        h.awaitSimulatorIdle();
        h.clearFaults();
        int target = h.svc.sim("GET", Harness.GROUPS + "/" + group, null).json().path("response").path("items").path(0)
                .path("capacity").path("target").asInt();
        if (start.status() >= 200 && start.status() < 300) {
            assertThat(target).as("stop answered %s %s; then start answered %s %s", stop.status(), stop.body(),
                    start.status(), start.body()).isGreaterThan(0);
        } else {
            assertThat(start.status()).as(start.body()).isEqualTo(409);
        }
    }
}
