package dev.spotapi.sim.http;

import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.util.List;

/** Reading Spot API request bodies. */
final class Bodies {
    /** Read-only fields: accepted in a body (clients round-trip read objects) and ignored. */
    private static final List<String> READ_ONLY = List.of("id", "createdAt", "updatedAt");

    private Bodies() {
    }

    /** The body as JSON, or null when empty; a body that is not JSON is a ValidationError. */
    static JsonNode json(Context ctx) {
        try {
            return SimJson.parse(ctx.bodyAsBytes());
        } catch (IOException e) {
            throw SpotException.validation("body", "\"body\" must be valid JSON");
        }
    }

    /** {@code body[wrapper]} with the read-only fields removed; a copy, so the caller may keep it. */
    static ObjectNode wrappedObject(Context ctx, String wrapper) {
        ObjectNode inner = Validation.unwrap(json(ctx), wrapper).deepCopy();
        inner.remove(READ_ONLY);
        return inner;
    }

    /**
     * Delete bodies: empty, {@code {}} or a deallocation object; anything else is a ValidationError. Answers the
     * object (empty for no body).
     */
    static ObjectNode emptyOrObject(Context ctx) {
        JsonNode body = json(ctx);
        if (body != null && !body.isObject()) {
            throw SpotException.validation("body", "\"body\" must be an object");
        }
        return body == null ? SimJson.object() : (ObjectNode) body;
    }
}
