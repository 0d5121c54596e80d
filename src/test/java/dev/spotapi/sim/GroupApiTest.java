package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class GroupApiTest extends SimTestBase {

    @Test
    void createReturnsTheStoredGroupWithIdAndTimestamps() {
        SimClient.Reply reply = client.post(GROUPS, groupBody("web", 1, 2, 4));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:group");
        JsonNode group = reply.item();
        assertThat(group.path("id").asText()).matches("sig-[0-9a-f]{8}");
        assertThat(group.path("name").asText()).isEqualTo("web");
        assertThat(group.path("capacity").path("target").asInt()).isEqualTo(2);
        assertThat(group.path("compute").path("instanceTypes").path("spot").size()).isEqualTo(2);
        assertThat(group.path("createdAt").asText()).matches(RESOURCE_TIME);
        assertThat(group.path("updatedAt").asText()).isEqualTo(group.path("createdAt").asText());
    }

    @Test
    void createKeepsUnknownFieldsDropsNullsAndIgnoresReadOnlyFields() {
        String body = """
                {"group": {"id": "sig-aaaaaaaa", "createdAt": "2001-01-01T00:00:00.000Z", "updatedAt": "x",
                  "name": "g", "region": "us-east-1", "multai": {"balancers": [1, 2]}, "futureField": "kept",
                  "scaling": {"up": null, "down": null}, "onDemandCount": null,
                  "capacity": {"minimum": 0, "target": 0, "maximum": 1}, "compute": {"elasticIps": null}}}
                """;
        JsonNode group = client.post(GROUPS, body).item();

        assertThat(group.path("id").asText()).isNotEqualTo("sig-aaaaaaaa").matches("sig-[0-9a-f]{8}");
        assertThat(group.path("createdAt").asText()).isNotEqualTo("2001-01-01T00:00:00.000Z").matches(RESOURCE_TIME);
        assertThat(group.path("multai").path("balancers").size()).isEqualTo(2);
        assertThat(group.path("futureField").asText()).isEqualTo("kept");
        assertThat(group.path("scaling").isObject()).isTrue();
        assertThat(group.path("scaling").has("up")).isFalse();
        assertThat(group.has("onDemandCount")).isFalse();
        assertThat(group.path("compute").has("elasticIps")).isFalse();
        assertThat(client.get(GROUPS + "/" + group.path("id").asText()).item()).isEqualTo(group);
    }

    @Test
    void eachCreateGetsANewId() {
        String a = createGroup(client, "a", 0, 0, 1).path("id").asText();
        String b = createGroup(client, "b", 0, 0, 1).path("id").asText();
        assertThat(a).isNotEqualTo(b);
        assertThat(client.get(GROUPS).items()).extracting(n -> n.path("id").asText()).containsExactlyInAnyOrder(a, b);
        assertThat(client.get(GROUPS).json().path("response").path("count").asInt()).isEqualTo(2);
    }

    @Test
    void createValidatesRequiredFields() {
        assertValidationError(client.post(GROUPS, "{\"group\":{\"region\":\"us-east-1\","
                + "\"capacity\":{\"minimum\":0,\"target\":0,\"maximum\":1},\"compute\":{}}}"), "body:group.name");
        assertValidationError(client.post(GROUPS, "{\"group\":{\"name\":\"g\","
                + "\"capacity\":{\"minimum\":0,\"target\":0,\"maximum\":1},\"compute\":{}}}"), "body:group.region");
        assertValidationError(client.post(GROUPS, "{\"group\":{\"name\":\"g\",\"region\":\"us-east-1\","
                + "\"compute\":{}}}"), "body:group.capacity");
        assertValidationError(client.post(GROUPS, "{\"group\":{\"name\":\"g\",\"region\":\"us-east-1\","
                + "\"capacity\":{\"minimum\":0,\"target\":0,\"maximum\":1}}}"), "body:group.compute");
        assertValidationError(client.post(GROUPS, "{\"group\":{\"name\":\"g\",\"region\":\"us-east-1\","
                + "\"capacity\":{\"minimum\":0,\"maximum\":1},\"compute\":{}}}"), "body:group.capacity.target");
        assertValidationError(client.post(GROUPS, "{\"group\":{\"name\":\"g\",\"region\":\"us-east-1\","
                + "\"capacity\":{\"minimum\":0,\"target\":\"one\",\"maximum\":1},\"compute\":{}}}"),
                "body:group.capacity.target");
        assertValidationError(client.post(GROUPS, "{\"group\":{\"name\":\"g\",\"region\":\"us-east-1\","
                + "\"capacity\":{\"minimum\":0,\"target\":0,\"maximum\":1,\"unit\":\"cpu\"},\"compute\":{}}}"),
                "body:group.capacity.unit");
        assertThat(client.get(GROUPS).items()).isEmpty();
    }

    @Test
    void capacityMustBeOrdered() {
        SimClient.Reply reply = client.post(GROUPS, groupBody("g", 2, 0, 4));
        assertValidationError(reply, "body:group.capacity.minimum");
        assertThat(reply.error().path("message").asText()).isEqualTo("\"minimum\" must be less than or equal to 0");
        assertValidationError(client.post(GROUPS, groupBody("g", 0, 5, 4)), "body:group.capacity.target");
        assertValidationError(client.post(GROUPS, groupBody("g", -1, 0, 4)), "body:group.capacity.minimum");
    }

    @Test
    void bodiesMustBeJsonWrappedInGroup() {
        assertValidationError(client.post(GROUPS, "{\"name\":\"g\",\"region\":\"us-east-1\"}"), "body:group");
        assertValidationError(client.post(GROUPS, "{\"group\":[1]}"), "body:group");
        assertValidationError(client.post(GROUPS, "not json"), "body");
        assertValidationError(client.post(GROUPS, "[]"), "body");
        assertValidationError(client.post(GROUPS, null), "body");
    }

    @Test
    void readReturnsTheGroupAndUnknownIdIsGroupDoesntExist() {
        JsonNode created = createGroup(client, "g", 1, 1, 1);
        SimClient.Reply reply = client.get(GROUPS + "/" + created.path("id").asText());
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.item()).isEqualTo(created);

        SimClient.Reply missing = client.get(GROUPS + "/sig-00000000");
        assertSpotError(missing, 400, "GROUP_DOESNT_EXIST");
        assertThat(missing.error().path("message").asText()).isEqualTo("Group: 'sig-00000000' does not exist");
    }

    @Test
    void updateDeepMergesThePartialBody() {
        String body = """
                {"group": {"name": "g", "region": "us-east-1", "description": "before", "custom": {"keep": 1, "drop": 2},
                  "capacity": {"minimum": 1, "target": 1, "maximum": 4, "unit": "instance"},
                  "compute": {"instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro", "t3a.micro", "t3.nano"]},
                    "launchSpecification": {"imageId": "ami-1", "tags": [{"tagKey": "a", "tagValue": "1"}]}}}}
                """;
        JsonNode created = client.post(GROUPS, body).item();
        String id = created.path("id").asText();
        advanceClock("{\"hours\": 1}");

        String patch = """
                {"group": {"id": "sig-ffffffff", "createdAt": "1999-01-01T00:00:00.000Z",
                  "description": null, "newTopLevel": {"x": true},
                  "custom": {"drop": null, "added": "yes"},
                  "capacity": {"target": 3, "maximum": 5},
                  "compute": {"instanceTypes": {"spot": ["c5.large"]},
                    "launchSpecification": {"tags": [{"tagKey": "b", "tagValue": "2"}]}}}}
                """;
        SimClient.Reply reply = client.put(GROUPS + "/" + id, patch);

        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        JsonNode g = reply.item();
        assertThat(g.path("id").asText()).isEqualTo(id);
        assertThat(g.path("createdAt").asText()).isEqualTo(created.path("createdAt").asText());
        assertThat(g.path("updatedAt").asText()).matches(RESOURCE_TIME).isNotEqualTo(created.path("updatedAt").asText());
        assertThat(g.has("description")).isFalse();
        assertThat(g.path("newTopLevel").path("x").asBoolean()).isTrue();
        assertThat(g.path("custom").path("keep").asInt()).isEqualTo(1);
        assertThat(g.path("custom").has("drop")).isFalse();
        assertThat(g.path("custom").path("added").asText()).isEqualTo("yes");
        assertThat(g.path("capacity").path("minimum").asInt()).isEqualTo(1);
        assertThat(g.path("capacity").path("target").asInt()).isEqualTo(3);
        assertThat(g.path("capacity").path("maximum").asInt()).isEqualTo(5);
        assertThat(g.path("capacity").path("unit").asText()).isEqualTo("instance");
        assertThat(g.path("compute").path("instanceTypes").path("ondemand").asText()).isEqualTo("t3.micro");
        assertThat(g.path("compute").path("instanceTypes").path("spot")).hasSize(1);
        assertThat(g.path("compute").path("launchSpecification").path("imageId").asText()).isEqualTo("ami-1");
        JsonNode tags = g.path("compute").path("launchSpecification").path("tags");
        assertThat(tags).hasSize(1);
        assertThat(tags.get(0).path("tagKey").asText()).isEqualTo("b");
        assertThat(client.get(GROUPS + "/" + id).item()).isEqualTo(g);
        assertThat(client.get(GROUPS + "/sig-ffffffff").status()).isEqualTo(400);
    }

    @Test
    void updateThatBreaksValidationChangesNothing() {
        JsonNode created = createGroup(client, "g", 1, 2, 3);
        String id = created.path("id").asText();

        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\":{\"capacity\":{\"target\":9}}}"),
                "body:group.capacity.target");
        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\":{\"name\":null}}"), "body:group.name");
        assertValidationError(client.put(GROUPS + "/" + id, "{\"capacity\":{\"target\":2}}"), "body:group");
        assertValidationError(client.put(GROUPS + "/" + id, "{{"), "body");
        assertThat(client.get(GROUPS + "/" + id).item()).isEqualTo(created);
    }

    @Test
    void updateOfUnknownGroupIsGroupDoesntExist() {
        assertSpotError(client.put(GROUPS + "/sig-00000000", "{\"group\":{\"name\":\"x\"}}"), 400, "GROUP_DOESNT_EXIST");
    }

    @Test
    void deleteWithoutBodyRemovesTheGroup() {
        String id = createGroup(client, "g", 1, 1, 1).path("id").asText();
        SimClient.Reply reply = client.delete(GROUPS + "/" + id, null);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("response").path("status").path("code").asInt()).isEqualTo(200);
        assertSpotError(client.get(GROUPS + "/" + id), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(client.delete(GROUPS + "/" + id, null), 400, "GROUP_DOESNT_EXIST");
        assertThat(client.get(GROUPS).items()).isEmpty();
    }

    @Test
    void deleteAcceptsTheStatefulDeallocationBodyAndEmptyObject() {
        String a = createGroup(client, "a", 1, 1, 1).path("id").asText();
        String b = createGroup(client, "b", 1, 1, 1).path("id").asText();
        String dealloc = "{\"statefulDeallocation\":{\"shouldDeleteImages\":true,\"shouldDeleteNetworkInterfaces\":true,"
                + "\"shouldDeleteVolumes\":true,\"shouldDeleteSnapshots\":true}}";

        assertThat(client.delete(GROUPS + "/" + a, dealloc).status()).isEqualTo(200);
        assertThat(client.delete(GROUPS + "/" + b, "{}").status()).isEqualTo(200);
        assertSpotError(client.get(GROUPS + "/" + a), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(client.get(GROUPS + "/" + b), 400, "GROUP_DOESNT_EXIST");
    }

    @Test
    void deleteWithNonJsonBodyIsAValidationErrorAndKeepsTheGroup() {
        String id = createGroup(client, "g", 1, 1, 1).path("id").asText();
        assertValidationError(client.delete(GROUPS + "/" + id, "yes please"), "body");
        assertThat(client.get(GROUPS + "/" + id).status()).isEqualTo(200);
    }

    @Test
    void statusListsTargetRunningInstances() {
        String id = createGroup(client, "g", 1, 3, 5).path("id").asText();
        SimClient.Reply reply = client.get(GROUPS + "/" + id + "/status");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("response").path("count").asInt()).isEqualTo(3);
        assertThat(reply.items()).hasSize(3);
        for (JsonNode instance : reply.items()) {
            assertThat(instance.path("instanceId").asText()).matches("i-[0-9a-f]{17}");
            assertThat(instance.path("spotInstanceRequestId").asText()).startsWith("sir-");
            assertThat(instance.path("instanceType").asText()).isIn("t3.micro", "t3a.micro");
            assertThat(instance.path("status").asText()).isEqualTo("fulfilled");
            assertThat(instance.path("product").asText()).isEqualTo("Linux/UNIX");
            assertThat(instance.path("availabilityZone").asText()).isEqualTo("us-east-1a");
            assertThat(instance.path("privateIp").asText()).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
            assertThat(instance.path("publicIp").asText()).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
            assertThat(instance.path("createdAt").asText()).matches(RESOURCE_TIME);
            assertThat(instance.path("groupId").asText()).isEqualTo(id);
        }
        assertThat(reply.items()).extracting(n -> n.path("instanceId").asText()).doesNotHaveDuplicates();

        client.put(GROUPS + "/" + id, "{\"group\":{\"capacity\":{\"target\":1}}}");
        assertThat(client.get(GROUPS + "/" + id + "/status").items()).hasSize(1);
        assertSpotError(client.get(GROUPS + "/sig-00000000/status"), 400, "GROUP_DOESNT_EXIST");
    }

    @Test
    void scaleUpAddsInstancesWithinMaximum() {
        String id = createGroup(client, "g", 1, 1, 4).path("id").asText();
        SimClient.Reply reply = client.put(GROUPS + "/" + id + "/scale/up?adjustment=2",
                "{\"type\":\"up\",\"adjustment\":2}");

        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:scale");
        assertThat(reply.json().path("response").path("count").asInt()).isEqualTo(1);
        JsonNode scale = reply.item();
        assertThat(scale.path("newInstances")).hasSize(2);
        assertThat(scale.path("newSpotRequests")).hasSize(2);
        assertThat(scale.path("victimInstances")).isEmpty();
        assertThat(scale.path("newInstances").get(0).path("instanceId").asText()).matches("i-[0-9a-f]{17}");
        assertThat(client.get(GROUPS + "/" + id).item().path("capacity").path("target").asInt()).isEqualTo(3);
        assertThat(client.get(GROUPS + "/" + id + "/status").items()).hasSize(3);

        JsonNode capped = client.put(GROUPS + "/" + id + "/scale/up?adjustment=5", null).item();
        assertThat(capped.path("newInstances")).hasSize(1);
        assertThat(client.get(GROUPS + "/" + id).item().path("capacity").path("target").asInt()).isEqualTo(4);
    }

    @Test
    void scaleDownTerminatesInstancesWithinMinimum() {
        String id = createGroup(client, "g", 1, 3, 4).path("id").asText();
        JsonNode statusBefore = client.get(GROUPS + "/" + id + "/status").items();
        JsonNode scale = client.put(GROUPS + "/" + id + "/scale/down?adjustment=1", null).item();

        assertThat(scale.path("victimInstances")).hasSize(1);
        assertThat(scale.path("victimSpotRequests")).hasSize(1);
        assertThat(scale.path("newInstances")).isEmpty();
        assertThat(scale.path("victimInstances").get(0).path("instanceId").asText())
                .isEqualTo(statusBefore.get(2).path("instanceId").asText());
        assertThat(client.get(GROUPS + "/" + id + "/status").items()).hasSize(2);

        JsonNode capped = client.put(GROUPS + "/" + id + "/scale/down?adjustment=10", null).item();
        assertThat(capped.path("victimInstances")).hasSize(1);
        assertThat(client.get(GROUPS + "/" + id).item().path("capacity").path("target").asInt()).isEqualTo(1);
    }

    @Test
    void scaleTakesTheAdjustmentFromTheBodyWhenTheQueryHasNone() {
        String id = createGroup(client, "g", 0, 0, 4).path("id").asText();
        assertThat(client.put(GROUPS + "/" + id + "/scale/up", "{\"adjustment\":2}").item().path("newInstances")).hasSize(2);
    }

    @Test
    void scaleErrors() {
        String id = createGroup(client, "g", 0, 0, 4).path("id").asText();
        assertValidationError(client.put(GROUPS + "/" + id + "/scale/up", null), "query:adjustment");
        assertValidationError(client.put(GROUPS + "/" + id + "/scale/up?adjustment=abc", null), "query:adjustment");
        assertValidationError(client.put(GROUPS + "/" + id + "/scale/up?adjustment=0", null), "query:adjustment");
        assertSpotError(client.put(GROUPS + "/sig-00000000/scale/up?adjustment=1", null), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(client.put(GROUPS + "/" + id + "/scale/sideways?adjustment=1", null), 404, "NOT_FOUND");
    }
}
