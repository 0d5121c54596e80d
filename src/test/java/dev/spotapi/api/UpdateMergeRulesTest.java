package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/**
 * The merge rules of updates as docs/api.md ("Updates merge") states them, through spot-api to the simulator and read back:
 * objects merge at every depth, arrays and scalars replace, JSON null unsets the field (issue 24: passed on
 * to Spot, as the Go SDK's nullFields do), and is refused where Spot's object cannot lose the field.
 */
class UpdateMergeRulesTest extends ApiTestSupport {

    @Test
    void aGroupUpdateMergesObjectsReplacesArraysAndScalarsAndNullUnsets() {
        String id = createGroup(); // capacity 2/2/4 instance; spot types t3.micro, t3a.micro, t3a.nano, t3.nano
        Reply r = call("PUT", "/main/elastigroups/" + id, TestService.json("""
                {"name": "renamed", "capacity": {"target": 3},
                 "compute": {"instanceTypes": {"spot": ["t3.small"]}, "launchSpecification": {"keyPair": null}}}"""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);

        JsonNode group = get("/main/elastigroups/" + id).json();
        assertThat(group.path("name").asText()).as("scalar replaced").isEqualTo("renamed");
        assertThat(group.path("capacity")).as("object merged").isEqualTo(TestService.json(
                "{\"target\": 3, \"minimum\": 2, \"maximum\": 4, \"unit\": \"instance\"}"));
        assertThat(group.path("compute").path("instanceTypes").path("spot")).as("array replaced")
                .isEqualTo(TestService.json("{\"a\": [\"t3.small\"]}").get("a"));
        assertThat(group.path("compute").path("instanceTypes").path("ondemand").asText()).as("sibling kept")
                .isEqualTo("t3.micro");
        assertThat(group.path("compute").path("launchSpecification").has("keyPair")).as("null unsets").isFalse();
        assertThat(group.path("compute").path("launchSpecification").path("imageId").isTextual()).as("sibling kept").isTrue();

        Reply refused = call("PUT", "/main/elastigroups/" + id, TestService.json("{\"capacity\": {\"maximum\": null}}"));
        assertThat(refused.status()).as(refused.body()).isEqualTo(400);
        assertThat(refused.json().path("message").asText()).contains("capacity.maximum cannot be null");
        assertThat(get("/main/elastigroups/" + id).json().path("capacity").path("maximum").asInt()).isEqualTo(4);
    }

    @Test
    void anInstanceUpdateReplacesTheTagListAndNullUnsets() {
        String id = createInstance(); // tags: CreatedBy=me; description set
        Reply r = call("PUT", "/main/instances/" + id, TestService.json("""
                {"description": null, "compute": {"launchSpecification": {"tags": [{"tagKey": "Environment", "tagValue": "dev"}]}}}"""));
        assertThat(r.status()).as(r.body()).isEqualTo(200);

        JsonNode stored = storedInstance(id);
        // arrays replace; org isolation puts this org's spinup:org tag back into the new list, and the server's own
        // tags (here the create's spot-api:correlation) are kept (ServerTags)
        java.util.List<JsonNode> tags = new java.util.ArrayList<>();
        stored.path("compute").path("launchSpecification").path("tags").forEach(tags::add);
        assertThat(tags).as("the create's correlation tag, kept").anySatisfy(t -> assertThat(t.path("tagKey").asText())
                .isEqualTo("spot-api:correlation"));
        tags.removeIf(t -> t.path("tagKey").asText().equals("spot-api:correlation"));
        assertThat(tags).as("the new list, CreatedBy gone")
                .containsExactlyInAnyOrder(
                        TestService.json("{\"tagKey\": \"Environment\", \"tagValue\": \"dev\"}"),
                        TestService.json("{\"tagKey\": \"spinup:org\", \"tagValue\": \"" + TestService.ORG + "\"}"));
        assertThat(stored.path("compute").path("launchSpecification").path("imageId").asText()).as("sibling kept")
                .isEqualTo("ami-02354e95b39ca8dec");
        assertThat(stored.has("description")).as("null unsets").isFalse();
    }
}
