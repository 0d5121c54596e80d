package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** /{account}/instances, /{account}/instances/{instance} and its /status. */
class InstanceApiTest extends ApiTestSupport {
    private static final JsonNode DELETE_BODY = TestService.json("""
            {"deallocationConfig":{"shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":true,
            "shouldDeleteSnapshots":true,"shouldDeleteVolumes":true,"shouldTerminateInstance":true},
            "amiBackup":{"shouldDeleteImages":true}}""");
    private static final DateTimeFormatter SUMMARY_DATE =
            DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss").withZone(ZoneOffset.UTC);

    @Test
    void listIsAnArrayOfIdObjects() {
        Reply empty = get("/main/instances");
        assertThat(empty.status()).isEqualTo(200);
        assertThat(empty.json().isArray()).isTrue();
        assertThat(empty.json()).isEmpty();

        String a = createInstance();
        String b = createInstance();

        Reply r = get("/main/instances");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        List<String> ids = new ArrayList<>();
        for (JsonNode item : r.json()) {
            assertThat(item.isObject()).as(r.body()).isTrue();
            assertThat(item.size()).as("only an id in each item: %s", item).isEqualTo(1);
            ids.add(item.path("id").asText());
        }
        assertThat(ids).containsExactlyInAnyOrder(a, b);
    }

    @Test
    void createAnswersTheNewIdAsAJsonString() {
        Reply r = call("POST", "/main/instances", instanceBody());

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.body()).matches("\"" + INSTANCE_ID_PATTERN + "\"");
        String id = r.json().asText();
        JsonNode stored = storedInstance(id);
        assertThat(stored.path("name").asText()).isEqualTo("mi-test");

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/managedInstance");
        assertThat(sent.path("body").has("managedInstance")).as("wrapped: %s", sent.path("body")).isTrue();
        assertThat(sent.path("query").asText()).contains("accountId=" + MAIN_ID);
    }

    @Test
    void createWithoutVpcUsesTheAccountsDefaultVpc() {
        String id = createInstance(instanceBodyWithoutVpc());

        assertThat(storedInstance(id).path("compute").path("vpcId").asText()).isEqualTo(TestService.DEFAULT_VPC);
        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/managedInstance");
        assertThat(sent.path("body").path("managedInstance").path("compute").path("vpcId").asText())
                .isEqualTo(TestService.DEFAULT_VPC);
    }

    @Test
    void createWithANullVpcUsesTheDefaultVpc() {
        ObjectNode nul = instanceBody();
        ((ObjectNode) nul.get("compute")).putNull("vpcId");

        assertThat(storedInstance(createInstance(nul)).path("compute").path("vpcId").asText())
                .isEqualTo(TestService.DEFAULT_VPC);
    }

    @Test
    void createWithAnExplicitVpcKeepsIt() {
        String id = createInstance(instanceBody());

        assertThat(storedInstance(id).path("compute").path("vpcId").asText()).isEqualTo("vpc-0123456789abcdef0");
    }

    @Test
    void createWithoutVpcInAnAccountWithoutDefaultVpcIsSpotsValidationError() {
        Reply r = call("POST", "/other/instances", instanceBodyWithoutVpc());

        String message = assertError(r, 400);
        assertThat(message).startsWith("failed to create managed instance in account 'other': ").contains("vpcId");
        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/managedInstance");
        assertThat(sent.path("query").asText()).contains("accountId=" + TestService.OTHER_ID);
        assertThat(sent.path("body").path("managedInstance").path("compute").has("vpcId")).isFalse();
    }

    @Test
    void createMissingRequiredFieldsIsSpotsValidationError() {
        ObjectNode bad = instanceBody();
        ((ObjectNode) bad.get("compute")).remove("subnetIds");
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("managedInstance", bad.deepCopy());
        Reply direct = svc.sim("POST", "/aws/ec2/managedInstance?accountId=" + MAIN_ID, wrapped);
        assertThat(direct.status()).isEqualTo(400);
        String spotMessage = direct.json().path("response").path("errors").path(0).path("message").asText();

        Reply r = call("POST", "/main/instances", bad);

        assertThat(assertError(r, 400)).isEqualTo("failed to create managed instance in account 'main': " + spotMessage);
    }

    @Test
    void summaryHasTheOldServicesShape() {
        ObjectNode body = instanceBody();
        ArrayNode tags = (ArrayNode) body.path("compute").path("launchSpecification").path("tags");
        tags.addObject().put("tagKey", "Name").put("tagValue", "a-stale-name-tag");
        tags.addObject().put("tagKey", "Environment").put("tagValue", "dev");
        tags.addObject().put("tagKey", "spinup:org").put("tagValue", "someone-else");
        tags.addObject().put("tagKey", "Owner").put("tagValue", "team-a");
        String id = createInstance(body);
        JsonNode stored = storedInstance(id);

        Reply r = get("/main/instances/" + id);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode s = r.json();
        List<String> keys = new ArrayList<>();
        s.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactlyInAnyOrder("id", "created_at", "modified_at", "name", "type", "state", "tags");
        assertThat(s.path("id").asText()).isEqualTo(id);
        assertThat(s.path("created_at").asText()).matches("\\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}")
                .isEqualTo(SUMMARY_DATE.format(Instant.parse(stored.path("createdAt").asText())));
        assertThat(s.path("modified_at").asText())
                .isEqualTo(SUMMARY_DATE.format(Instant.parse(stored.path("updatedAt").asText())));
        assertThat(s.path("name").asText()).isEqualTo("mi-test");
        assertThat(s.path("type").asText()).isEqualTo("t3a.micro");
        assertThat(s.path("state").asText()).isEqualTo("ACTIVE");
        assertThat(s.path("tags")).isEqualTo(TestService.JSON.valueToTree(List.of(
                java.util.Map.of("CreatedBy", "me"),
                java.util.Map.of("Environment", "dev"),
                java.util.Map.of("Owner", "team-a"),
                java.util.Map.of("Name", "mi-test"),
                java.util.Map.of("spinup:org", TestService.ORG))));
    }

    @Test
    void summaryStateIsPausedAfterPausing() {
        String id = createInstance();
        Reply pause = svc.sim("PUT", "/aws/ec2/managedInstance/" + id + "/pause?accountId=" + MAIN_ID, null);
        assertThat(pause.status()).as(pause.body()).isEqualTo(200);

        Reply r = get("/main/instances/" + id);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("state").asText()).isEqualTo("PAUSED");
    }

    @Test
    void summaryWithoutTagsStillEndsWithNameAndOrg() {
        ObjectNode body = instanceBody();
        ((ObjectNode) body.path("compute").path("launchSpecification")).remove("tags");
        ((ObjectNode) body.path("compute").path("launchSpecification")).remove("instanceTypes");
        String id = createInstance(body);

        JsonNode s = get("/main/instances/" + id).json();

        assertThat(s.has("type")).as("type omitted without a preferred type: %s", s).isFalse();
        assertThat(s.path("tags")).isEqualTo(TestService.json(
                "{\"t\":[{\"Name\":\"mi-test\"},{\"spinup:org\":\"" + TestService.ORG + "\"}]}").get("t"));
    }

    @Test
    void updateMergesPartiallyAndThePathIdWins() {
        String id = createInstance();
        String otherId = createInstance();
        ObjectNode partial = TestService.json("""
                {"id": "%s", "compute": {"launchSpecification": {"tags": [{"tagKey": "Environment", "tagValue": "dev"}]}}}"""
                .formatted(otherId));

        Reply r = call("PUT", "/main/instances/" + id, partial);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode updated = r.json();
        assertThat(updated.path("id").asText()).isEqualTo(id);
        assertThat(updated.path("name").asText()).as("the reply is the whole Spot object").isEqualTo("mi-test");
        assertThat(updated.path("compute").path("launchSpecification").path("tags").path(0).path("tagKey").asText())
                .isEqualTo("Environment");
        JsonNode sent = onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id);
        assertThat(sent.path("body").path("managedInstance").has("id")).isFalse();

        JsonNode s = get("/main/instances/" + id).json();
        assertThat(s.path("tags").path(0).path("Environment").asText()).isEqualTo("dev");
        assertThat(s.path("type").asText()).as("untouched fields kept").isEqualTo("t3a.micro");
        assertThat(storedInstance(otherId).path("compute").path("launchSpecification").path("tags").path(0)
                .path("tagKey").asText()).isEqualTo("CreatedBy");
    }

    @Test
    void spotValidationErrorOnUpdateIs400() {
        String id = createInstance();
        ObjectNode bad = TestService.json("{\"compute\": {\"subnetIds\": []}}");

        String message = assertError(call("PUT", "/main/instances/" + id, bad), 400);

        assertThat(message).startsWith("failed to update managed instance in account 'main': ").contains("subnetIds");
    }

    @Test
    void deleteAnswersOkAndAsksToTerminateAndDeleteEverything() {
        String id = createInstance();

        Reply r = call("DELETE", "/main/instances/" + id, null);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("OK");
        JsonNode sent = onlySpotRequest("DELETE", "/aws/ec2/managedInstance/" + id);
        assertThat(sent.path("body")).isEqualTo(DELETE_BODY);
        assertError(get("/main/instances/" + id), 404);
        assertError(get("/main/instances/" + id + "/status"), 404);
    }

    @Test
    void statusIsSpotsStatusObject() {
        String id = createInstance();

        Reply r = get("/main/instances/" + id + "/status");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode st = r.json();
        assertThat(st.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(st.path("instanceId").asText()).startsWith("i-");
        assertThat(st.path("id").asText()).isEqualTo(id);
        assertThat(st.path("instanceType").asText()).isEqualTo("t3a.micro");
    }

    @Test
    void unknownAccountIs404OnEveryInstanceRoute() {
        String id = createInstance();
        clearSpotRequests();

        assertThat(assertError(get("/nope/instances"), 404)).contains("account");
        assertError(call("POST", "/nope/instances", instanceBody()), 404);
        assertError(get("/nope/instances/" + id), 404);
        assertError(call("PUT", "/nope/instances/" + id, TestService.json("{\"description\":\"x\"}")), 404);
        assertError(call("DELETE", "/nope/instances/" + id, null), 404);
        assertError(get("/nope/instances/" + id + "/costs"), 404);
        assertError(get("/nope/instances/" + id + "/status"), 404);

        assertThat(allSpotRequests()).as("nothing reaches Spot for an unknown account").isEmpty();
    }

    @Test
    void unknownInstanceIs404OnEveryInstanceRoute() {
        String missing = "smi-00000000";

        assertThat(assertError(get("/main/instances/" + missing), 404)).contains(missing);
        assertThat(assertError(call("PUT", "/main/instances/" + missing,
                TestService.json("{\"description\":\"x\"}")), 404)).contains(missing);
        assertThat(assertError(call("DELETE", "/main/instances/" + missing, null), 404)).contains(missing);
        assertThat(assertError(get("/main/instances/" + missing + "/costs"), 404)).contains(missing);
        assertThat(assertError(get("/main/instances/" + missing + "/costs?start=2024-01-01&end=2024-02-01"), 404))
                .contains(missing);
        assertThat(assertError(get("/main/instances/" + missing + "/status"), 404)).contains(missing);
    }

    @Test
    void anInstanceOfAnotherAccountIs404() {
        String id = createInstance();

        assertError(get("/other/instances/" + id), 404);
        assertError(get("/other/instances/" + id + "/status"), 404);
    }

    @Test
    void somethingThatIsNotAnInstanceIdIs404WithoutCallingSpot() {
        assertError(get("/main/instances/not-an-instance"), 404);
        assertError(get("/main/instances/sig-12345678/status"), 404);
        assertError(get("/main/instances/x/costs"), 404);

        assertThat(allSpotRequests()).isEmpty();
    }
}
