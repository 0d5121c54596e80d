package dev.spotapi.elastigroup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * A capacity change: any of {@code minimum}, {@code maximum}, {@code target} (null = unchanged), each
 * a whole number from 0 to {@value #MAX}. Whether they fit together with the group's other values is
 * Spot's to say (it answers 400 with its message).
 */
public record Capacity(Integer minimum, Integer maximum, Integer target) {
    /** Far above any real group; keeps absurd numbers from reaching Spot. */
    public static final int MAX = 100_000;
    private static final List<String> FIELDS = List.of("minimum", "maximum", "target");

    /** 0/0/0: a stopped group. */
    public static final Capacity ZERO = new Capacity(0, 0, 0);

    /**
     * Reads {@code {"minimum", "maximum", "target"}} (any non-empty subset, nothing else).
     *
     * @throws IllegalArgumentException with a message for the caller
     */
    public static Capacity fromBody(ObjectNode body) {
        body.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + (name.length() > 40 ? name.substring(0, 40)
                        + "..." : name) + "': the body takes minimum, maximum and target");
            }
        });
        Capacity c = new Capacity(number(body, "minimum"), number(body, "maximum"), number(body, "target"));
        if (c.minimum == null && c.maximum == null && c.target == null) {
            throw new IllegalArgumentException("give at least one of minimum, maximum, target");
        }
        return c;
    }

    /** The group's own {@code capacity} object (missing numbers read as 0). */
    public static Capacity of(JsonNode capacity) {
        return new Capacity(capacity.path("minimum").asInt(0), capacity.path("maximum").asInt(0),
                capacity.path("target").asInt(0));
    }

    public boolean isZero() {
        return ZERO.equals(this);
    }

    /** The fields that are set, as Spot's capacity object. */
    public ObjectNode toJson() {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        if (minimum != null) {
            node.put("minimum", minimum);
        }
        if (maximum != null) {
            node.put("maximum", maximum);
        }
        if (target != null) {
            node.put("target", target);
        }
        return node;
    }

    private static Integer number(ObjectNode body, String name) {
        JsonNode v = body.get(name);
        if (v == null) {
            return null;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0 || v.asInt() > MAX) {
            throw new IllegalArgumentException(name + " must be a whole number from 0 to " + MAX);
        }
        return v.asInt();
    }
}
