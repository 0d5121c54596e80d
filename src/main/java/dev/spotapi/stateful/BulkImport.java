package dev.spotapi.stateful;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A bulk import: {@code {"instances": [{...}, ...]}}, 1 to {@link #MAX_INSTANCES} objects of the single
 * import's shape ({@link ImportRequest}), each EC2 instance named once.
 */
public record BulkImport(List<ImportRequest> instances) {
    /** The most instances one bulk import takes. */
    public static final int MAX_INSTANCES = 50;

    /**
     * @throws IllegalArgumentException with the index and field of what is wrong
     */
    public static BulkImport parse(ObjectNode body) {
        body.fieldNames().forEachRemaining(f -> {
            if (!f.equals("instances")) {
                throw new IllegalArgumentException("unknown field '" + (f.length() > 40 ? f.substring(0, 40) + "..." : f)
                        + "': the body is {\"instances\": [{\"originalInstanceId\", \"region\", ...}]}");
            }
        });
        JsonNode list = body.get("instances");
        if (list == null || !list.isArray() || list.isEmpty() || list.size() > MAX_INSTANCES) {
            throw new IllegalArgumentException("instances must be an array of 1 to " + MAX_INSTANCES
                    + " import objects");
        }
        List<ImportRequest> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode one = list.get(i);
            if (!one.isObject()) {
                throw new IllegalArgumentException("instances[" + i + "] must be an object");
            }
            ImportRequest request;
            try {
                request = ImportRequest.parse((ObjectNode) one);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("instances[" + i + "]: " + e.getMessage());
            }
            if (!seen.add(request.originalInstanceId())) {
                throw new IllegalArgumentException("instance " + request.originalInstanceId() + " is listed twice in instances");
            }
            out.add(request);
        }
        return new BulkImport(List.copyOf(out));
    }
}
