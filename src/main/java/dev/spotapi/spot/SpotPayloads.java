package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Shapes a caller's object before it goes to Spot. */
public final class SpotPayloads {
    /** Fields Spot owns; a caller's copy (e.g. a round-tripped read) is never sent back. */
    /**
     * Most tags on one resource: AWS EC2's limit, which the instances Spot launches carry
     * ({@code compute.launchSpecification.tags}), spot-api's own tags ({@code spinup:org}, {@code spot-api:*}) included.
     */
    public static final int MAX_TAGS = 50;

    /** How many tags {@code object}'s {@code compute.launchSpecification.tags} holds (0 when it has none). */
    public static int tagCount(com.fasterxml.jackson.databind.JsonNode object) {
        com.fasterxml.jackson.databind.JsonNode tags = object.path("compute").path("launchSpecification").path("tags");
        return tags.isArray() ? tags.size() : 0;
    }

    /**
     * Null, or the REJECTED failure (400) of a write that would leave a resource with {@code after} tags where it had
     * {@code before}: more than {@link #MAX_TAGS}, and more than it had. A write that adds none (a value changed, a
     * tag removed) is never refused for the tags a resource already has, whichever write put them there (attack round
     * 20: the tag route refused value changes on resources a create or a stop had taken past 50).
     */
    public static SpotException tooManyTags(String operation, int before, int after) {
        if (after <= MAX_TAGS || after <= before) {
            return null;
        }
        return new SpotException(SpotException.Kind.REJECTED, operation, 0, null, "a resource has at most " + MAX_TAGS
                + " tags (AWS's limit), spot-api's own (spinup:org, spot-api:*) included: this would leave " + after
                + (before > 0 ? " (it has " + before + ")" : ""), null, null, false);
    }

    private static final Set<String> READ_ONLY = Set.of("id", "createdAt", "updatedAt");

    private SpotPayloads() {
    }

    /**
     * A copy of {@code object} with read-only top-level fields removed and every JSON {@code null}
     * left out: the create body (a null there means "not set"). Updates use {@link #forSpotUpdate}, which
     * keeps a caller's nulls (to Spot a null on update unsets the field). Every other field passes through.
     */
    public static ObjectNode forSpot(ObjectNode object) {
        ObjectNode copy = object.deepCopy();
        READ_ONLY.forEach(copy::remove);
        dropNulls(copy);
        return copy;
    }

    /**
     * The update body for Spot (issue 24): read-only top-level fields removed; a JSON {@code null} for a
     * field of {@code schema} is kept, because to Spot it unsets the field (the Go SDK's {@code nullFields}:
     * {@code {"strategy":{"onDemandCount":null}}}); other nulls are left out as in {@link #forSpot}. The
     * caller's nulls were checked first ({@link SpotSchema#nullProblems}). Without a schema: {@link #forSpot}.
     */
    public static ObjectNode forSpotUpdate(ObjectNode object, SpotSchema schema) {
        if (schema == null) {
            return forSpot(object);
        }
        ObjectNode copy = schema.keepingNulls(object);
        READ_ONLY.forEach(copy::remove);
        return copy;
    }

    /** {@code {"<wrapper>": object}}, the body shape Spot expects for creates and updates. */
    public static ObjectNode wrap(String wrapper, ObjectNode object) {
        ObjectNode body = object.objectNode();
        body.set(wrapper, object);
        return body;
    }

    /** Removes every JSON null inside {@code node} (fields and array elements), at every depth. */
    static void dropNulls(JsonNode node) {
        if (node instanceof ObjectNode obj) {
            Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
            while (it.hasNext()) {
                JsonNode value = it.next().getValue();
                if (value.isNull()) {
                    it.remove();
                } else {
                    dropNulls(value);
                }
            }
        } else if (node instanceof ArrayNode arr) {
            for (int i = arr.size() - 1; i >= 0; i--) {
                if (arr.get(i).isNull()) {
                    arr.remove(i);
                } else {
                    dropNulls(arr.get(i));
                }
            }
        }
    }
}
