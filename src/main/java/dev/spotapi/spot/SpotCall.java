package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One Spot API operation to perform: method, path (under the account's endpoint), extra query
 * parameters, an optional JSON body and a short operation name used in metrics, logs and error messages.
 */
public record SpotCall(String method, String path, Map<String, String> query, JsonNode body, String operation,
        boolean readsItems) {

    public static SpotCall get(String operation, String path) {
        return new SpotCall("GET", path, Map.of(), null, operation, true);
    }

    public static SpotCall post(String operation, String path, JsonNode body) {
        return new SpotCall("POST", path, Map.of(), body, operation, true);
    }

    public static SpotCall put(String operation, String path, JsonNode body) {
        return new SpotCall("PUT", path, Map.of(), body, operation, true);
    }

    public static SpotCall delete(String operation, String path, JsonNode body) {
        return new SpotCall("DELETE", path, Map.of(), body, operation, false);
    }

    public SpotCall withQuery(String name, String value) {
        Map<String, String> q = new LinkedHashMap<>(query);
        q.put(name, value);
        return new SpotCall(method, path, Map.copyOf(q), body, operation, readsItems);
    }

    /** A PUT that only changes state and whose reply carries no items (pause, resume, recycle). */
    public SpotCall withoutItems() {
        return new SpotCall(method, path, query, body, operation, false);
    }

    /** Whether Spot may have acted on this call even if we never saw a reply. */
    public boolean idempotent() {
        return !"POST".equals(method);
    }
}
