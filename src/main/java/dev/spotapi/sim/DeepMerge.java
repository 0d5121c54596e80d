package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * Spot's update semantics: objects merge key by key, arrays and scalars replace, and JSON
 * {@code null} removes the key. Create uses the same rule on an empty object, so a {@code null} in a
 * create body means "not set" too.
 */
public final class DeepMerge {
    private DeepMerge() {
    }

    /** Merges {@code patch} into {@code target} in place; {@code patch} is not modified or shared. */
    public static void merge(ObjectNode target, ObjectNode patch) {
        for (Map.Entry<String, JsonNode> field : patch.properties()) {
            String key = field.getKey();
            JsonNode value = field.getValue();
            JsonNode current = target.get(key);
            if (value.isNull()) {
                target.remove(key);
            } else if (value.isObject() && current != null && current.isObject()) {
                merge((ObjectNode) current, (ObjectNode) value);
            } else if (value.isObject()) {
                ObjectNode fresh = target.objectNode();
                merge(fresh, (ObjectNode) value);
                target.set(key, fresh);
            } else {
                target.set(key, value.deepCopy());
            }
        }
    }
}
