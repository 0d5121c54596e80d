package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** /{account}/elastigroups and /{account}/elastigroups/{elastigroup}. */
class ElastigroupApiTest extends ApiTestSupport {
    private static final JsonNode DELETE_BODY = TestService.json("""
            {"statefulDeallocation":{"shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":true,
            "shouldDeleteVolumes":true,"shouldDeleteSnapshots":true}}""");

    @Test
    void listIsAJsonArrayOfIdStrings() {
        Reply empty = get("/main/elastigroups");
        assertThat(empty.status()).isEqualTo(200);
        assertThat(empty.header("Content-Type")).startsWith("application/json");
        assertThat(empty.json().isArray()).isTrue();
        assertThat(empty.json()).isEmpty();

        String a = createGroup();
        String b = createGroup();

        Reply r = get("/main/elastigroups");
        assertThat(r.status()).isEqualTo(200);
        JsonNode list = r.json();
        assertThat(list.isArray()).as(r.body()).isTrue();
        List<String> ids = new ArrayList<>();
        for (JsonNode item : list) {
            assertThat(item.isTextual()).as("each item is an id string: %s", r.body()).isTrue();
            ids.add(item.asText());
        }
        assertThat(ids).containsExactlyInAnyOrder(a, b);
    }

    @Test
    void listIsPerAccount() {
        String mine = createGroup();

        Reply other = get("/other/elastigroups");

        assertThat(other.status()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        other.json().forEach(n -> ids.add(n.asText()));
        assertThat(ids).doesNotContain(mine);
    }

    @Test
    void createReturnsTheCreatedGroup() {
        Reply r = call("POST", "/main/elastigroups", groupBody());

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode g = r.json();
        assertThat(g.path("id").asText()).matches(GROUP_ID_PATTERN);
        assertThat(g.path("name").asText()).isEqualTo("test202018");
        assertThat(g.path("capacity").path("target").asInt()).isEqualTo(2);
        assertThat(g.path("region").asText()).isEqualTo("us-east-1");
        assertThat(storedGroup(g.path("id").asText()).path("name").asText()).isEqualTo("test202018");

        JsonNode sent = onlySpotRequest("POST", "/aws/ec2/group");
        assertThat(sent.path("query").asText()).contains("accountId=" + MAIN_ID);
        assertThat(sent.path("headers").path("authorization").asText()).startsWith("Bearer ");
        assertThat(sent.path("body").has("group")).as("body wrapped in group: %s", sent).isTrue();
    }

    @Test
    void getReturnsTheSpotGroup() {
        String id = createGroup();

        Reply r = get("/main/elastigroups/" + id);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode g = r.json();
        assertThat(g.path("id").asText()).isEqualTo(id);
        assertThat(g.path("name").asText()).isEqualTo("test202018");
        assertThat(g.path("compute").path("instanceTypes").path("ondemand").asText()).isEqualTo("t3.micro");
    }

    @Test
    void updateMergesPartiallyAndThePathIdWins() {
        String id = createGroup();
        String otherId = createGroup();
        ObjectNode partial = TestService.json("""
                {"id": "%s", "description": "updated", "capacity": {"target": 3, "minimum": 2, "maximum": 4},
                 "compute": {"instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro", "t3a.micro", "t3a.nano", "t3.nano"]},
                 "launchSpecification": {"tags": [{"tagKey": "food", "tagValue": "good"}]}}}""".formatted(otherId));

        Reply r = call("PUT", "/main/elastigroups/" + id, partial);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("id").asText()).isEqualTo(id);
        assertThat(r.json().path("capacity").path("target").asInt()).isEqualTo(3);

        JsonNode sent = onlySpotRequest("PUT", "/aws/ec2/group/" + id);
        assertThat(sent.path("body").path("group").has("id")).as("no id in the body: %s", sent.path("body")).isFalse();
        assertThat(spotRequests("PUT", "/aws/ec2/group/" + otherId)).isEmpty();

        JsonNode g = get("/main/elastigroups/" + id).json();
        assertThat(g.path("description").asText()).isEqualTo("updated");
        assertThat(g.path("capacity").path("target").asInt()).isEqualTo(3);
        assertThat(g.path("capacity").path("unit").asText()).as("untouched nested field kept").isEqualTo("instance");
        assertThat(g.path("name").asText()).as("untouched field kept").isEqualTo("test202018");
        assertThat(g.path("compute").path("launchSpecification").path("imageId").asText())
                .isEqualTo("ami-00000000000000000");
        assertThat(g.path("compute").path("launchSpecification").path("tags").path(0).path("tagKey").asText())
                .isEqualTo("food");
        JsonNode untouched = get("/main/elastigroups/" + otherId).json();
        assertThat(untouched.path("capacity").path("target").asInt()).isEqualTo(2);
        assertThat(untouched.has("description")).isFalse();
    }

    @Test
    void deleteAnswersOkAndAsksForStatefulDeallocation() {
        String id = createGroup();

        Reply r = call("DELETE", "/main/elastigroups/" + id, null);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("OK");
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        JsonNode sent = onlySpotRequest("DELETE", "/aws/ec2/group/" + id);
        assertThat(sent.path("body")).isEqualTo(DELETE_BODY);
        assertThat(sent.path("query").asText()).contains("accountId=" + MAIN_ID);

        assertError(get("/main/elastigroups/" + id), 404);
    }

    @Test
    void unknownAccountIs404OnEveryGroupRoute() {
        String id = createGroup();
        clearSpotRequests();

        assertThat(assertError(get("/nope/elastigroups"), 404)).contains("account");
        assertError(call("POST", "/nope/elastigroups", groupBody()), 404);
        assertError(get("/nope/elastigroups/" + id), 404);
        assertError(call("PUT", "/nope/elastigroups/" + id, TestService.json("{\"description\":\"x\"}")), 404);
        assertError(call("DELETE", "/nope/elastigroups/" + id, null), 404);

        assertThat(allSpotRequests()).as("nothing reaches Spot for an unknown account").isEmpty();
        assertThat(storedGroup(id).path("id").asText()).isEqualTo(id);
    }

    @Test
    void unknownGroupIs404OnGetUpdateAndDelete() {
        String missing = "sig-00000000";

        assertThat(assertError(get("/main/elastigroups/" + missing), 404)).contains(missing);
        assertThat(assertError(call("PUT", "/main/elastigroups/" + missing,
                TestService.json("{\"description\":\"x\"}")), 404)).contains(missing);
        assertThat(assertError(call("DELETE", "/main/elastigroups/" + missing, null), 404)).contains(missing);
    }

    @Test
    void aGroupOfAnotherAccountIs404() {
        String id = createGroup();

        assertError(get("/other/elastigroups/" + id), 404);
    }

    @Test
    void somethingThatIsNotAGroupIdIs404WithoutCallingSpot() {
        assertError(get("/main/elastigroups/not-a-group"), 404);
        assertError(get("/main/elastigroups/smi-12345678"), 404);

        assertThat(allSpotRequests()).isEmpty();
    }

    @Test
    void spotValidationErrorOnCreateIs400WithSpotsMessage() {
        ObjectNode bad = groupBody();
        ((ObjectNode) bad.get("capacity")).put("minimum", 5).put("maximum", 2).put("target", 2);
        String spotMessage = spotErrorMessage("POST", "/aws/ec2/group", bad);

        Reply r = call("POST", "/main/elastigroups", bad);

        assertThat(assertError(r, 400)).isEqualTo("failed to create elastigroup in account 'main': " + spotMessage);
    }

    @Test
    void spotValidationErrorOnUpdateIs400WithSpotsMessage() {
        String id = createGroup();
        ObjectNode bad = TestService.json("{\"capacity\": {\"minimum\": 5, \"maximum\": 2, \"target\": 2}}");

        Reply r = call("PUT", "/main/elastigroups/" + id, bad);

        String message = assertError(r, 400);
        assertThat(message).startsWith("failed to update elastigroup in account 'main': ").contains("minimum");
        assertThat(storedGroup(id).path("capacity").path("minimum").asInt()).as("nothing changed").isEqualTo(2);
    }

    /** What the simulator itself answers to this (invalid) group body: errors[0].message. */
    private String spotErrorMessage(String method, String path, ObjectNode group) {
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("group", group.deepCopy());
        // the simulator never stores an invalid body, so asking it directly has no side effect
        Reply direct = svc.sim(method, path + "?accountId=" + MAIN_ID, wrapped);
        assertThat(direct.status()).as(direct.body()).isEqualTo(400);
        JsonNode error = direct.json().path("response").path("errors").path(0);
        assertThat(error.path("code").asText()).isEqualTo("ValidationError");
        return error.path("message").asText();
    }
}
