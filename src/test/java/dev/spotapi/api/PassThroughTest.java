package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/**
 * Bodies reach Spot with every field of the caller that Spot's schema has (others are refused, issue 20),
 * but without JSON nulls and without the read-only id, createdAt and updatedAt.
 */
class PassThroughTest extends ApiTestSupport {

    @Test
    void everyKnownFieldOfAnInstanceCreateReachesSpotUnchanged() {
        ObjectNode body = instanceBody();

        String id = createInstance(body);

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/managedInstance").path("body").path("managedInstance");
        assertThat(sent.path("persistence")).isEqualTo(body.get("persistence"));
        assertThat(sent.path("healthCheck")).isEqualTo(body.get("healthCheck"));
        assertThat(sent.path("compute").path("launchSpecification").path("networkInterfaces"))
                .isEqualTo(body.path("compute").path("launchSpecification").path("networkInterfaces"));
        assertThat(storedInstance(id).path("persistence")).isEqualTo(body.get("persistence"));
    }

    /** Issue 20: a field outside Spot's schema is refused, named, and nothing reaches Spot (it used to pass through). */
    @Test
    void unknownFieldsOfAnInstanceCreateOrUpdateAreRefusedAndNamed() {
        String id = createInstance();
        clearSpotRequests();
        ObjectNode create = instanceBody();
        create.putObject("futureFeature").put("enabled", true);
        ((ObjectNode) create.path("compute").path("launchSpecification")).put("brandNewSetting", "v1");

        String created = assertError(call("POST", "/main/instances", create), 400);
        String updated = assertError(call("PUT", "/main/instances/" + id, TestService.json(
                "{\"futureFeature\": {\"mode\": \"x\"}, \"compute\": {\"launchSpecification\": {\"brandNew\": 3}}}")), 400);

        assertThat(created).contains("futureFeature", "compute.launchSpecification.brandNewSetting");
        assertThat(updated).contains("futureFeature", "compute.launchSpecification.brandNew");
        assertThat(allSpotRequests()).as("nothing reaches Spot, not even the org check").isEmpty();
    }

    @Test
    void unknownFieldsOfAGroupCreateOrUpdateAreRefusedAndNamed() {
        String id = createGroup();
        clearSpotRequests();
        ObjectNode body = groupBody();
        body.putObject("someNewSection").put("flag", true);

        String created = assertError(call("POST", "/main/elastigroups", body), 400);
        String updated = assertError(call("PUT", "/main/elastigroups/" + id,
                TestService.json("{\"anotherNew\": [1, 2, 3]}")), 400);

        assertThat(created).contains("someNewSection");
        assertThat(updated).contains("anotherNew");
        assertThat(allSpotRequests()).isEmpty();
    }

    @Test
    void jsonNullsAreNotSentOnCreate() {
        ObjectNode body = groupBody(); // has nulls at several depths
        createGroup(body);

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/group").path("body").path("group");
        assertThat(sent.has("multai")).as("top-level null left out: %s", sent).isFalse();
        assertThat(sent.path("strategy").has("onDemandCount")).isFalse();
        assertThat(sent.path("scaling").has("up")).isFalse();
        assertThat(sent.path("scaling").has("down")).isFalse();
        assertThat(sent.path("scaling").isObject()).as("the emptied object itself is kept").isTrue();
        assertThat(sent.path("compute").has("elasticIps")).isFalse();
        assertThat(sent.path("compute").path("launchSpecification").has("userData")).isFalse();
        assertThat(sent.path("compute").path("launchSpecification").has("healthCheckType")).isFalse();
        assertThat(sent.path("compute").path("launchSpecification").path("keyPair").asText()).isEqualTo("user");
        assertThat(sent.path("compute").path("launchSpecification").path("monitoring").isBoolean())
                .as("false is not null").isTrue();
        assertThat(containsNull(sent)).as("no null anywhere in %s", sent).isFalse();
    }

    @Test
    void jsonNullsAreNotSentOnInstanceCreate() {
        createInstance(instanceBody()); // keyPair, shutdownScript, userData, privateIp are null

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/managedInstance").path("body").path("managedInstance");
        assertThat(sent.path("compute").has("privateIp")).isFalse();
        assertThat(sent.path("compute").path("launchSpecification").has("keyPair")).isFalse();
        assertThat(containsNull(sent)).as("no null anywhere in %s", sent).isFalse();
    }

    /** Issue 24: an explicit null in an update goes to Spot as sent (Spot's own clients unset a field so). */
    @Test
    void aJsonNullOnUpdateIsPassedToSpotToUnsetTheField() {
        String id = createInstance();
        clearSpotRequests();

        Reply r = call("PUT", "/main/instances/" + id, TestService.json(
                "{\"description\": null, \"compute\": {\"launchSpecification\": {"
                        + " \"tags\": [{\"tagKey\": \"k\", \"tagValue\": \"v\"}]}}}"));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode sent = onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id).path("body").path("managedInstance");
        assertThat(sent.has("description")).as("the null is sent: %s", sent).isTrue();
        assertThat(sent.get("description").isNull()).isTrue();
    }

    @Test
    void readOnlyFieldsAreNotSentOnCreate() {
        ObjectNode mi = instanceBody();
        mi.put("id", "smi-deadbeef").put("createdAt", "2020-01-01T00:00:00.000Z")
                .put("updatedAt", "2020-01-02T00:00:00.000Z");
        ObjectNode group = groupBody();
        group.put("id", "sig-deadbeef").put("createdAt", "2020-01-01T00:00:00.000Z")
                .put("updatedAt", "2020-01-02T00:00:00.000Z");

        String miId = createInstance(mi);
        String groupId = createGroup(group);

        JsonNode sentMi = onlySpotRequest("POST", "/aws/ec2/managedInstance").path("body").path("managedInstance");
        JsonNode sentGroup = onlySpotRequest("POST", "/aws/ec2/group").path("body").path("group");
        for (JsonNode sent : new JsonNode[] {sentMi, sentGroup}) {
            assertThat(sent.has("id")).as("%s", sent).isFalse();
            assertThat(sent.has("createdAt")).isFalse();
            assertThat(sent.has("updatedAt")).isFalse();
        }
        assertThat(miId).isNotEqualTo("smi-deadbeef");
        assertThat(groupId).isNotEqualTo("sig-deadbeef");
    }

    @Test
    void readOnlyFieldsAreNotSentOnUpdateSoAReadObjectCanBeSentBack() {
        String id = createGroup();
        JsonNode read = get("/main/elastigroups/" + id).json();
        ObjectNode roundTrip = read.deepCopy();
        roundTrip.put("description", "round trip");
        clearSpotRequests();

        Reply r = call("PUT", "/main/elastigroups/" + id, roundTrip);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode sent = onlySpotRequest("PUT", "/aws/ec2/group/" + id).path("body").path("group");
        assertThat(sent.has("id")).isFalse();
        assertThat(sent.has("createdAt")).isFalse();
        assertThat(sent.has("updatedAt")).isFalse();
        assertThat(sent.path("description").asText()).isEqualTo("round trip");
    }

    @Test
    void nestedIdFieldsAreNotReadOnlyAndPassThrough() {
        ObjectNode body = groupBody();
        ((ObjectNode) body.path("compute").path("launchSpecification"))
                .putArray("images").addObject().put("id", "ami-11111111111111111");

        createGroup(body);

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/group").path("body").path("group");
        assertThat(sent.path("compute").path("launchSpecification").path("images").path(0).path("id").asText())
                .isEqualTo("ami-11111111111111111");
    }

    private static boolean containsNull(JsonNode node) {
        if (node.isNull()) {
            return true;
        }
        for (JsonNode child : node) {
            if (containsNull(child)) {
                return true;
            }
        }
        return false;
    }
}
