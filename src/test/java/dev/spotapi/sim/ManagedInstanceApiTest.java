package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class ManagedInstanceApiTest extends SimTestBase {
    private static final String DEALLOCATION = "{\"deallocationConfig\":{\"shouldDeleteImages\":true,"
            + "\"shouldDeleteNetworkInterfaces\":true,\"shouldDeleteSnapshots\":true,\"shouldDeleteVolumes\":true,"
            + "\"shouldTerminateInstance\":true},\"amiBackup\":{\"shouldDeleteImages\":true}}";

    @Test
    void createReturnsTheFlatObject() {
        SimClient.Reply reply = client.post(INSTANCES, instanceBody("mi-test", "t3a.micro"));

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:managedInstance");
        JsonNode mi = reply.item();
        assertThat(mi.path("id").asText()).matches("smi-[0-9a-f]{8}");
        assertThat(mi.path("name").asText()).isEqualTo("mi-test");
        assertThat(mi.path("compute").path("vpcId").asText()).isEqualTo("vpc-0123456789abcdef0");
        assertThat(mi.path("createdAt").asText()).matches(RESOURCE_TIME);
        assertThat(mi.path("updatedAt").asText()).matches(RESOURCE_TIME);
        assertThat(mi.has("status")).as("the MI object has no state field").isFalse();
        assertThat(client.get(INSTANCES + "/" + mi.path("id").asText()).item()).isEqualTo(mi);
    }

    @Test
    void listItemsAreConfigWrapped() {
        JsonNode mi = createInstance(client, "a", "t3a.micro");
        SimClient.Reply reply = client.get(INSTANCES);

        assertThat(reply.json().path("response").path("count").asInt()).isEqualTo(1);
        JsonNode item = reply.item();
        assertThat(item.path("id").asText()).isEqualTo(mi.path("id").asText());
        assertThat(item.path("createdAt").asText()).isEqualTo(mi.path("createdAt").asText());
        assertThat(item.path("updatedAt").asText()).isEqualTo(mi.path("updatedAt").asText());
        assertThat(item.path("config").path("name").asText()).isEqualTo("a");
        assertThat(item.path("config").path("region").asText()).isEqualTo("us-east-1");
        assertThat(item.path("config").path("compute").path("subnetIds")).hasSize(1);
        assertThat(item.path("config").has("id")).isFalse();
        assertThat(item.has("name")).isFalse();
    }

    @Test
    void createValidatesRequiredFields() {
        assertValidationError(client.post(INSTANCES, "{\"managedInstance\":{\"region\":\"us-east-1\",\"compute\":"
                + "{\"subnetIds\":[\"s\"],\"vpcId\":\"v\"}}}"), "body:managedInstance.name");
        assertValidationError(client.post(INSTANCES, "{\"managedInstance\":{\"name\":\"n\",\"compute\":"
                + "{\"subnetIds\":[\"s\"],\"vpcId\":\"v\"}}}"), "body:managedInstance.region");
        assertValidationError(client.post(INSTANCES, "{\"managedInstance\":{\"name\":\"n\",\"region\":\"r\"}}"),
                "body:managedInstance.compute");
        assertValidationError(client.post(INSTANCES, "{\"managedInstance\":{\"name\":\"n\",\"region\":\"r\","
                + "\"compute\":{\"vpcId\":\"v\"}}}"), "body:managedInstance.compute.subnetIds");
        assertValidationError(client.post(INSTANCES, "{\"managedInstance\":{\"name\":\"n\",\"region\":\"r\","
                + "\"compute\":{\"subnetIds\":[],\"vpcId\":\"v\"}}}"), "body:managedInstance.compute.subnetIds");
        assertValidationError(client.post(INSTANCES, "{\"managedInstance\":{\"name\":\"n\",\"region\":\"r\","
                + "\"compute\":{\"subnetIds\":[\"s\"]}}}"), "body:managedInstance.compute.vpcId");
        assertValidationError(client.post(INSTANCES, "{\"name\":\"n\",\"region\":\"r\","
                + "\"compute\":{\"subnetIds\":[\"s\"],\"vpcId\":\"v\"}}"), "body:managedInstance");
        assertValidationError(client.post(INSTANCES, instanceBody("x", "t3.micro").replace("managedInstance", "group")),
                "body:managedInstance");
        assertThat(client.get(INSTANCES).items()).isEmpty();
    }

    @Test
    void updateDeepMergesAndReplacesArrays() {
        JsonNode mi = createInstance(client, "mi", "t3a.micro");
        String id = mi.path("id").asText();
        advanceClock("{\"minutes\": 5}");

        SimClient.Reply reply = client.put(INSTANCES + "/" + id + "?autoApplyTags=true",
                "{\"managedInstance\":{\"compute\":{\"launchSpecification\":{\"tags\":"
                        + "[{\"tagKey\":\"Environment\",\"tagValue\":\"dev\"}]}},\"description\":null,\"x-extra\":[1,2]}}");

        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        JsonNode updated = reply.item();
        JsonNode spec = updated.path("compute").path("launchSpecification");
        assertThat(spec.path("tags")).hasSize(1);
        assertThat(spec.path("tags").get(0).path("tagKey").asText()).isEqualTo("Environment");
        assertThat(spec.path("imageId").asText()).isEqualTo("ami-02354e95b39ca8dec");
        assertThat(spec.path("instanceTypes").path("preferredType").asText()).isEqualTo("t3a.micro");
        assertThat(updated.path("compute").path("vpcId").asText()).isEqualTo("vpc-0123456789abcdef0");
        assertThat(updated.has("description")).isFalse();
        assertThat(updated.path("x-extra")).hasSize(2);
        assertThat(updated.path("createdAt").asText()).isEqualTo(mi.path("createdAt").asText());
        assertThat(updated.path("updatedAt").asText()).isNotEqualTo(mi.path("updatedAt").asText());
        assertThat(client.get(INSTANCES + "/" + id).item()).isEqualTo(updated);

        assertValidationError(client.put(INSTANCES + "/" + id, "{\"managedInstance\":{\"compute\":{\"vpcId\":null}}}"),
                "body:managedInstance.compute.vpcId");
        assertValidationError(client.put(INSTANCES + "/" + id, "{\"compute\":{}}"), "body:managedInstance");
        assertThat(client.get(INSTANCES + "/" + id).item()).isEqualTo(updated);
    }

    @Test
    void deleteAcceptsEmptyObjectAndDeallocationBody() {
        String a = createInstance(client, "a", "t3a.micro").path("id").asText();
        String b = createInstance(client, "b", "t3a.micro").path("id").asText();
        String c = createInstance(client, "c", "t3a.micro").path("id").asText();

        assertThat(client.delete(INSTANCES + "/" + a, "{}").status()).isEqualTo(200);
        assertThat(client.delete(INSTANCES + "/" + b, DEALLOCATION).status()).isEqualTo(200);
        assertThat(client.delete(INSTANCES + "/" + c, null).status()).isEqualTo(200);
        for (String id : new String[] {a, b, c}) {
            assertSpotError(client.get(INSTANCES + "/" + id), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
            assertSpotError(client.get(INSTANCES + "/" + id + "/status"), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
            assertSpotError(client.delete(INSTANCES + "/" + id, "{}"), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        }
        assertThat(client.get(INSTANCES).items()).isEmpty();
    }

    @Test
    void deleteWithNonJsonBodyIsAValidationError() {
        String id = createInstance(client, "a", "t3a.micro").path("id").asText();
        assertValidationError(client.delete(INSTANCES + "/" + id, "<xml/>"), "body");
        assertThat(client.get(INSTANCES + "/" + id).status()).isEqualTo(200);
    }

    /** Contract §9.1: real Spot answers costs of an unknown id with a zero costs item, not "doesn't exist". */
    static void assertZeroCosts(SimClient.Reply r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.item().path("costs").path("actual").decimalValue()).isZero();
        assertThat(r.item().path("costs").path("potential").decimalValue()).isZero();
        assertThat(r.item().path("running").path("value").decimalValue()).isZero();
    }

    @Test
    void everyRouteAnswersDoesntExistForAnUnknownIdButCostsAZeroItem() {
        String unknown = INSTANCES + "/smi-00000000";
        assertSpotError(client.get(unknown), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        assertSpotError(client.put(unknown, "{\"managedInstance\":{\"name\":\"x\"}}"), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        assertSpotError(client.delete(unknown, "{}"), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        assertSpotError(client.get(unknown + "/status"), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        assertZeroCosts(client.get(unknown + "/costs"));
        assertSpotError(client.put(unknown + "/pause", null), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        assertSpotError(client.put(unknown + "/resume", null), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        assertSpotError(client.put(unknown + "/recycle", null), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
    }

    @Test
    void statusAfterCreateIsActiveWithAFakeEc2Instance() {
        JsonNode mi = createInstance(client, "mi", "t3a.micro");
        String id = mi.path("id").asText();
        SimClient.Reply reply = client.get(INSTANCES + "/" + id + "/status");

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:managedInstanceStatus");
        assertThat(reply.json().path("response").path("count").asInt()).isEqualTo(1);
        JsonNode s = reply.item();
        assertThat(s.path("id").asText()).isEqualTo(id);
        assertThat(s.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(s.path("instanceId").asText()).matches("i-[0-9a-f]{17}");
        assertThat(s.path("name").asText()).isEqualTo(s.path("instanceId").asText());
        assertThat(s.path("instanceType").asText()).isEqualTo("t3a.micro");
        assertThat(s.path("imageId").asText()).isEqualTo("ami-02354e95b39ca8dec");
        assertThat(s.path("privateIp").asText()).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
        assertThat(s.path("publicIp").asText()).matches("\\d+\\.\\d+\\.\\d+\\.\\d+");
        assertThat(s.path("createdAt").asText()).isEqualTo(mi.path("createdAt").asText());
        assertThat(s.path("launchedAt").asText()).matches(RESOURCE_TIME);
    }

    @Test
    void pauseResumeRecycleLifecycle() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        String path = INSTANCES + "/" + id;
        String firstEc2 = client.get(path + "/status").item().path("instanceId").asText();

        assertThat(client.put(path + "/pause", null).status()).isEqualTo(200);
        JsonNode paused = client.get(path + "/status").item();
        assertThat(paused.path("status").asText()).isEqualTo("PAUSED");
        assertThat(paused.has("instanceId")).isFalse();
        assertSpotError(client.put(path + "/pause", null), 400, "MANAGED_INSTANCE_ALREADY_PAUSED");
        assertSpotError(client.put(path + "/recycle", null), 400, "MANAGED_INSTANCE_NOT_ACTIVE");

        advanceClock("{\"minutes\": 10}");
        assertThat(client.put(path + "/resume", null).status()).isEqualTo(200);
        JsonNode resumed = client.get(path + "/status").item();
        assertThat(resumed.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(resumed.path("instanceId").asText()).matches("i-[0-9a-f]{17}").isNotEqualTo(firstEc2);
        assertThat(resumed.path("launchedAt").asText()).isNotEqualTo(paused.path("launchedAt").asText());
        assertSpotError(client.put(path + "/resume", null), 400, "MANAGED_INSTANCE_NOT_PAUSED");

        assertThat(client.put(path + "/recycle", null).status()).isEqualTo(200);
        JsonNode recycled = client.get(path + "/status").item();
        assertThat(recycled.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(recycled.path("instanceId").asText()).matches("i-[0-9a-f]{17}")
                .isNotEqualTo(resumed.path("instanceId").asText());
    }

    @Test
    void resumeKeepsThePrivateIpWhenPersisted() {
        String body = instanceBody("mi", "t3.micro").replace("\"persistPrivateIp\": false", "\"persistPrivateIp\": true");
        String id = client.post(INSTANCES, body).item().path("id").asText();
        String ip = client.get(INSTANCES + "/" + id + "/status").item().path("privateIp").asText();

        client.put(INSTANCES + "/" + id + "/pause", null);
        assertThat(client.get(INSTANCES + "/" + id + "/status").item().path("privateIp").asText()).isEqualTo(ip);
        client.put(INSTANCES + "/" + id + "/resume", null);
        assertThat(client.get(INSTANCES + "/" + id + "/status").item().path("privateIp").asText()).isEqualTo(ip);
    }

    @Test
    void recyclePicksUpAChangedInstanceType() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        client.put(INSTANCES + "/" + id, "{\"managedInstance\":{\"compute\":{\"launchSpecification\":"
                + "{\"instanceTypes\":{\"preferredType\":\"m5.large\"}}}}}");
        assertThat(client.get(INSTANCES + "/" + id + "/status").item().path("instanceType").asText()).isEqualTo("t3a.micro");
        client.put(INSTANCES + "/" + id + "/recycle", null);
        assertThat(client.get(INSTANCES + "/" + id + "/status").item().path("instanceType").asText()).isEqualTo("m5.large");
    }
}
