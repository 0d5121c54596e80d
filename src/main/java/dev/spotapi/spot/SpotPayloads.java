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
    private static final Set<String> READ_ONLY = Set.of("id", "createdAt", "updatedAt");

    private SpotPayloads() {
    }

    /**
     * A copy of {@code object} with read-only top-level fields removed and every JSON {@code null}
     * left out (to Spot a null on update means "remove this setting", which no caller of the old
     * service could have meant). Every other field passes through, known to us or not.
     */
    public static ObjectNode forSpot(ObjectNode object) {
        ObjectNode copy = object.deepCopy();
        READ_ONLY.forEach(copy::remove);
        dropNulls(copy);
        return copy;
    }

    /** {@code {"<wrapper>": object}}, the body shape Spot expects for creates and updates. */
    public static ObjectNode wrap(String wrapper, ObjectNode object) {
        ObjectNode body = object.objectNode();
        body.set(wrapper, object);
        return body;
    }

    private static void dropNulls(JsonNode node) {
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
