package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/**
 * Bodies reach Spot with every field of the caller, known or not, but without JSON nulls and without
 * the read-only id, createdAt and updatedAt.
 */
class PassThroughTest extends ApiTestSupport {

    @Test
    void unknownFieldsOfAnInstanceCreateReachSpot() {
        ObjectNode body = instanceBody();
        body.putObject("futureFeature").put("enabled", true).putArray("levels").add(1).add(2);
        ((ObjectNode) body.path("compute").path("launchSpecification")).put("brandNewSetting", "v1");

        String id = createInstance(body);

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/managedInstance").path("body").path("managedInstance");
        assertThat(sent.path("futureFeature")).isEqualTo(body.get("futureFeature"));
        assertThat(sent.path("compute").path("launchSpecification").path("brandNewSetting").asText()).isEqualTo("v1");
        JsonNode stored = storedInstance(id);
        assertThat(stored.path("futureFeature")).isEqualTo(body.get("futureFeature"));
        assertThat(stored.path("compute").path("launchSpecification").path("brandNewSetting").asText()).isEqualTo("v1");
        // known fields pass unchanged too
        assertThat(sent.path("persistence")).isEqualTo(body.get("persistence"));
        assertThat(sent.path("healthCheck")).isEqualTo(body.get("healthCheck"));
        assertThat(sent.path("compute").path("launchSpecification").path("networkInterfaces"))
                .isEqualTo(body.path("compute").path("launchSpecification").path("networkInterfaces"));
    }

    @Test
    void unknownFieldsOfAnInstanceUpdateReachSpot() {
        String id = createInstance();
        clearSpotRequests();

        Reply r = call("PUT", "/main/instances/" + id, TestService.json(
                "{\"futureFeature\": {\"mode\": \"x\"}, \"compute\": {\"launchSpecification\": {\"brandNew\": 3}}}"));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode sent = onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id).path("body").path("managedInstance");
        assertThat(sent.path("futureFeature").path("mode").asText()).isEqualTo("x");
        assertThat(sent.path("compute").path("launchSpecification").path("brandNew").asInt()).isEqualTo(3);
        assertThat(storedInstance(id).path("futureFeature").path("mode").asText()).isEqualTo("x");
    }

    @Test
    void unknownFieldsOfAGroupCreateAndUpdateReachSpot() {
        ObjectNode body = groupBody();
        body.put("multai", "kept-when-not-null");
        body.putObject("someNewSection").put("flag", true);

        String id = createGroup(body);

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/group").path("body").path("group");
        assertThat(sent.path("multai").asText()).isEqualTo("kept-when-not-null");
        assertThat(sent.path("someNewSection").path("flag").asBoolean()).isTrue();
        assertThat(storedGroup(id).path("someNewSection").path("flag").asBoolean()).isTrue();

        Reply r = call("PUT", "/main/elastigroups/" + id, TestService.json("{\"anotherNew\": [1, 2, 3]}"));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode put = onlySpotRequest("PUT", "/aws/ec2/group/" + id).path("body").path("group");
        assertThat(put.path("anotherNew")).isEqualTo(TestService.json("{\"a\":[1,2,3]}").get("a"));
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

    @Test
    void jsonNullsAreNotSentOnUpdateSoNothingIsRemoved() {
        String id = createInstance();
        clearSpotRequests();

        Reply r = call("PUT", "/main/instances/" + id, TestService.json(
                "{\"description\": null, \"compute\": {\"launchSpecification\": {\"imageId\": null,"
                        + " \"tags\": [{\"tagKey\": \"k\", \"tagValue\": \"v\"}]}}}"));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode sent = onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id).path("body").path("managedInstance");
        assertThat(sent.has("description")).isFalse();
        assertThat(sent.path("compute").path("launchSpecification").has("imageId")).isFalse();
        assertThat(containsNull(sent)).isFalse();
        JsonNode stored = storedInstance(id);
        assertThat(stored.path("description").asText()).as("not removed").isEqualTo("My new Spot Instance");
        assertThat(stored.path("compute").path("launchSpecification").path("imageId").asText())
                .isEqualTo("ami-02354e95b39ca8dec");
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
