package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/**
 * Attack round 19 (helper "fidelity"): what spot-api sends to Spot against Spot's SDKs and OpenAPI request schemas.
 * These tests fail on f538d30 and pass once fixed.
 */
class AttackRound19FidelityTest extends ApiTestSupport {

    /**
     * A scheduled task of a group is, in every request schema of Spot ({@code elastigroup-scheduling} of the OpenAPI
     * file, Go SDK {@code aws.Task}, Python SDK {@code ScheduledTask}): isEnabled, taskType, frequency,
     * cronExpression, startTime, scale*Capacity, target/min/maxCapacity, batchSizePercentage, gracePeriod,
     * adjustment, adjustmentPercentage. spot-api's schema (tools/spot-schema/gen.py adds the names of the
     * {@code items-list-group} reply schema) also lets through {@code subEvents}, {@code eventType}, {@code groupId}
     * and {@code createdAt}: the fields of an activity event (OAS {@code items-list-group-tasks-t}, which is
     * {@code items-events-f} pasted under {@code scheduling.tasks}), not of any task. They reach Spot unfiltered.
     */
    @Test
    void activityEventFieldsInAScheduledTaskAreRefusedAndNeverReachSpot() {
        String id = createGroup();
        clearSpotRequests();
        ObjectNode body = groupBody();
        ObjectNode task = body.putObject("scheduling").putArray("tasks").addObject();
        task.put("taskType", "scale").put("cronExpression", "0 1 * * *").put("scaleTargetCapacity", 1)
                .put("eventType", "Scale").put("groupId", "sig-deadbeef").put("createdAt", "2016-01-21T16:51:09.000+0000");
        task.putObject("subEvents").put("type", "scaleUp").putArray("terminatedInstances").add("i-7fb4facc");

        Reply created = call("POST", "/main/elastigroups", body);
        Reply updated = call("PUT", "/main/elastigroups/" + id, TestService.json(
                "{\"scheduling\": {\"tasks\": [{\"taskType\": \"scale\", \"cronExpression\": \"0 1 * * *\","
                        + " \"subEvents\": {\"type\": \"scaleDown\"}}]}}"));

        JsonNode sent = allSpotRequests().stream()
                .filter(r -> !"GET".equals(r.path("method").asText()))
                .findFirst().orElse(null);
        assertThat(created.status()).as("create: %s; sent to Spot: %s", created.body(), sent).isEqualTo(400);
        assertThat(created.body()).contains("subEvents", "eventType", "groupId");
        assertThat(updated.status()).as("update: %s", updated.body()).isEqualTo(400);
        assertThat(updated.body()).contains("subEvents");
        assertThat(sent).as("no write reaches Spot").isNull();
    }

    /**
     * {@code SpotKinds#expected} splits the path and takes {@code /aws/ec2/managedInstance/state} (Spot's bulk
     * pause/resume route, OAS {@code AWSManagedInstanceUpdateStates}, whose reply names no kind) for a managed
     * instance read by id (s.length 5): a success envelope of that route with any kind but
     * {@code spotinst:aws:ec2:managedInstance} is "Spot sent items of the wrong kind", although SpotKinds' own rule
     * is that a route whose kind is not evidenced accepts any {@code spotinst:} kind (as {@code .../{id}/pause} does)
     * and contract sec. 9.12 says {@code state} is a route name, never an id. The same envelope on the single pause
     * route is a success. Spot's real kind for the bulk route is not known either way.
     */
    @Test
    void theBulkStateRouteIsNotReadAsAManagedInstanceByIdWhenCheckingTheReplyKind() {
        String bulk = createInstance();
        String single = createInstance();
        String ok = "{\"request\": {\"id\": \"r1\", \"url\": \"/x\", \"method\": \"PUT\"},"
                + " \"response\": {\"status\": {\"code\": 200, \"message\": \"OK\"},"
                + " \"kind\": \"spotinst:aws:ec2:managedInstance:state\", \"items\": [], \"count\": 0}}";
        addFault("{\"method\": \"PUT\", \"path\": \"/aws/ec2/managedInstance/state\", \"action\": \"json\","
                + " \"body\": " + ok + "}");
        addFault("{\"method\": \"PUT\", \"path\": \"/aws/ec2/managedInstance/*/pause\", \"action\": \"json\","
                + " \"body\": " + ok + "}");

        Reply one = call("PUT", "/main/instances/" + single + "/power", TestService.json("{\"state\": \"stop\"}"));
        Reply many = call("PUT", "/main/instances-power", TestService.json(
                "{\"state\": \"stop\", \"instances\": [\"" + bulk + "\"]}"));

        assertThat(one.status()).as("the single pause with this envelope: %s", one.body()).isEqualTo(204);
        assertThat(many.body()).as("the bulk pause with the same envelope").doesNotContain("wrong kind");
        assertThat(many.body()).contains("accepted");
    }
}
