package dev.spotapi.tags;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A tag merge as the portal's expiry service sends it: {@code {"tags": {"key": "value", ...}}}; each key is
 * set to its value, a {@code null} value removes the key, keys not named are kept. Keys are 1–128 characters,
 * values at most 256 (AWS tag limits). Keys starting {@code spinup:} or {@code spot-api:} are the server's
 * and refused, except {@code spinup:spaceid} (which {@link TagService} accepts only on a resource without one).
 *
 * @param changes key to new value (null: remove), in the body's order
 */
public record TagChange(Map<String, String> changes) {
    /** Most tags on one resource (AWS EC2's limit: {@link dev.spotapi.spot.SpotPayloads#MAX_TAGS}). */
    public static final int MAX_TAGS = dev.spotapi.spot.SpotPayloads.MAX_TAGS;
    static final int MAX_KEY = 128;
    static final int MAX_VALUE = 256;

    /**
     * Reads the body.
     *
     * @throws IllegalArgumentException naming what is wrong (every server-owned key, when any)
     */
    public static TagChange fromBody(ObjectNode body) {
        body.fieldNames().forEachRemaining(name -> {
            if (!"tags".equals(name)) {
                throw new IllegalArgumentException("unknown field '" + clip(name)
                        + "': the body is {\"tags\": {\"key\": \"value\" | null, ...}}");
            }
        });
        JsonNode tags = body.get("tags");
        if (!(tags instanceof ObjectNode object)) {
            throw new IllegalArgumentException("tags is required: an object of key to value (null removes the key)");
        }
        Map<String, String> changes = new LinkedHashMap<>();
        List<String> owned = new ArrayList<>();
        var fields = object.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            if (key.isEmpty() || key.length() > MAX_KEY) {
                throw new IllegalArgumentException("tag key '" + clip(key) + "' must have 1 to " + MAX_KEY + " characters");
            }
            if (!value.isNull() && !value.isTextual()) {
                throw new IllegalArgumentException("the value of tag '" + clip(key) + "' must be a string or null");
            }
            if (value.isTextual() && value.asText().length() > MAX_VALUE) {
                throw new IllegalArgumentException("the value of tag '" + clip(key) + "' is longer than " + MAX_VALUE
                        + " characters");
            }
            if (serverOwned(key) && !TagService.SPACE_TAG.equals(key)) {
                owned.add(clip(key));
            }
            changes.put(key, value.isNull() ? null : value.asText());
        }
        if (!owned.isEmpty()) {
            throw new IllegalArgumentException("tags " + owned + " are set by spot-api and cannot be changed");
        }
        return new TagChange(Collections.unmodifiableMap(changes));
    }

    /** Keys spot-api owns: {@code spinup:*} and {@code spot-api:*}. */
    static boolean serverOwned(String key) {
        return key.startsWith("spinup:") || key.startsWith("spot-api:");
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
