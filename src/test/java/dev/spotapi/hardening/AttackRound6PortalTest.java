package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 6, the portal's side (helper attack6c): what the portal's services call as they call their
 * siblings: the flywheel task protocol, rolls, the scheduler's power, the expiry service's tag route, the cost
 * roll-up and the events/logs queries. Each test asserts what a caller of such a service expects; a failing
 * one is a finding (see the report), a passing one an attack that held.
 */
class AttackRound6PortalTest extends HarnessPerClass {
    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);
    private static final Map<String, String> ASYNC = Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async");

    private Reply call(String method, String path, Object body) {
        return h.svc.call(method, path, body, TOKEN);
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
            Thread.sleep(50);
        }
        return t;
    }

    private void sim(String method, String path, String body) {
        Reply r = h.svc.sim(method, path, body);
        assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
    }

    private long simNow() {
        return Instant.parse(h.svc.sim("GET", "/_sim/clock", null).json().path("now").asText()).toEpochMilli();
    }

    // ---- tasks: what a task says vs what Spot did ------------------------------------------------------

    /**
     * The scheduler's nightly stop with {@code Prefer: respond-async}, then a start (a user, or the morning
     * run) before the stop task has looked at the group: the stop task waits for "the group's capacity
     * fulfilled" at whatever target the group has now (2, restored by the start) and ends {@code completed},
     * although the group runs. A stop task must not claim the group stopped when it runs (as a capacity task
     * superseded by another target fails: SupersededTaskAttackTest).
     */
    @Test
    void aGroupStopTaskSupersededByAStartDoesNotClaimCompleted() throws Exception {
        String id = h.createGroup(); // target 2
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*/status\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");
        Reply stop = h.svc.call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"stop\"}", ASYNC);
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        String task = stop.header("X-Flywheel-Task");
        Reply start = call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"start\"}");
        assertThat(start.status()).as(start.body()).isEqualTo(204);

        JsonNode t = awaitEnd(task, 20);
        assertThat(h.stored(Harness.GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(2);
        assertThat(t.path("status").asText())
                .as("the stop task of a group that runs again at target 2: %s", t)
                .isEqualTo("failed");
    }

    /** The same the other way round: a start task whose group a stop set to 0/0/0 must not claim it started. */
    @Test
    void aGroupStartTaskSupersededByAStopDoesNotClaimCompleted() throws Exception {
        String id = h.createGroup();
        Reply first = call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"stop\"}");
        assertThat(first.status()).as(first.body()).isEqualTo(204);
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*/status\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");
        Reply start = h.svc.call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"start\"}", ASYNC);
        assertThat(start.status()).as(start.body()).isEqualTo(202);
        String task = start.header("X-Flywheel-Task");
        Reply stop = call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"stop\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);

        JsonNode t = awaitEnd(task, 20);
        assertThat(h.stored(Harness.GROUPS, id).path("capacity").path("target").asInt()).isZero();
        assertThat(t.path("status").asText())
                .as("the start task of a group that is stopped (0/0/0): %s", t)
                .isEqualTo("failed");
    }

    // ---- rolls ----------------------------------------------------------------------------------------

    private String startRoll(String group) {
        return rollStarted(group).header("X-Flywheel-Task");
    }

    /** A group of another org ({@code spinup:org=otherorg}), created in Spot directly (the simulator); its id. */
    private String anotherOrgsGroup() {
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("group", Harness.tagged(Harness.groupBody(Harness.uniqueName("theirs")), "spinup:org", "otherorg"));
        Reply created = h.svc.sim("POST", Harness.GROUPS + "?accountId=" + Harness.MAIN_ID, wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("response").path("items").path(0).path("id").asText();
    }

    /** Deletes the object at {@code path} (200) and checks that {@code task}, which followed it, ends failed. */
    private void deletedThenFailed(String path, String task) throws Exception {
        Reply del = call("DELETE", path, null);
        assertThat(del.status()).as(del.body()).isEqualTo(200);
        JsonNode t = awaitEnd(task, 15);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("failed");
    }

    /** A roll of {@code group} (50 %, grace 300 s): the 202 with its roll id and task. */
    private Reply rollStarted(String group) {
        Reply r = call("POST", "/main/elastigroups/" + group + "/rolls", "{\"batchSizePercentage\":50,\"gracePeriod\":300}");
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        assertThat(r.header("X-Spot-Roll")).isNotBlank();
        return r;
    }

    /** A roll whose group is deleted meanwhile: its task fails (Spot's group is gone), it does not wait 30 minutes. */
    @Test
    void aRollTaskWhoseGroupIsDeletedFails() throws Exception {
        String id = h.createGroup();
        String task = startRoll(id);
        deletedThenFailed("/main/elastigroups/" + id, task);
    }

    /** A roll stopped through the roll route: the task fails (STOPPED), it never says completed. */
    @Test
    void aStoppedRollFailsItsTask() throws Exception {
        String id = h.createGroup();
        Reply r = rollStarted(id);
        String roll = r.header("X-Spot-Roll");
        String task = r.header("X-Flywheel-Task");
        Reply stop = call("PUT", "/main/elastigroups/" + id + "/rolls/" + roll, "{\"status\":\"STOPPED\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);
        sim("POST", "/_sim/clock/advance", "{\"seconds\": 700}");
        JsonNode t = awaitEnd(task, 15);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("failed");
    }

    /**
     * A roll whose new instances fail their health check ({@code PUT /_sim/unhealthyImages}) with
     * {@code onFailure: DETACH_NEW}: Spot's roll ends FAILED (the group keeps its old instances); the task must say
     * failed with Spot's reason, never completed.
     */
    @Test
    void aRollThatFailsItsHealthCheckFailsItsTask() throws Exception {
        String id = h.createGroup();
        String image = h.stored(Harness.GROUPS, id).path("compute").path("launchSpecification").path("imageId").asText();
        sim("PUT", "/_sim/unhealthyImages", "{\"imageIds\":[\"" + image + "\"]}");
        try {
            Reply r = call("POST", "/main/elastigroups/" + id + "/rolls", "{\"batchSizePercentage\":50,\"gracePeriod\":120,"
                    + "\"healthCheckType\":\"EC2\",\"strategy\":{\"action\":\"REPLACE_SERVER\",\"onFailure\":{\"actionType\":\"DETACH_NEW\"}}}");
            assertThat(r.status()).as(r.body()).isEqualTo(202);
            String roll = r.header("X-Spot-Roll");
            for (int k = 0; k < 3; k++) {
                sim("POST", "/_sim/clock/advance", "{\"seconds\": 121}");
                call("GET", "/main/elastigroups/" + id + "/rolls/" + roll, null);
            }
            JsonNode t = awaitEnd(r.header("X-Flywheel-Task"), 15);
            String spot = h.svc.sim("GET", Harness.GROUPS + "/" + id + "/roll/" + roll + "?accountId=" + Harness.MAIN_ID, null)
                    .json().path("response").path("items").path(0).path("status").asText();
            assertThat(spot).isEqualTo("FAILED");
            assertThat(t.path("status").asText()).as("%s", t).isEqualTo("failed");
            assertThat(t.path("failure").asText()).contains("FAILED");
        } finally {
            sim("PUT", "/_sim/unhealthyImages", "{\"imageIds\":[]}");
        }
    }

    /** A second roll on a group with one running: 409 naming the running roll, no second task, the first goes on. */
    @Test
    void aSecondRollIsRefusedAndTheFirstTaskStillEndsOnItsOwnRoll() throws Exception {
        String id = h.createGroup();
        Reply first = call("POST", "/main/elastigroups/" + id + "/rolls", "{\"batchSizePercentage\":50,\"gracePeriod\":300}");
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        String roll = first.header("X-Spot-Roll");
        Reply second = call("POST", "/main/elastigroups/" + id + "/rolls", "{\"batchSizePercentage\":100,\"gracePeriod\":60}");
        assertThat(second.status()).as(second.body()).isEqualTo(409);
        assertThat(second.header("X-Flywheel-Task")).isNull();
        assertThat(second.json().path("message").asText()).contains(roll);
        Harness.assertJsonError(second, 409);
        sim("POST", "/_sim/clock/advance", "{\"seconds\": 700}");
        JsonNode t = awaitEnd(first.header("X-Flywheel-Task"), 15);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
    }

    /**
     * {@code PUT /elastigroups/{id}?roll=true} (Terraform's should_roll) on a group the scheduler stopped
     * (0/0/0): the update is written, then Spot refuses the roll ({@code CANT_ROLL_GROUP}, capacity 0), and the
     * answer is a 400 {@code failed to roll elastigroup ...}: a refusal that says nothing of the update that
     * stands. api.md names only the 409 (a roll running) as "the update stands and the refusal is the answer";
     * a caller that sees 400 (and, with an Idempotency-Key, nothing stored: "certainly changed nothing") takes
     * the image as unchanged. Expected: either nothing written, or an answer that says the update was applied.
     */
    @Test
    void anUpdateWithRollRefusedByASpot400SaysTheUpdateStandsOrWritesNothing() {
        String id = h.createGroup();
        Reply stop = call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"stop\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);
        String before = h.stored(Harness.GROUPS, id).path("compute").path("launchSpecification").path("imageId").asText();
        Reply r = call("PUT", "/main/elastigroups/" + id + "?roll=true",
                "{\"compute\":{\"launchSpecification\":{\"imageId\":\"ami-00000000000000002\"}}}");
        String after = h.stored(Harness.GROUPS, id).path("compute").path("launchSpecification").path("imageId").asText();
        boolean written = !after.equals(before);
        boolean said = r.status() / 100 == 2 || r.body().toLowerCase(java.util.Locale.ROOT).contains("updated")
                || r.body().toLowerCase(java.util.Locale.ROOT).contains("applied");
        assertThat(!written || said)
                .as("image %s -> %s; the answer %d %s", before, after, r.status(), r.body())
                .isTrue();
    }

    // ---- costs ----------------------------------------------------------------------------------------

    /**
     * Group roll-up by resource and by space: every resource once, the groups add up to the total (no resource
     * counted twice, none left out), the same total both ways.
     */
    @Test
    void theRollUpCountsEachResourceOnceWhicheverWayItIsGrouped() {
        sim("POST", "/_sim/clock/set", "{\"frozen\": true}");
        LocalDate first = Instant.ofEpochMilli(simNow()).atZone(ZoneOffset.UTC).toLocalDate();
        String space = "space-" + System.nanoTime();
        Reply g = call("POST", "/main/elastigroups", Harness.tagged(Harness.groupBody(Harness.uniqueName("grp")), "spinup:spaceid", space));
        assertThat(g.status()).as(g.body()).isEqualTo(200);
        Reply i = call("POST", "/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")), "spinup:spaceid", space));
        assertThat(i.status()).as(i.body()).isEqualTo(200);
        String other = h.createInstance(); // no space
        sim("POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String window = "start=" + first + "&end=" + first.plusDays(3);
        BigDecimal sum = BigDecimal.ZERO;
        for (String path : new String[] {"/main/elastigroups/" + g.json().path("id").asText(), "/main/instances/" + i.json().asText(),
                "/main/instances/" + other}) {
            Reply c = call("GET", path + "/costs?" + window + "&aggregationPeriod=daily", null);
            assertThat(c.status()).as(c.body()).isEqualTo(200);
            for (JsonNode item : c.json()) {
                sum = sum.add(new BigDecimal(item.path("costs").path("actual").asText("0")));
            }
        }
        assertThat(sum).isPositive();
        for (String groupBy : new String[] {"resource", "space"}) {
            Reply r = call("GET", "/main/costs?" + window + "&groupBy=" + groupBy + "&granularity=daily", null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.header("X-Cost-Partial")).isNull();
            BigDecimal groups = BigDecimal.ZERO;
            for (JsonNode p : r.json()) {
                for (JsonNode grp : p.path("Groups")) {
                    groups = groups.add(new BigDecimal(grp.path("Metrics").path("UnblendedCost").path("Amount").asText()));
                }
            }
            assertThat(groups).as(groupBy).isEqualByComparingTo(Harness.costTotal(r.json()));
            assertThat(Harness.costTotal(r.json()).subtract(sum).abs()).as(groupBy + ": " + r.body()).isLessThan(new BigDecimal("0.001"));
        }
        Reply spaced = call("GET", "/main/costs?" + window + "&space=" + space + "&groupBy=resource", null);
        assertThat(spaced.json().path(0).path("Groups")).hasSize(2);
    }

    // ---- the expiry service's tag route: what reaches Spot -------------------------------------------

    /**
     * The expiry service's merge as reaper's {@code Tagger} sends it ({@code PUT <endpoint>/<org>/<id>/tags},
     * {@code Auth-token}, {@code X-Forwarded-User}, {@code yale:*} keys) on a group and on a managed instance:
     * merged, and sent with {@code ?autoApplyTags=true} on both updates. Spot's OpenAPI file lists
     * {@code autoApplyTags} only on the group update, but the Go SDK's {@code UpdateManagedInstanceInput} has
     * {@code AutoApplyTags *bool `json:"-"`} (a query parameter) too: within Spot's schema (held).
     */
    @Test
    void theExpiryServicesMergeReachesSpotWithAutoApplyTagsOnBothKinds() {
        String group = h.createGroup();
        String instance = h.createInstance();
        h.clearRequestLog();
        for (String id : new String[] {group, instance}) {
            Reply r = h.svc.call("PUT", "/main/" + id + "/tags", "{\"tags\":{\"yale:renewed_at\":\"2026/12/07 11:00:00\"}}",
                    Map.of("Auth-Token", TestService.TOKEN, "X-Forwarded-User", "reaper"));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().path("tags").path("yale:renewed_at").asText()).isEqualTo("2026/12/07 11:00:00");
        }
        JsonNode groupPut = h.spotRequests("PUT", Harness.GROUPS + "/" + group).get(0);
        assertThat(groupPut.path("query").asText()).contains("autoApplyTags=true");
        JsonNode instancePut = h.spotRequests("PUT", Harness.INSTANCES + "/" + instance).get(0);
        assertThat(instancePut.path("query").asText()).contains("autoApplyTags=true");
    }

    // ---- org isolation of rolls -----------------------------------------------------------------------

    /**
     * Another org's group (tagged {@code spinup:org=otherorg}) has a roll running; this org stops it through one
     * of its own groups: {@code PUT /main/elastigroups/<mine>/rolls/<their roll>}. The org check covers only the
     * path's group; the roll id is Spot's to check. Expected: 404, and the other org's roll still running.
     */
    @Test
    void anotherOrgsRollCannotBeStoppedOrReadThroughThisOrgsGroup() {
        String mine = h.createGroup();
        String theirId = anotherOrgsGroup();
        Reply roll = h.svc.sim("PUT", Harness.GROUPS + "/" + theirId + "/roll?accountId=" + Harness.MAIN_ID,
                "{\"batchSizePercentage\":50,\"gracePeriod\":300}");
        assertThat(roll.status()).as(roll.body()).isEqualTo(200);
        String rollId = roll.json().path("response").path("items").path(0).path("id").asText();

        Reply read = call("GET", "/main/elastigroups/" + mine + "/rolls/" + rollId, null);
        assertThat(read.status()).as(read.body()).isIn(400, 404);
        assertThat(read.body()).doesNotContain(theirId);
        Reply stop = call("PUT", "/main/elastigroups/" + mine + "/rolls/" + rollId, "{\"status\":\"STOPPED\"}");
        assertThat(stop.status()).as(stop.body()).isIn(400, 404);
        Reply still = h.svc.sim("GET", Harness.GROUPS + "/" + theirId + "/roll/" + rollId + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(still.json().path("response").path("items").path(0).path("status").asText())
                .as(still.body()).isNotEqualTo("STOPPED");
    }

    /**
     * A roll id of Spot's form that the group does not have: {@code GET .../rolls/sbgd-00000000} answers 400
     * {@code failed to get elastigroup roll ...: Deployment sbgd-... not found} (Spot's refusal passed on as a bad
     * request), while a roll id of another form is a 404 {@code roll not found} and a missing group a 404: the
     * documented JSON shape, the wrong status. Expected: 404, as for every other object that does not exist.
     */
    @Test
    void aRollTheGroupDoesNotHaveIsA404LikeEveryMissingObject() {
        String mine = h.createGroup();
        Harness.assertJsonError(call("GET", "/main/elastigroups/" + mine + "/rolls/not-a-roll", null), 404);
        Reply unknown = call("GET", "/main/elastigroups/" + mine + "/rolls/sbgd-00000000", null);
        assertThat(unknown.status()).as(unknown.body()).isEqualTo(404);
        Reply stop = call("PUT", "/main/elastigroups/" + mine + "/rolls/sbgd-00000000", "{\"status\":\"STOPPED\"}");
        assertThat(stop.status()).as(stop.body()).isEqualTo(404);
    }

    /**
     * Detach through this org's group of EC2 instances that run in another org's group
     * ({@code PUT /main/elastigroups/<mine>/detach {"instancesToDetach":["<their i-…>"],
     * "shouldTerminateInstances":true,…}}): the org check covers the path's group only; which instances the
     * group has is Spot's to check. Expected: refused (4xx), and the other org's instance still in its group.
     */
    @Test
    void instancesOfAnotherOrgsGroupCannotBeDetachedThroughThisOrgsGroup() {
        String mine = h.createGroup();
        String theirId = anotherOrgsGroup();
        Reply status = h.svc.sim("GET", Harness.GROUPS + "/" + theirId + "/status?accountId=" + Harness.MAIN_ID, null);
        String ec2 = status.json().path("response").path("items").path(0).path("instanceId").asText();
        assertThat(ec2).as(status.body()).startsWith("i-");

        Reply detach = call("PUT", "/main/elastigroups/" + mine + "/detach", "{\"instancesToDetach\":[\"" + ec2
                + "\"],\"shouldDecrementTargetCapacity\":true,\"shouldTerminateInstances\":true}");
        assertThat(detach.status()).as(detach.body()).isBetween(400, 499);
        Reply after = h.svc.sim("GET", Harness.GROUPS + "/" + theirId + "/status?accountId=" + Harness.MAIN_ID, null);
        assertThat(after.body()).contains(ec2);
        assertThat(h.stored(Harness.GROUPS, theirId).path("capacity").path("target").asInt()).isEqualTo(2);
    }

    // ---- more task protocol -----------------------------------------------------------------------------

    /** An async create whose instance is deleted before it is ACTIVE: the task fails, never completes. */
    @Test
    void anAsyncCreateWhoseInstanceIsDeletedBeforeActiveFails() throws Exception {
        // the task's first status read is slow, so that the delete comes before the task sees the instance
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");
        Reply r = h.svc.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("mi")), ASYNC);
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String id = r.json().asText();
        deletedThenFailed("/main/instances/" + id, r.header("X-Flywheel-Task"));
    }

    /** A roll whose group is stopped (0/0/0) meanwhile: the task ends as Spot's roll does (never completed on a failed roll). */
    @Test
    void aRollWhoseGroupIsStoppedMeanwhileEndsAsSpotsRollDoes() throws Exception {
        String id = h.createGroup();
        Reply r = rollStarted(id);
        String roll = r.header("X-Spot-Roll");
        Reply stop = call("PUT", "/main/elastigroups/" + id + "/power", "{\"state\":\"stop\"}");
        assertThat(stop.status()).as(stop.body()).isIn(204, 409);
        for (int k = 0; k < 4; k++) {
            sim("POST", "/_sim/clock/advance", "{\"seconds\": 301}");
            call("GET", "/main/elastigroups/" + id + "/rolls/" + roll, null);
        }
        JsonNode t = awaitEnd(r.header("X-Flywheel-Task"), 15);
        String spot = h.svc.sim("GET", Harness.GROUPS + "/" + id + "/roll/" + roll + "?accountId=" + Harness.MAIN_ID, null)
                .json().path("response").path("items").path(0).path("status").asText();
        assertThat(t.path("status").asText()).as("Spot's roll %s; the task %s", spot, t)
                .isEqualTo(spot.equals("FINISHED") ? "completed" : "failed");
    }

    /**
     * Spot answers 400 to concurrent cost calls of one account (api.md, Costs; reliability.md: "cost calls to one
     * Spot account never overlap"), so the roll-up sends its calls one at a time inside the account's cost
     * fence. The per-resource cost routes ({@code GET /instances/{id}/costs}, {@code /elastigroups/{id}/costs}, a
     * user's cost page) send theirs outside that fence: while the portal's roll-up runs, they overlap it, and
     * with Spot's refusal one of them fails (the user's page 400, or the roll-up partial). Shown here by the
     * simulator's request log (each cost call held 150 ms): expected, as for the roll-up's own calls, at least
     * ~150 ms between any two cost calls.
     */
    @Test
    void perResourceCostCallsNeverOverlapTheRollUpsCostCalls() throws Exception {
        String[] ids = {h.createInstance(), h.createInstance(), h.createInstance()};
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/costs\",\"action\":\"delay\",\"delayMs\":150}");
        h.clearRequestLog();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String window = "start=" + today + "&end=" + today.plusDays(1);
        var calls = new java.util.ArrayList<java.util.concurrent.CompletableFuture<Reply>>();
        calls.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> call("GET", "/main/costs?" + window, null)));
        for (String id : ids) {
            calls.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> call("GET", "/main/instances/" + id + "/costs?" + window, null)));
        }
        for (var c : calls) {
            Reply r = c.join();
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        java.util.List<Instant> times = h.spotRequests().stream()
                .filter(r -> "GET".equals(r.path("method").asText()) && r.path("path").asText().endsWith("/costs"))
                .map(Harness::time).sorted().toList();
        assertThat(times).hasSize(6);
        for (int i = 1; i < times.size(); i++) {
            assertThat(java.time.Duration.between(times.get(i - 1), times.get(i)).toMillis())
                    .as("gap %d between Spot cost calls of one account: %s", i, times)
                    .isGreaterThanOrEqualTo(140);
        }
    }

}
