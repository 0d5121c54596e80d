package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Item 6 of issue 11: bodies are validated as Spot does. Every known field with the wrong type, and
 * a value outside a well-evidenced enum, is a 400 {@code ValidationError} whose field is
 * {@code body:<wrapper>.<path>} (contract §2.2, TF#240 form); field names and types are those of the
 * request schemas {@code elastigroupCreate} and {@code mi} of Spot's OpenAPI description, corrected
 * where working clients prove it wrong (the seed's bodies and the Go SDK's types stay valid).
 */
class SpotValidationTest extends SimTestBase {

    /** Sets {@code path} (dots; digits index arrays) of {@code body[wrapper]} to the JSON {@code value}. */
    private static String with(String body, String wrapper, String path, String value) {
        ObjectNode root = (ObjectNode) read(body);
        JsonNode node = root.get(wrapper);
        String[] parts = path.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = node.isArray() ? node.get(Integer.parseInt(parts[i])) : node.get(parts[i]);
            if (next == null) {
                next = ((ObjectNode) node).putObject(parts[i]);
            }
            node = next;
        }
        String last = parts[parts.length - 1];
        if (node.isArray()) {
            ((com.fasterxml.jackson.databind.node.ArrayNode) node).set(Integer.parseInt(last), read(value));
        } else {
            ((ObjectNode) node).set(last, read(value));
        }
        return root.toString();
    }

    private static JsonNode read(String json) {
        try {
            return SimClient.JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    @ParameterizedTest(name = "group {0} = {1}")
    @CsvSource(delimiter = '|', value = {
            // the case of the issue: the old service's SDK then failed to list groups
            "compute.instanceTypes.ondemand | [\"t3.micro\"] | \"ondemand\" must be a string",
            "capacity.target | \"2\" | \"target\" must be a number",
            "capacity.maximum | 2.5 | \"maximum\" must be an integer",
            "strategy.fallbackToOd | \"yes\" | \"fallbackToOd\" must be a boolean",
            "strategy.risk | \"high\" | \"risk\" must be a number",
            "compute.availabilityZones | {\"name\": \"us-east-1a\"} | \"availabilityZones\" must be an array",
            "compute.availabilityZones.0.name | 5 | \"name\" must be a string",
            "compute.instanceTypes.spot | \"t3.micro\" | \"spot\" must be an array",
            "compute.launchSpecification.securityGroupIds.0 | 7 | \"0\" must be a string",
            "compute.launchSpecification.monitoring | \"false\" | \"monitoring\" must be a boolean",
            "compute.launchSpecification | [] | \"launchSpecification\" must be an object",
            "scheduling.tasks | {} | \"tasks\" must be an array",
            "name | 42 | \"name\" must be a string",
            // enums the OpenAPI file and the Go SDK / Terraform agree on
            "capacity.unit | \"instances\" | \"unit\" must be one of [instance, weight]",
            "strategy.availabilityVsCost | \"fast\" | \"availabilityVsCost\" must be one of [costOriented, availabilityOriented, balanced, cheapest, equalAzDistribution]",
    })
    void groupCreateRefusesAWrongTypeWithTheFieldPath(String path, String value, String message) {
        SimClient.Reply reply = client.post(GROUPS, with(groupBody("g", 1, 1, 2), "group", path, value));
        assertValidationError(reply, "body:group." + path);
        assertThat(reply.error().path("message").asText()).isEqualTo(message);
        assertThat(client.get(GROUPS).items().size()).as("nothing stored").isZero();
    }

    @Test
    void groupUpdateRefusesAWrongTypeAndChangesNothing() {
        String id = createGroup(client, "g", 1, 1, 2).path("id").asText();
        SimClient.Reply reply = client.put(GROUPS + "/" + id,
                "{\"group\": {\"compute\": {\"instanceTypes\": {\"ondemand\": [\"t3.micro\", \"t3a.micro\"]}}}}");
        assertValidationError(reply, "body:group.compute.instanceTypes.ondemand");
        assertThat(client.get(GROUPS + "/" + id).item().path("compute").path("instanceTypes").path("ondemand").asText())
                .isEqualTo("t3.micro");
        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\": {\"capacity\": {\"unit\": \"vcpu\"}}}"),
                "body:group.capacity.unit");
    }

    @ParameterizedTest(name = "managed instance {0} = {1}")
    @CsvSource(delimiter = '|', value = {
            "compute.subnetIds | \"subnet-1\" | \"subnetIds\" must be an array",
            "compute.vpcId | [\"vpc-1\"] | \"vpcId\" must be a string",
            "persistence.persistPrivateIp | \"true\" | \"persistPrivateIp\" must be a boolean",
            "compute.launchSpecification.instanceTypes.types.0 | 1 | \"0\" must be a string",
            "compute.launchSpecification.instanceTypes.preferredType | {} | \"preferredType\" must be a string",
            "compute.launchSpecification.tags.0.tagValue | true | \"tagValue\" must be a string",
            "healthCheck.gracePeriod | \"120\" | \"gracePeriod\" must be a number",
            "strategy.optimizationWindows | \"Mon:03:00-Wed:02:30\" | \"optimizationWindows\" must be an array",
            "persistence.blockDevicesMode | \"always\" | \"blockDevicesMode\" must be one of [reattach, onLaunch]",
            "healthCheck.type | \"HTTP\" | \"type\" must be one of [EC2, ELB, TARGET_GROUP]",
            "strategy.revertToSpot.performAt | \"sometimes\" | \"performAt\" must be one of [never, always, timeWindow]",
    })
    void managedInstanceCreateRefusesAWrongTypeWithTheFieldPath(String path, String value, String message) {
        SimClient.Reply reply = client.post(INSTANCES, with(instanceBody("mi", "t3a.micro"), "managedInstance", path, value));
        assertValidationError(reply, "body:managedInstance." + path);
        assertThat(reply.error().path("message").asText()).isEqualTo(message);
    }

    @Test
    void managedInstanceUpdateRefusesAWrongType() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        assertValidationError(client.put(INSTANCES + "/" + id,
                        "{\"managedInstance\": {\"compute\": {\"launchSpecification\": {\"instanceTypes\": {\"types\": \"t3.micro\"}}}}}"),
                "body:managedInstance.compute.launchSpecification.instanceTypes.types");
    }

    /** The seed's example bodies (seed-api.md) stay valid, unknown fields included; nulls mean "not set". */
    @Test
    void theSeedsExampleBodiesAreAccepted() {
        ObjectNode group = dev.spotapi.support.TestService.json(dev.spotapi.support.SeedExamples.GROUP);
        group.set("ourOwnField", dev.spotapi.support.TestService.json("{\"kept\": [1, \"two\"]}"));
        SimClient.Reply created = client.post(GROUPS, "{\"group\": " + group + "}");
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        assertThat(created.item().path("ourOwnField").toString()).isEqualTo("{\"kept\":[1,\"two\"]}");
        String id = created.item().path("id").asText();
        SimClient.Reply updated = client.put(GROUPS + "/" + id, """
                {"group": {"id": "sig-000000000", "capacity": {"target": 2, "minimum": 2,
                "maximum": 4}, "compute": {"instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro",
                "t3a.micro", "t3a.nano", "t3.nano"]}, "launchSpecification": {"tags": [{"tagKey": "food",
                "tagValue": "good"}]}}}}""");
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        SimClient.Reply mi = client.post(INSTANCES, """
                {"managedInstance": {"region": "us-east-1", "name": "mi-test", "description": "My new
                Spot Instance", "strategy": {"revertToSpot": {"performAt": "always"}}, "persistence":
                {"persistPrivateIp": true, "persistBlockDevices": true, "persistRootDevice": true,
                "blockDevicesMode": "onLaunch"}, "healthCheck": {"type": "EC2", "autoHealing": true, "gracePeriod":
                120, "unhealthyDuration": 120}, "compute": {"product": "Linux/UNIX", "subnetIds":
                ["subnet-0123456789abcdef0"], "vpcId": "vpc-0123456789abcdef0", "launchSpecification":
                {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro", "t3.micro", "t2.micro"]},
                "securityGroupIds": ["sg-0123456789abcdef0"], "imageId": "ami-02354e95b39ca8dec", "keyPair": null,
                "tags": [{"tagKey": "CreatedBy", "tagValue": "me"}], "networkInterfaces": [{"associateIpv6Address":
                false, "associatePublicIpAddress": true, "deviceIndex": 0}]}}}}""".replace("My new\n", "My new "));
        assertThat(mi.status()).as(mi.toString()).isEqualTo(200);
    }

    /** Where the OpenAPI file is stricter than working clients, the clients win (spot-openapi/README). */
    @Test
    void whatWorkingClientsSendIsAcceptedWhereTheSpecIsWrong() {
        // the Go SDK types scaling actions' numbers as strings; strategy.risk and thresholds as float64
        String body = with(groupBody("g", 1, 1, 2), "group", "scaling", """
                {"up": [{"policyName": "up", "threshold": 70.5, "action": {"type": "adjustment", "adjustment": "2"}}],
                 "down": [{"policyName": "down", "threshold": 20, "action": {"type": "adjustment", "adjustment": 1}}]}""");
        body = with(body, "group", "strategy.risk", "99.5");
        // strategy.persistence is an object (Go SDK, Terraform, the seed's example), not the spec's array
        body = with(body, "group", "strategy.persistence", "{\"shouldPersistPrivateIp\": true}");
        // product names without "(Amazon VPC)"
        body = with(body, "group", "compute.product", "\"SUSE Linux\"");
        SimClient.Reply reply = client.post(GROUPS, body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.item().path("scaling").path("up").get(0).path("action").path("adjustment").asText()).isEqualTo("2");
    }
}
