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
public final class Limits {
    /** Largest Spot API request body, in bytes; larger is 413 in Spot's error envelope. */
    public static final int MAX_BODY_BYTES = 256 * 1024;
    /** Largest request body of any kind (an admin state import), in bytes: Javalin's {@code maxRequestSize}. */
    static final int MAX_ADMIN_BODY_BYTES = 4 * 1024 * 1024;
    /** Largest stored object (a group or managed instance as JSON), in bytes, after an update's merge. */
    static final int MAX_OBJECT_BYTES = 256 * 1024;
    /** Longest string value anywhere in an object, in characters. */
    static final int MAX_STRING_CHARS = 32 * 1024;
    /**
     * Largest {@code capacity.maximum} (and so target) of a group, on every route that sets one (create,
     * update, capacity, scale, seed and state import): its fleet holds up to this many instances.
     */
    public static final long MAX_GROUP_CAPACITY = 1_000;
    /**
     * Fake EC2 instances all groups of all accounts may run together. One costs about 1 KB of heap
     * (measured: 1,046 bytes with its activity entry as launched, 1,179 as loaded from the database, 324
     * bytes of JSON), so the whole fleet stays near 6 MB, and the sandbox (simulator and service in one
     * 64 MB heap) cannot run out of memory.
     */
    public static final int MAX_FLEET_INSTANCES = 5_000;
    /**
     * Everything stored together (every object and simulated state, as JSON bytes; 3 to 4 times that
     * in heap): a change that would grow the total past it is refused, whatever it is made of (objects,
     * instances, their history and activity). Also the most a saved database or an import may load.
     */
    public static final long MAX_STORED_BYTES = 4L * 1024 * 1024;
    /** Spot's error code (HTTP 400) for a change the simulator has no room for; ours, Spot has no such limit. */
    static final String LIMIT_CODE = "SIMULATOR_LIMIT_EXCEEDED";

    private Limits() {
    }

    /** Checks every string of {@code object} and its encoded size; throws a ValidationError naming the field. */
    public static void checkObject(String wrapper, ObjectNode object) {
        checkStrings("body:" + wrapper, object, 0);
        int size = SimJson.bytes(object).length;
        if (size > MAX_OBJECT_BYTES) {
            throw SpotException.validation("body:" + wrapper, "\"" + wrapper + "\" must be at most " + MAX_OBJECT_BYTES
                    + " bytes of JSON (it would be " + size + ")");
        }
    }

    /** The 400 for a change past {@link #MAX_FLEET_INSTANCES} or {@link #MAX_STORED_BYTES}. */
    public static SpotException full(String what) {
        return SpotException.badRequest(LIMIT_CODE, "The Spot simulator has no room for this change: " + what
                + " (delete groups or instances, or POST /_sim/reset)");
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
