package dev.spotapi.elastigroup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/** A scale request: {@code {"direction": "up" | "down", "adjustment": n}}, n from 1 to {@value Capacity#MAX}. */
public record Scale(boolean up, int adjustment) {
    private static final List<String> FIELDS = List.of("direction", "adjustment");

    /** {@code up} or {@code down}: Spot's path segment ({@code PUT .../scale/up|down}). */
    public String direction() {
        return up ? "up" : "down";
    }

    /**
     * Reads the body; both fields are required, nothing else is allowed.
     *
     * @throws IllegalArgumentException with a message for the caller
     */
    public static Scale fromBody(ObjectNode body) {
        body.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + (name.length() > 40 ? name.substring(0, 40)
                        + "..." : name) + "': the body takes direction and adjustment");
            }
        });
        JsonNode direction = body.get("direction");
        if (direction == null || !direction.isTextual()) {
            throw new IllegalArgumentException("direction is required: up or down");
        }
        String d = direction.asText().trim().toLowerCase(Locale.ROOT);
        if (!d.equals("up") && !d.equals("down")) {
            throw new IllegalArgumentException("direction must be up or down");
        }
        JsonNode adjustment = body.get("adjustment");
        if (adjustment == null || !adjustment.isIntegralNumber() || !adjustment.canConvertToInt()
                || adjustment.asInt() < 1 || adjustment.asInt() > Capacity.MAX) {
            throw new IllegalArgumentException("adjustment is required: a whole number from 1 to " + Capacity.MAX);
        }
        return new Scale(d.equals("up"), adjustment.asInt());
    }
}
