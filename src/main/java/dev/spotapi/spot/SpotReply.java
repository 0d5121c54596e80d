package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.Optional;

/**
 * A successful Spot reply: the {@code response.items} array (empty when Spot sent none) and Spot's
 * request id. The nodes may be shared by concurrent callers: treat them as read-only.
 */
public record SpotReply(ArrayNode items, String spotRequestId) {
    public static final SpotReply EMPTY = new SpotReply(JsonNodeFactory.instance.arrayNode(), null);

    public Optional<JsonNode> firstItem() {
        return items.isEmpty() ? Optional.empty() : Optional.of(items.get(0));
    }
}
