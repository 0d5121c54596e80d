package dev.spotapi.sim.http;

import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Checks on a request body, reporting errors the way Spot does: {@code ValidationError} with a
 * field such as {@code body:group.capacity.minimum} and a Joi-style message.
 */
public final class Validation {
    private final String wrapper;

    public Validation(String wrapper) {
        this.wrapper = wrapper;
    }

    /** Returns {@code body[wrapper]}; the body must be a JSON object that has it as an object. */
    static ObjectNode unwrap(JsonNode body, String wrapper) {
        if (body == null || !body.isObject()) {
            throw SpotException.validation("body", "\"body\" must be an object with a \"" + wrapper + "\" key");
        }
        JsonNode inner = body.get(wrapper);
        if (inner == null || inner.isNull()) {
            throw SpotException.validation("body:" + wrapper, "\"" + wrapper + "\" is required");
        }
        if (!inner.isObject()) {
            throw SpotException.validation("body:" + wrapper, "\"" + wrapper + "\" must be an object");
        }
        return (ObjectNode) inner;
    }

    public String requireString(ObjectNode parent, String path) {
        JsonNode value = require(parent, path);
        if (!value.isTextual()) {
            throw fail(path, "must be a string");
        }
        if (value.asText().isBlank()) {
            throw fail(path, "is not allowed to be empty");
        }
        return value.asText();
    }

    public ObjectNode requireObject(ObjectNode parent, String path) {
        JsonNode value = require(parent, path);
        if (!value.isObject()) {
            throw fail(path, "must be an object");
        }
        return (ObjectNode) value;
    }

    public long requireNonNegativeInteger(ObjectNode parent, String path) {
        JsonNode value = require(parent, path);
        if (!value.isIntegralNumber()) {
            throw fail(path, "must be an integer");
        }
        if (!value.canConvertToLong()) {
            throw fail(path, "must be a safe number"); // Joi's message past 2^53; asLong() would wrap around
        }
        if (value.asLong() < 0) {
            throw fail(path, "must be larger than or equal to 0");
        }
        return value.asLong();
    }

    public void requireNonEmptyStringArray(ObjectNode parent, String path) {
        JsonNode value = require(parent, path);
        if (!value.isArray()) {
            throw fail(path, "must be an array");
        }
        if (value.isEmpty()) {
            throw fail(path, "must contain at least 1 items");
        }
        for (JsonNode item : value) {
            if (!item.isTextual()) {
                throw fail(path, "must contain only strings");
            }
        }
    }

    /** Contract §9.3: an immutable field; {@code after} null means the update removed it. */
    public void requireUnchanged(String before, String after, String path) {
        if (!before.equals(after)) {
            throw fail(path, "cannot be changed (was \"" + before + "\")");
        }
    }

    /** A ValidationError on {@code body:<wrapper>.<path>} ({@code body:<path>} for the empty wrapper: a bare body). */
    public SpotException fail(String path, String problem) {
        return SpotException.validation("body:" + (wrapper.isEmpty() ? "" : wrapper + ".") + path, "\"" + leaf(path) + "\" " + problem);
    }

    private JsonNode require(ObjectNode parent, String path) {
        JsonNode value = parent.get(leaf(path));
        if (value == null || value.isNull()) {
            throw fail(path, "is required");
        }
        return value;
    }

    private static String leaf(String path) {
        return path.substring(path.lastIndexOf('.') + 1);
    }
}
