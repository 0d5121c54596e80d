package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * What one request or one object may cost the simulator (issue 10 item 9). Spot documents no such limits
 * [INF]; these are far above any real group or managed instance (a 16 KB EC2 user data is 22 KB of base64)
 * and far below what would hurt a 64 MB heap. Breaking one is Spot's {@code ValidationError} (HTTP 400),
 * or 413 in Spot's error envelope for a body that is too large.
 */
final class Limits {
    /** Largest Spot API request body, in bytes; larger is 413 in Spot's error envelope. */
    static final int MAX_BODY_BYTES = 256 * 1024;
    /** Largest request body of any kind (an admin state import), in bytes: Javalin's {@code maxRequestSize}. */
    static final int MAX_ADMIN_BODY_BYTES = 4 * 1024 * 1024;
    /** Largest stored object (a group or managed instance as JSON), in bytes, after an update's merge. */
    static final int MAX_OBJECT_BYTES = 256 * 1024;
    /** Longest string value anywhere in an object, in characters. */
    static final int MAX_STRING_CHARS = 32 * 1024;
    /** Largest {@code capacity.maximum} of a group: its fleet holds up to this many instances. */
    static final long MAX_GROUP_CAPACITY = 1_000;

    private Limits() {
    }

    /** Checks every string of {@code object} and its encoded size; throws a ValidationError naming the field. */
    static void checkObject(String wrapper, ObjectNode object) {
        checkStrings("body:" + wrapper, object, 0);
        int size = SimJson.bytes(object).length;
        if (size > MAX_OBJECT_BYTES) {
            throw SpotException.validation("body:" + wrapper, "\"" + wrapper + "\" must be at most " + MAX_OBJECT_BYTES
                    + " bytes of JSON (it would be " + size + ")");
        }
    }

    private static void checkStrings(String path, JsonNode node, int depth) {
        if (node.isTextual() && node.asText().length() > MAX_STRING_CHARS) {
            String leaf = path.substring(Math.max(path.lastIndexOf('.'), path.lastIndexOf(':')) + 1);
            throw SpotException.validation(path, "\"" + leaf + "\" length must be less than or equal to "
                    + MAX_STRING_CHARS + " characters long");
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (field.getKey().length() > 256) {
                    throw SpotException.validation(path, "field names must be at most 256 characters long");
                }
                checkStrings(path + "." + field.getKey(), field.getValue(), depth + 1);
            }
        } else if (node.isArray()) {
            int i = 0;
            for (JsonNode item : node) {
                checkStrings(path + "[" + i++ + "]", item, depth + 1);
            }
        }
    }
}
