package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.parallel.ResourceLock;

/** One simulator per test class with two accounts, reset before each test. */
@ResourceLock("dev.spotapi.sim.SimTestBase") // one class at a time: sim, client and other are static
abstract class SimTestBase {
    static final String ACCOUNT = "act-1234abcd";
    static final String TOKEN = "token-abc";
    static final String OTHER_ACCOUNT = "act-5678ef90";
    static final String OTHER_TOKEN = "token-xyz";
    static final String GROUPS = "/aws/ec2/group";
    static final String INSTANCES = "/aws/ec2/managedInstance";
    static final String UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    static final String RESOURCE_TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.000Z";
    static final String MILLIS_TIME = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z";

    static SpotSimulator sim;
    static SimClient client;
    static SimClient other;

    @BeforeAll
    static void startSimulator() {
        sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO).account(ACCOUNT, TOKEN).account(OTHER_ACCOUNT, OTHER_TOKEN).start();
        client = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
        other = client.as(OTHER_ACCOUNT, OTHER_TOKEN);
    }

    @AfterAll
    static void stopSimulator() {
        sim.close();
    }

    @BeforeEach
    void reset() {
        assertThat(client.admin("POST", "/_sim/reset", null).status()).isEqualTo(200);
    }

    static String groupBody(String name, int min, int target, int max) {
        return """
                {"group": {"name": "%s", "description": "test group", "region": "us-east-1",
                  "strategy": {"risk": 100, "availabilityVsCost": "balanced", "fallbackToOd": true},
                  "capacity": {"minimum": %d, "target": %d, "maximum": %d, "unit": "instance"},
                  "compute": {"product": "Linux/UNIX",
                    "instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro", "t3a.micro"]},
                    "availabilityZones": [{"name": "us-east-1a", "subnetId": "subnet-00000000000000000"}],
                    "launchSpecification": {"imageId": "ami-00000000000000000",
                      "securityGroupIds": ["sg-00000000000000000"]}}}}
                """.formatted(name, min, target, max);
    }

    static String instanceBody(String name, String type) {
        return """
                {"managedInstance": {"name": "%s", "region": "us-east-1", "description": "test MI",
                  "persistence": {"persistPrivateIp": false, "blockDevicesMode": "onLaunch"},
                  "compute": {"product": "Linux/UNIX", "subnetIds": ["subnet-0123456789abcdef0"],
                    "vpcId": "vpc-0123456789abcdef0",
                    "launchSpecification": {"imageId": "ami-02354e95b39ca8dec",
                      "instanceTypes": {"preferredType": "%s", "types": ["%s", "t3.micro"]},
                      "tags": [{"tagKey": "CreatedBy", "tagValue": "me"}]}}}}
                """.formatted(name, type, type);
    }

    static JsonNode createGroup(SimClient c, String name, int min, int target, int max) {
        SimClient.Reply reply = c.post(GROUPS, groupBody(name, min, target, max));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.item();
    }

    static JsonNode createInstance(SimClient c, String name, String type) {
        SimClient.Reply reply = c.post(INSTANCES, instanceBody(name, type));
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.item();
    }

    static void advanceClock(String body) {
        SimClient.Reply reply = client.admin("POST", "/_sim/clock/advance", body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    static void assertValidationError(SimClient.Reply reply, String field) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.errorCode()).isEqualTo("ValidationError");
        assertThat(reply.error().path("field").asText()).isEqualTo(field);
        assertThat(reply.error().path("message").asText()).isNotBlank();
    }

    static void assertSpotError(SimClient.Reply reply, int status, String code) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.json().path("response").path("status").path("code").asInt()).isEqualTo(status);
        assertThat(reply.errorCode()).as(reply.toString()).isEqualTo(code);
    }
}
