package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Conformance of the simulator's success replies with what the official Go SDK decodes (issue 11,
 * "Done when"): for every Spot route the simulator serves, a call with the richest bodies spot-api
 * and the seed send, and each reply checked against the Go structs of {@code go-sdk-structs.json}
 * (field names and types of GO-eg / GO-mi / GO-resp, contract §2.1, §3, §5; reply shapes of Spot's
 * OpenAPI file where it is right, per its README). A route added to the simulator without an entry
 * here fails {@link #everyServedRouteIsChecked}.
 */
class GoSdkConformanceTest extends SimTestBase {
    /** Route template → the Go struct of its items (null = no items: the plain envelope). */
    private static final Map<String, String> ROUTES = new LinkedHashMap<>();

    static {
        ROUTES.put("GET /aws/ec2/group", "Group");
        ROUTES.put("POST /aws/ec2/group", "Group");
        ROUTES.put("GET /aws/ec2/group/{id}", "Group");
        ROUTES.put("PUT /aws/ec2/group/{id}", "Group");
        ROUTES.put("DELETE /aws/ec2/group/{id}", null);
        ROUTES.put("GET /aws/ec2/group/{id}/status", "GroupInstance");
        ROUTES.put("PUT /aws/ec2/group/{id}/scale/up", "ScaleItem");
        ROUTES.put("PUT /aws/ec2/group/{id}/scale/down", "ScaleItem");
        // capacity, costs and logs are not in the Go SDK: their shapes are the OpenAPI file's reply schemas and
        // examples; events are the Go SDK's GroupEvent (subEvents an array of SubEvent, issue 24)
        ROUTES.put("PUT /aws/ec2/group/{id}/capacity", "GroupCapacity");
        ROUTES.put("GET /aws/ec2/group/{id}/costs", "GroupCosts");
        ROUTES.put("GET /aws/ec2/group/{id}/events", "GroupEvent");
        ROUTES.put("GET /aws/ec2/group/{id}/logs", "GroupLog");
        // issue 22: rolls and fleet operations (Go SDK Roll, DeploymentStatus, RollStatus, StopDeployment,
        // GetInstanceHealthiness, Detach, CreateSuspensions, ListSuspensions, DeleteSuspensions)
        ROUTES.put("PUT /aws/ec2/group/{id}/roll", "RollGroupStatus");
        ROUTES.put("GET /aws/ec2/group/{id}/roll", "RollGroupStatus");
        ROUTES.put("GET /aws/ec2/group/{id}/roll/{rollId}", "RollGroupStatus");
        ROUTES.put("GET /aws/ec2/group/{id}/roll/{rollId}/status", "RollStatusOutput");
        ROUTES.put("PUT /aws/ec2/group/{id}/roll/{rollId}", null);
        ROUTES.put("GET /aws/ec2/group/{id}/instanceHealthiness", "InstanceHealth");
        ROUTES.put("PUT /aws/ec2/group/{id}/detachInstances", null);
        ROUTES.put("POST /aws/ec2/group/{id}/suspension", "SuspendProcesses");
        ROUTES.put("GET /aws/ec2/group/{id}/suspension", "SuspendProcesses");
        ROUTES.put("DELETE /aws/ec2/group/{id}/suspension", null);
        ROUTES.put("GET /aws/ec2/managedInstance", "ManagedInstanceListItem");
        ROUTES.put("POST /aws/ec2/managedInstance", "ManagedInstance");
        ROUTES.put("GET /aws/ec2/managedInstance/{id}", "ManagedInstance");
        ROUTES.put("PUT /aws/ec2/managedInstance/{id}", "ManagedInstance");
        ROUTES.put("DELETE /aws/ec2/managedInstance/{id}", null);
        ROUTES.put("GET /aws/ec2/managedInstance/{id}/status", "ManagedInstanceStatus");
        ROUTES.put("GET /aws/ec2/managedInstance/{id}/costs", "ManagedInstanceCosts");
        ROUTES.put("PUT /aws/ec2/managedInstance/{id}/pause", null);
        ROUTES.put("PUT /aws/ec2/managedInstance/{id}/resume", null);
        ROUTES.put("PUT /aws/ec2/managedInstance/{id}/recycle", null);
        // issue 26: Go SDK elastigroup StatefulInstance (service/elastigroup/providers/aws ListStatefulInstances);
        // the migration replies are not in the Go SDK: OAS migration / migrationStatus
        ROUTES.put("POST /aws/ec2/managedInstance/migration", "Migration");
        ROUTES.put("GET /aws/ec2/managedInstance/migration/{migrationId}", "MigrationStatus");
        // OAS bulkMigration (items as the single import's, plus failures) and bulkMigrationStatus
        ROUTES.put("POST /aws/ec2/managedInstance/migration/bulk", "Migration");
        ROUTES.put("POST /aws/ec2/managedInstance/migration/search", "MigrationStatus");
        ROUTES.put("PUT /aws/ec2/managedInstance/state", null);
        ROUTES.put("DELETE /aws/ec2/managedInstance/{id}/volume/{volumeId}", null);
        ROUTES.put("GET /aws/ec2/group/{groupId}/statefulInstance", "StatefulInstance");
        ROUTES.put("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/pause", null);
        ROUTES.put("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/resume", null);
        ROUTES.put("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/recycle", null);
        ROUTES.put("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/deallocate", null);
        ROUTES.put("DELETE /aws/ec2/group/{groupId}/statefulInstance/{ssi}/volume/{volumeId}", null);
    }

    private final Map<String, List<JsonNode>> replies = new LinkedHashMap<>();

    private JsonNode call(String route, String path, String body) {
        String method = route.substring(0, route.indexOf(' '));
        SimClient.Reply reply = client.spot(method, path, body);
        assertThat(reply.status()).as(route + ": " + reply).isEqualTo(200);
        replies.computeIfAbsent(route, r -> new ArrayList<>()).add(reply.json());
        return reply.json();
    }

    private void exerciseEveryRoute() {
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-01T00:00:00Z\", \"frozen\": true}");
        String group = call("POST /aws/ec2/group", GROUPS, SpotValidationTestBodies.GROUP)
                .path("response").path("items").get(0).path("id").asText();
        call("POST /aws/ec2/group", GROUPS, groupBody("second", 0, 1, 2));
        call("GET /aws/ec2/group", GROUPS, null);
        call("GET /aws/ec2/group/{id}", GROUPS + "/" + group, null);
        call("PUT /aws/ec2/group/{id}", GROUPS + "/" + group, SpotValidationTestBodies.GROUP_UPDATE);
        call("GET /aws/ec2/group/{id}/status", GROUPS + "/" + group + "/status", null);
        call("PUT /aws/ec2/group/{id}/scale/up", GROUPS + "/" + group + "/scale/up?adjustment=2", "{\"type\": \"up\", \"adjustment\": 2}");
        call("PUT /aws/ec2/group/{id}/scale/down", GROUPS + "/" + group + "/scale/down?adjustment=1", null);
        call("PUT /aws/ec2/group/{id}/capacity", GROUPS + "/" + group + "/capacity", "{\"capacity\": {\"target\": 3}}");
        advanceClock("{\"hours\": 30}");
        call("GET /aws/ec2/group/{id}/costs", GROUPS + "/" + group + "/costs?fromDate=2030-01-01&toDate=2030-01-03", null);
        call("GET /aws/ec2/group/{id}/costs", GROUPS + "/" + group
                + "/costs?fromDate=2030-01-01&toDate=2030-01-03&aggregationPeriod=daily", null);
        call("GET /aws/ec2/group/{id}/events", GROUPS + "/" + group + "/events?fromDate=2030-01-01", null);
        call("GET /aws/ec2/group/{id}/logs", GROUPS + "/" + group + "/logs?fromDate=1893456000000&toDate=1893715200000", null);
        exerciseRolls(group);
        String mi = call("POST /aws/ec2/managedInstance", INSTANCES, SpotValidationTestBodies.INSTANCE)
                .path("response").path("items").get(0).path("id").asText();
        call("GET /aws/ec2/managedInstance", INSTANCES, null);
        call("GET /aws/ec2/managedInstance/{id}", INSTANCES + "/" + mi, null);
        call("PUT /aws/ec2/managedInstance/{id}", INSTANCES + "/" + mi,
                "{\"managedInstance\": {\"compute\": {\"launchSpecification\": {\"instanceTypes\": {\"preferredType\": \"t3.micro\"}}}}}");
        advanceClock("{\"hours\": 51}");
        call("GET /aws/ec2/managedInstance/{id}/status", INSTANCES + "/" + mi + "/status", null);
        call("GET /aws/ec2/managedInstance/{id}/costs", INSTANCES + "/" + mi + "/costs?fromDate=2030-01-01&toDate=2030-01-04", null);
        call("GET /aws/ec2/managedInstance/{id}/costs", INSTANCES + "/" + mi + "/costs", null);
        call("PUT /aws/ec2/managedInstance/{id}/pause", INSTANCES + "/" + mi + "/pause", null);
        call("GET /aws/ec2/managedInstance/{id}/status", INSTANCES + "/" + mi + "/status", null);
        call("PUT /aws/ec2/managedInstance/{id}/resume", INSTANCES + "/" + mi + "/resume", null);
        call("PUT /aws/ec2/managedInstance/{id}/recycle", INSTANCES + "/" + mi + "/recycle", null);
        call("DELETE /aws/ec2/managedInstance/{id}", INSTANCES + "/" + mi,
                "{\"deallocationConfig\": {\"shouldDeleteImages\": true, \"shouldDeleteNetworkInterfaces\": true,"
                        + " \"shouldDeleteSnapshots\": true, \"shouldDeleteVolumes\": true, \"shouldTerminateInstance\": true}}");
        exerciseStatefulRoutes(group);
        call("DELETE /aws/ec2/group/{id}", GROUPS + "/" + group, "{\"statefulDeallocation\": {\"shouldDeleteImages\": true}}");
    }

    /** Issue 22: a roll with the Go SDK's RollGroupInput fields, its reads, a stop, detach and suspensions. */
    private void exerciseRolls(String group) {
        String g = GROUPS + "/" + group;
        String roll = call("PUT /aws/ec2/group/{id}/roll", g + "/roll", "{\"batchSizePercentage\": 50, \"gracePeriod\": 60,"
                + " \"healthCheckType\": \"EC2\", \"strategy\": {\"action\": \"REPLACE_SERVER\", \"shouldDrainInstances\": true,"
                + " \"batchMinHealthyPercentage\": 50, \"onFailure\": {\"actionType\": \"DETACH_NEW\", \"shouldHandleAllBatches\": true,"
                + " \"drainingTimeout\": 60, \"shouldDecrementTargetCapacity\": true}}}")
                .path("response").path("items").get(0).path("id").asText();
        advanceClock("{\"seconds\": 60}");
        call("GET /aws/ec2/group/{id}/roll", g + "/roll", null);
        call("GET /aws/ec2/group/{id}/roll/{rollId}", g + "/roll/" + roll, null);
        call("GET /aws/ec2/group/{id}/roll/{rollId}/status", g + "/roll/" + roll + "/status", null);
        call("GET /aws/ec2/group/{id}/instanceHealthiness", g + "/instanceHealthiness", null);
        call("PUT /aws/ec2/group/{id}/roll/{rollId}", g + "/roll/" + roll, "{\"roll\": {\"status\": \"STOPPED\"}}");
        String instance = call("GET /aws/ec2/group/{id}/instanceHealthiness", g + "/instanceHealthiness", null)
                .path("response").path("items").get(0).path("instanceId").asText();
        call("PUT /aws/ec2/group/{id}/detachInstances", g + "/detachInstances", "{\"instancesToDetach\": [\"" + instance
                + "\"], \"shouldDecrementTargetCapacity\": false, \"shouldTerminateInstances\": true, \"drainingTimeout\": 0}");
        call("POST /aws/ec2/group/{id}/suspension", g + "/suspension",
                "{\"suspensions\": [{\"name\": \"AUTO_HEALING\", \"ttlInMinutes\": 60}, {\"name\": \"SCHEDULING\"}]}");
        call("GET /aws/ec2/group/{id}/suspension", g + "/suspension", null);
        call("DELETE /aws/ec2/group/{id}/suspension", g + "/suspension", "{\"processes\": [\"AUTO_HEALING\"]}");
    }

    private void exerciseStatefulRoutes(String group) {
        String ec2 = client.admin("POST", "/_sim/ec2Instances", "{\"accountId\": \"" + client.accountId()
                + "\", \"volumes\": [{\"deviceName\": \"/dev/xvda\"}, {\"deviceName\": \"/dev/sdf\", \"attached\": false}]}")
                .json().path("id").asText();
        JsonNode migration = call("POST /aws/ec2/managedInstance/migration", INSTANCES + "/migration",
                "{\"migration\": {\"originalInstanceId\": \"" + ec2 + "\", \"region\": \"us-east-1\", "
                        + "\"shouldKeepPrivateIp\": true, \"shouldTerminateInstance\": true, \"managedInstanceName\": \"imp\"}}")
                .path("response").path("items").get(0);
        String mi = migration.path("managedInstanceId").asText();
        call("GET /aws/ec2/managedInstance/migration/{migrationId}", INSTANCES + "/migration/"
                + migration.path("migrationId").asText(), null);
        String ec2b = client.admin("POST", "/_sim/ec2Instances", "{\"accountId\": \"" + client.accountId() + "\"}")
                .json().path("id").asText();
        JsonNode bulk = call("POST /aws/ec2/managedInstance/migration/bulk", INSTANCES + "/migration/bulk",
                "{\"migrations\": [{\"originalInstanceId\": \"" + ec2b + "\", \"region\": \"us-east-1\", "
                        + "\"shouldKeepMetadataOptions\": true, \"product\": \"Linux/UNIX\", \"spotInstanceTypes\": [\"t3.micro\"]},"
                        + " {\"originalInstanceId\": \"" + ec2 + "\", \"region\": \"us-east-1\"}]}")
                .path("response");
        assertThat(bulk.path("failures")).hasSize(1);
        assertThat(bulk.path("failures").get(0).path("resourceId").asText()).isEqualTo(ec2);
        call("POST /aws/ec2/managedInstance/migration/search", INSTANCES + "/migration/search",
                "{\"migrationIds\": [\"" + migration.path("migrationId").asText() + "\", \""
                        + bulk.path("items").get(0).path("migrationId").asText() + "\"]}");
        advanceClock("{\"minutes\": 5}");
        call("PUT /aws/ec2/managedInstance/state", INSTANCES + "/state",
                "{\"managedInstanceStates\": [{\"id\": \"" + mi + "\", \"state\": \"PAUSE\"}]}");
        String detached = null;
        for (JsonNode v : client.admin("GET", "/_sim/state", null).json().path("accounts").path(client.accountId())
                .path("volumes")) {
            if (!v.path("object").path("attached").asBoolean()) {
                detached = v.path("object").path("id").asText();
            }
        }
        call("DELETE /aws/ec2/managedInstance/{id}/volume/{volumeId}", INSTANCES + "/" + mi + "/volume/" + detached, null);
        String ssi = client.admin("POST", "/_sim/groups/" + group + "/statefulInstances", "{\"accountId\": \""
                + client.accountId() + "\", \"volumes\": [{\"deviceName\": \"/dev/xvda\"}, {\"deviceName\": \"/dev/sdf\"}]}")
                .json().path("id").asText();
        String base = GROUPS + "/" + group + "/statefulInstance";
        JsonNode listed = call("GET /aws/ec2/group/{groupId}/statefulInstance", base, null).path("response").path("items");
        call("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/pause", base + "/" + ssi + "/pause", null);
        advanceClock("{\"minutes\": 5}");
        call("GET /aws/ec2/group/{groupId}/statefulInstance", base, null);
        call("DELETE /aws/ec2/group/{groupId}/statefulInstance/{ssi}/volume/{volumeId}", base + "/" + ssi + "/volume/"
                + listed.get(0).path("devices").get(1).path("volumeId").asText(), null);
        call("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/resume", base + "/" + ssi + "/resume", null);
        advanceClock("{\"minutes\": 5}");
        call("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/recycle", base + "/" + ssi + "/recycle", null);
        advanceClock("{\"minutes\": 5}");
        call("PUT /aws/ec2/group/{groupId}/statefulInstance/{ssi}/deallocate", base + "/" + ssi + "/deallocate", null);
    }

    @Test
    void everyServedRouteIsChecked() {
        assertThat(sim.spotRoutes()).containsExactlyInAnyOrderElementsOf(ROUTES.keySet());
    }

    @Test
    void successRepliesDecodeIntoTheGoSdksStructs() {
        exerciseEveryRoute();
        assertThat(replies.keySet()).containsExactlyInAnyOrderElementsOf(ROUTES.keySet());
        List<String> problems = new ArrayList<>();
        replies.forEach((route, list) -> {
            String struct = ROUTES.get(route);
            for (JsonNode reply : list) {
                GoStructs.problems("Envelope", reply).forEach(p -> problems.add(route + ": " + p));
                JsonNode response = reply.path("response");
                if (struct == null) {
                    if (response.has("items") || response.has("kind")) {
                        problems.add(route + ": a reply without data carries only request and response.status (contract §2.1)");
                    }
                    continue;
                }
                GoStructs.problems("DataEnvelope", reply).forEach(p -> problems.add(route + ": " + p));
                if (response.path("count").asInt() != response.path("items").size()) {
                    problems.add(route + ": count must equal the number of items");
                }
                if (response.path("items").isEmpty()) {
                    problems.add(route + ": no items to check");
                }
                for (JsonNode item : response.path("items")) {
                    GoStructs.problems(struct, item).forEach(p -> problems.add(route + ": " + p));
                }
            }
        });
        assertThat(problems).isEmpty();
    }

    /** The checker itself catches what broke the old service's SDK (an array where Go has a string) and Spot's old time form. */
    @Test
    void theCheckerCatchesWhatBreaksTheSdk() {
        JsonNode bad = SimClient.JSON.valueToTree(Map.of("id", "sig-1", "compute",
                Map.of("instanceTypes", Map.of("ondemand", List.of("t3.micro"))), "createdAt", "2016-01-28T16:18:14.000+0000"));
        assertThat(GoStructs.problems("Group", bad)).containsExactlyInAnyOrder(
                "Group.compute.instanceTypes.ondemand must be string: [\"t3.micro\"]",
                "Group.createdAt must be time: \"2016-01-28T16:18:14.000+0000\"");
        // issue 24: the simulator's old events shape, which the Go SDK's GetGroupEvents could not decode
        // ("cannot unmarshal object into Go struct field GroupEvent.subEvents of type []*aws.SubEvent")
        JsonNode oldEvent = SimClient.JSON.valueToTree(Map.of("groupId", "sig-1", "eventType", "Update",
                "createdAt", "2030-01-01T00:00:00.000Z", "subEvents", Map.of("type", "scaleUp",
                        "newSpots", List.of(Map.of("spotInstanceRequestId", "sir-1")), "newInstances", List.of("i-1"))));
        assertThat(GoStructs.problems("GroupEvent", oldEvent)).containsExactly(
                "GroupEvent.subEvents must be an array: " + oldEvent.get("subEvents"));
        JsonNode stringIds = SimClient.JSON.valueToTree(Map.of("groupId", "sig-1", "eventType", "Update",
                "createdAt", "2030-01-01T00:00:00.000Z", "subEvents", List.of(Map.of("type", "scaleUp",
                        "newInstances", List.of("i-1")))));
        assertThat(GoStructs.problems("GroupEvent", stringIds)).containsExactly(
                "GroupEvent.subEvents[0].newInstances[0] must be object: \"i-1\"");
        assertThat(GoStructs.problems("ManagedInstanceStatus", SimClient.JSON.createObjectNode()))
                .containsExactlyInAnyOrder("ManagedInstanceStatus.id is missing", "ManagedInstanceStatus.status is missing");
    }
}
