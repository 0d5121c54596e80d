package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Optional;

/**
 * A successful Spot reply: the {@code response.items} array (empty when Spot sent none), Spot's request id and the
 * {@code response.failures} array of a bulk call (empty when none: each {@code resourceId} and {@code errorMessage},
 * OAS {@code miBulkImportInstance}). The nodes may be shared by concurrent callers: treat them as read-only.
 */
public record SpotReply(ArrayNode items, String spotRequestId, ArrayNode failures) {
    public static final SpotReply EMPTY = new SpotReply(JsonNodeFactory.instance.arrayNode(), null);

    /** A reply without failures. */
    public SpotReply(ArrayNode items, String spotRequestId) {
        this(items, spotRequestId, JsonNodeFactory.instance.arrayNode());
    }

    public Optional<JsonNode> firstItem() {
        return items.isEmpty() ? Optional.empty() : Optional.of(items.get(0));
    }
}
