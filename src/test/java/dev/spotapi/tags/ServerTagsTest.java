package dev.spotapi.tags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.spot.SpotException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The server's tags through an update that replaces the tag array: the rules of the tag route (attack round 6). */
class ServerTagsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode STORED = json("{\"compute\":{\"launchSpecification\":{\"tags\":["
            + "{\"tagKey\":\"team\",\"tagValue\":\"red\"},{\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"space-a\"},"
            + "{\"tagKey\":\"spot-api:stopped-capacity\",\"tagValue\":\"minimum=1 maximum=3 target=2\"},"
            + "{\"tagKey\":\"spinup:org\",\"tagValue\":\"alpha\"}]}}}");

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static ObjectNode update(String tags) {
        return json("{\"compute\":{\"launchSpecification\":{\"tags\":" + tags + "}}}");
    }

    private static Map<String, String> tags(JsonNode body) {
        Map<String, String> out = new LinkedHashMap<>();
        body.path("compute").path("launchSpecification").path("tags")
                .forEach(t -> out.put(t.path("tagKey").asText(), t.path("tagValue").asText()));
        return out;
    }

    private static ObjectNode keep(ObjectNode partial, JsonNode stored) {
        return ServerTags.keep(partial, stored, "elastigroup", "sig-1", "update elastigroup");
    }

    @Test
    void theServersTagsAnUpdateLeavesOutAreKept() {
        ObjectNode kept = keep(update("[{\"tagKey\":\"team\",\"tagValue\":\"blue\"}]"), STORED);
        assertThat(tags(kept)).containsExactly(Map.entry("team", "blue"), Map.entry("spinup:spaceid", "space-a"),
                Map.entry("spot-api:stopped-capacity", "minimum=1 maximum=3 target=2"));
        assertThat(tags(keep(update("null"), STORED))).containsOnlyKeys("spinup:spaceid", "spot-api:stopped-capacity");
    }

    @Test
    void theStoredTagsSentBackUnchangedAreAccepted() {
        ObjectNode sameAgain = update(STORED.path("compute").path("launchSpecification").path("tags").toString());
        assertThat(tags(keep(sameAgain, STORED))).isEqualTo(tags(STORED));
    }

    @Test
    void aChangedOrForgedServerTagIsRefused() {
        assertThatThrownBy(() -> keep(update("[{\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"space-b\"}]"), STORED))
                .isInstanceOfSatisfying(SpotException.class, e -> assertThat(e.kind()).isEqualTo(SpotException.Kind.REJECTED))
                .hasMessageContaining("already has a space");
        JsonNode running = json("{\"compute\":{\"launchSpecification\":{\"tags\":[]}}}");
        assertThatThrownBy(() -> keep(update("[{\"tagKey\":\"spot-api:stopped-capacity\",\"tagValue\":\"minimum=0 maximum=9 target=9\"}]"),
                running)).isInstanceOf(SpotException.class).hasMessageContaining("spot-api:stopped-capacity");
        assertThatThrownBy(() -> keep(update("[{\"tagKey\":\"spinup:other\",\"tagValue\":\"x\"}]"), STORED))
                .isInstanceOf(SpotException.class);
    }

    @Test
    void aSpaceMayBeSetOnAResourceWithoutOne() {
        JsonNode spaceless = json("{\"compute\":{\"launchSpecification\":{\"tags\":[{\"tagKey\":\"team\",\"tagValue\":\"red\"}]}}}");
        assertThat(tags(keep(update("[{\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"space-b\"}]"), spaceless)))
                .as("with the day it got its space: the cost roll-up counts the days before under no space")
                .containsExactly(Map.entry("spinup:spaceid", "space-b"), Map.entry("spot-api:space-since",
                        java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString()));
    }

    @Test
    void theDayASpaceWasSetCannotBeSentByACaller() {
        JsonNode spaceless = json("{\"compute\":{\"launchSpecification\":{\"tags\":[{\"tagKey\":\"team\",\"tagValue\":\"red\"}]}}}");
        assertThatThrownBy(() -> keep(update("[{\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"space-b\"},"
                + "{\"tagKey\":\"spot-api:space-since\",\"tagValue\":\"2020-01-01\"}]"), spaceless))
                .hasMessageContaining("spot-api:space-since");
    }

    @Test
    void anUpdateWithoutTagsIsLeftAlone() {
        ObjectNode rename = json("{\"name\":\"renamed\"}");
        assertThat(ServerTags.replacesTags(rename)).isFalse();
        assertThat(keep(rename, STORED)).isSameAs(rename);
    }

    @Test
    void aTagKeyGivenTwiceIsRefusedExceptTheOrgTheServerReplaces() {
        assertThatThrownBy(() -> ServerTags.refuseDuplicateKeys(update("[{\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"a\"},"
                + "{\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"b\"}]"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'spinup:spaceid' is given more than once");
        ObjectNode orgTwice = update("[{\"tagKey\":\"spinup:org\",\"tagValue\":\"a\"},{\"tagKey\":\"spinup:org\",\"tagValue\":\"b\"}]");
        assertThat(ServerTags.refuseDuplicateKeys(orgTwice)).isSameAs(orgTwice);
    }
}
