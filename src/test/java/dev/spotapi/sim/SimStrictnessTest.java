package dev.spotapi.sim;

import dev.spotapi.sim.state.FieldTable;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 24: where the simulator was kinder than Spot. A managed instance's {@code compute.product} is
 * immutable (Terraform refuses the update), {@code 2.0} is a whole number everywhere (capacity
 * included) and comes back as {@code 2}, and every enum of the field tables (the OpenAPI file's enums
 * that Terraform's documentation lists the same) is enforced on create and update, its values accepted.
 */
class SimStrictnessTest extends SimTestBase {

    @Test
    void aManagedInstancesProductCannotChange() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        SimClient.Reply changed = client.put(INSTANCES + "/" + id,
                "{\"managedInstance\": {\"compute\": {\"product\": \"Windows\"}}}");
        assertValidationError(changed, "body:managedInstance.compute.product");
        assertThat(changed.error().path("message").asText()).isEqualTo("\"product\" cannot be changed (was \"Linux/UNIX\")");
        assertValidationError(client.put(INSTANCES + "/" + id, "{\"managedInstance\": {\"compute\": {\"product\": null}}}"),
                "body:managedInstance.compute.product");
        assertThat(client.get(INSTANCES + "/" + id).item().path("compute").path("product").asText()).isEqualTo("Linux/UNIX");
        SimClient.Reply same = client.put(INSTANCES + "/" + id,
                "{\"managedInstance\": {\"compute\": {\"product\": \"Linux/UNIX\"}, \"description\": \"d\"}}");
        assertThat(same.status()).as(same.toString()).isEqualTo(200);
    }

    @Test
    void wholeNumbersWrittenWithAFractionAreIntegersEverywhere() {
        SimClient.Reply created = client.post(GROUPS, groupBody("g", 1, 1, 2)
                .replace("\"minimum\": 1, \"target\": 1, \"maximum\": 2", "\"minimum\": 1.0, \"target\": 2.00, \"maximum\": 3.0"));
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        JsonNode capacity = created.item().path("capacity");
        assertThat(capacity.toString()).isEqualTo("{\"minimum\":1,\"target\":2,\"maximum\":3,\"unit\":\"instance\"}");
        String id = created.item().path("id").asText();
        SimClient.Reply updated = client.put(GROUPS + "/" + id,
                "{\"group\": {\"capacity\": {\"target\": 3.0}, \"strategy\": {\"drainingTimeout\": 120.0}}}");
        assertThat(updated.status()).as(updated.toString()).isEqualTo(200);
        assertThat(updated.item().path("capacity").path("target").isIntegralNumber()).isTrue();
        assertThat(updated.item().path("strategy").path("drainingTimeout").toString()).isEqualTo("120");
        SimClient.Reply capacityCall = client.put(GROUPS + "/" + id + "/capacity",
                "{\"capacity\": {\"minimum\": 0.0, \"target\": 1.0}}");
        assertThat(capacityCall.status()).as(capacityCall.toString()).isEqualTo(200);
        assertThat(capacityCall.item().toString()).contains("\"minimum\":0", "\"target\":1").doesNotContain(".0");
        assertThat(GoStructs.problems("Group", client.get(GROUPS + "/" + id).item())).isEmpty();
        assertValidationError(client.put(GROUPS + "/" + id + "/capacity", "{\"capacity\": {\"target\": 1.5}}"),
                "body:capacity.target");
        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\": {\"capacity\": {\"target\": 2.5}}}"),
                "body:group.capacity.target");
    }

    /** The Go SDK types the scaling actions' numbers {@code *string}: an integer sent is returned as its string. */
    @Test
    void scalingActionNumbersComeBackAsTheStringsTheGoSdkDecodes() {
        SimClient.Reply created = client.post(GROUPS, groupBody("g", 1, 1, 2).replace("\"compute\":",
                "\"scaling\": {\"up\": [{\"policyName\": \"p\", \"metricName\": \"CPU\", \"namespace\": \"AWS/EC2\","
                        + " \"action\": {\"type\": \"adjustment\", \"adjustment\": 2, \"minTargetCapacity\": \"3\"}}]},"
                        + " \"compute\":"));
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        JsonNode action = created.item().path("scaling").path("up").path(0).path("action");
        assertThat(action.path("adjustment").isTextual()).isTrue();
        assertThat(action.path("adjustment").asText()).isEqualTo("2");
        assertThat(action.path("minTargetCapacity").asText()).isEqualTo("3");
        assertThat(GoStructs.problems("Group", client.get(GROUPS + "/" + created.item().path("id").asText()).item())).isEmpty();
    }

    @Test
    void theGroupsRevertToSpotIsCheckedAsTheManagedInstancesIs() {
        SimClient.Reply reply = client.post(GROUPS, groupBody("g", 1, 1, 2)
                .replace("\"fallbackToOd\": true", "\"fallbackToOd\": true, \"revertToSpot\": {\"performAt\": \"sometimes\"}"));
        assertValidationError(reply, "body:group.strategy.revertToSpot.performAt");
        assertThat(reply.error().path("message").asText()).isEqualTo("\"performAt\" must be one of [never, always, timeWindow]");
    }

    /** Every enum leaf of both field tables: a value outside it is refused naming the field; each value in it passes. */
    @Test
    void everyEnumOfTheFieldTablesIsEnforcedAndItsValuesAccepted() {
        List<String> checked = new ArrayList<>();
        for (String wrapper : List.of("group", "managedInstance")) {
            List<Map.Entry<List<String>, List<String>>> enums = new ArrayList<>();
            collectEnums(table(wrapper), new ArrayList<>(), enums);
            for (Map.Entry<List<String>, List<String>> e : enums) {
                List<String> path = e.getKey();
                String field = "body:" + wrapper + "." + String.join(".", path);
                SimClient.Reply bad = create(wrapper, path, "not-one-of-them");
                assertValidationError(bad, field);
                assertThat(bad.error().path("message").asText()).as(field)
                        .isEqualTo("\"" + path.get(path.size() - 1) + "\" must be one of [" + String.join(", ", e.getValue()) + "]");
                for (String allowed : e.getValue()) {
                    SimClient.Reply ok = create(wrapper, path, allowed);
                    assertThat(ok.status()).as(field + " = " + allowed + ": " + ok).isEqualTo(200);
                }
                checked.add(field);
            }
            client.admin("POST", "/_sim/reset", null);
        }
        // the ones issue 24 found unenforced, among them
        assertThat(checked).contains("body:group.strategy.revertToSpot.performAt",
                "body:group.strategy.persistence.blockDevicesMode", "body:group.scaling.up.0.operator",
                "body:group.scaling.down.0.statistic", "body:group.scheduling.tasks.0.frequency",
                "body:managedInstance.scheduling.tasks.0.taskType",
                "body:managedInstance.compute.launchSpecification.metadataOptions.instanceMetadataTags");
        assertThat(checked).hasSizeGreaterThanOrEqualTo(20);
    }

    private static SimClient.Reply create(String wrapper, List<String> path, String value) {
        String base = wrapper.equals("group") ? groupBody("g", 0, 0, 1) : instanceBody("mi", "t3a.micro");
        ObjectNode root = (ObjectNode) read(base);
        JsonNode node = root.get(wrapper);
        for (int i = 0; i < path.size() - 1; i++) {
            String part = path.get(i);
            String next = path.get(i + 1);
            JsonNode child = node.isArray() ? node.get(0) : node.get(part);
            if (child == null || child.isNull()) {
                boolean array = next.equals("0");
                child = node.isArray() ? ((ArrayNode) node).addObject()
                        : array ? ((ObjectNode) node).putArray(part) : ((ObjectNode) node).putObject(part);
            } else if (child.isArray() && !next.equals("0")) {
                throw new IllegalStateException("unexpected array at " + part);
            }
            node = child;
        }
        String leaf = path.get(path.size() - 1);
        if (node.isArray()) {
            ((ArrayNode) node).removeAll().add(TextNode.valueOf(value));
        } else {
            ((ObjectNode) node).put(leaf, value);
        }
        return client.post(wrapper.equals("group") ? GROUPS : INSTANCES, root.toString());
    }

    private static void collectEnums(JsonNode spec, List<String> path, List<Map.Entry<List<String>, List<String>>> out) {
        if (spec.isObject()) {
            spec.properties().forEach(f -> {
                path.add(f.getKey());
                collectEnums(f.getValue(), path, out);
                path.remove(path.size() - 1);
            });
        } else if (spec.isArray()) {
            path.add("0");
            collectEnums(spec.get(0), path, out);
            path.remove(path.size() - 1);
        } else if (spec.asText().startsWith("string:")) {
            out.add(Map.entry(List.copyOf(path), List.of(spec.asText().substring("string:".length()).split("\\|"))));
        }
    }

    private static JsonNode table(String wrapper) {
        try (InputStream in = FieldTable.class.getResourceAsStream("/dev/spotapi/sim/" + wrapper + "-fields.json")) {
            return SimClient.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode read(String json) {
        try {
            return SimClient.JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
