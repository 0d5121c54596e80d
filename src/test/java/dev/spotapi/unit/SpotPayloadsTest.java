package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.spot.SpotPayloads;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

/** What a caller's object looks like when it is sent to Spot. */
class SpotPayloadsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void nullsAreDroppedAtEveryDepth() {
        ObjectNode in = json("""
                {"name": "g", "multai": null,
                 "strategy": {"risk": 100, "onDemandCount": null, "revertToSpot": {"performAt": null, "x": 1}},
                 "scaling": {"up": null, "down": null},
                 "compute": {"launchSpecification": {"tags": [{"tagKey": "a", "tagValue": null}],
                                                     "userData": null}}}""");

        ObjectNode out = SpotPayloads.forSpot(in);

        assertThat(out).isEqualTo(json("""
                {"name": "g",
                 "strategy": {"risk": 100, "revertToSpot": {"x": 1}},
                 "scaling": {},
                 "compute": {"launchSpecification": {"tags": [{"tagKey": "a"}]}}}"""));
    }

    @Test
    void falseZeroEmptyStringAndEmptyObjectsAreKept() {
        ObjectNode in = json("""
                {"monitoring": false, "risk": 0, "description": "", "persistence": {}, "subnetIds": []}""");

        assertThat(SpotPayloads.forSpot(in)).isEqualTo(in);
    }

    @Test
    void readOnlyTopLevelFieldsAreDropped() {
        ObjectNode in = json("""
                {"id": "smi-12345678", "createdAt": "2021-05-10T15:04:05.000Z", "updatedAt": "2021-05-11T09:00:00.000Z",
                 "name": "mi"}""");

        assertThat(SpotPayloads.forSpot(in)).isEqualTo(json("{\"name\": \"mi\"}"));
    }

    @Test
    void nestedFieldsNamedLikeReadOnlyOnesAreKept() {
        ObjectNode in = json("""
                {"compute": {"launchSpecification": {"images": [{"id": "ami-1"}]}},
                 "logging": {"export": {"s3": {"id": "di-1"}}},
                 "scheduling": {"tasks": [{"createdAt": "x"}]}}""");

        assertThat(SpotPayloads.forSpot(in)).isEqualTo(in);
    }

    @Test
    void unknownFieldsAreKept() {
        ObjectNode in = json("""
                {"name": "g", "aBrandNewField": {"deep": {"er": [1, "two", true, {"k": "v"}]}},
                 "compute": {"futureThing": 3.5}}""");

        assertThat(SpotPayloads.forSpot(in)).isEqualTo(in);
    }

    @Test
    void theCallersObjectIsNotChanged() {
        ObjectNode in = json("{\"id\": \"sig-1\", \"a\": null, \"b\": {\"c\": null}}");
        ObjectNode copy = in.deepCopy();

        ObjectNode out = SpotPayloads.forSpot(in);

        assertThat(in).isEqualTo(copy);
        assertThat(out).isNotSameAs(in);
        assertThat(out).isEqualTo(json("{\"b\": {}}"));
    }

    @Test
    void wrapPutsTheObjectUnderTheWrapperKey() {
        ObjectNode group = json("{\"name\": \"g\"}");

        JsonNode wrapped = SpotPayloads.wrap("group", group);

        assertThat(wrapped).isEqualTo(json("{\"group\": {\"name\": \"g\"}}"));
    }
}
