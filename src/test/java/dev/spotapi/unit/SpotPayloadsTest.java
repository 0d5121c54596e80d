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

    @Test
    void aWriteIsRefusedForTagsOnlyWhenItAddsPastTheLimit() {
        assertThat(SpotPayloads.tooManyTags("create managed instance", 0, 50)).isNull();
        assertThat(SpotPayloads.tooManyTags("create managed instance", 0, 51).getMessage())
                .contains("at most 50 tags").contains("would leave 51");
        assertThat(SpotPayloads.tooManyTags("merge instance tags", 52, 52)).as("a value change").isNull();
        assertThat(SpotPayloads.tooManyTags("merge instance tags", 52, 51)).as("a removal").isNull();
        assertThat(SpotPayloads.tooManyTags("merge instance tags", 52, 53).getMessage()).contains("it has 52");
        assertThat(SpotPayloads.tooManyTags("merge instance tags", 50, 51).kind())
                .isEqualTo(dev.spotapi.spot.SpotException.Kind.REJECTED);
        assertThat(SpotPayloads.tagCount(SpotPayloads.forSpot(json(
                "{\"compute\":{\"launchSpecification\":{\"tags\":[{\"tagKey\":\"a\",\"tagValue\":\"b\"}]}}}"))))
                .isEqualTo(1);
        assertThat(SpotPayloads.tagCount(json("{\"compute\":{}}"))).isZero();
    }
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

    /**
     * Issue 24: an update's nulls unset fields at Spot (the Go SDK's nullFields), so they go out as sent;
     * a retired field's null ({@code multai}) and nulls inside array elements (the array is replaced whole)
     * are left out, as are read-only fields.
     */
    @Test
    void anUpdateKeepsTheNullsOfSpotsFields() {
        ObjectNode in = json("""
                {"id": "sig-12345678", "name": "g", "multai": null,
                 "strategy": {"risk": 100, "onDemandCount": null, "revertToSpot": {"performAt": null}},
                 "scaling": {"up": null, "down": null},
                 "compute": {"launchSpecification": {"tags": [{"tagKey": "a", "tagValue": null}],
                                                     "userData": null}}}""");

        ObjectNode out = SpotPayloads.forSpotUpdate(in, dev.spotapi.spot.SpotSchema.GROUP);

        assertThat(out).isEqualTo(json("""
                {"name": "g",
                 "strategy": {"risk": 100, "onDemandCount": null, "revertToSpot": {"performAt": null}},
                 "scaling": {"up": null, "down": null},
                 "compute": {"launchSpecification": {"tags": [{"tagKey": "a"}], "userData": null}}}"""));
        assertThat(in.path("strategy").has("onDemandCount")).as("the caller's object is untouched").isTrue();
        assertThat(SpotPayloads.forSpotUpdate(in, null)).isEqualTo(SpotPayloads.forSpot(in));
    }

    /** Issue 24: {@code tags: null} would unset every tag at Spot, ours included: it becomes just ours. */
    @Test
    void anUpdateThatUnsetsTheTagsKeepsTheOrgTag() {
        dev.spotapi.org.Ownership ownership = new dev.spotapi.org.Ownership("org-a", true);
        ObjectNode out = ownership.forUpdate(json("{\"compute\": {\"launchSpecification\": {\"tags\": null}}}"));
        assertThat(out).isEqualTo(json("""
                {"compute": {"launchSpecification": {"tags": [{"tagKey": "spinup:org", "tagValue": "org-a"}]}}}"""));
        ObjectNode untouched = json("{\"strategy\": {\"onDemandCount\": null}}");
        assertThat(ownership.forUpdate(untouched)).isEqualTo(untouched);
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
