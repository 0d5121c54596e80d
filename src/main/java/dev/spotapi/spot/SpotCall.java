package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One Spot API operation to perform: method, path (under the account's endpoint), extra query
 * parameters, an optional JSON body and a short operation name used in metrics, logs and error messages;
 * {@code writes}: the Spot objects a bulk write changes (null: the one its path names, {@link #objectPath()}).
 */
public record SpotCall(String method, String path, Map<String, String> query, JsonNode body, String operation,
        boolean readsItems, java.util.List<String> writes) {

    /** A call that writes at most the object its path names. */
    public SpotCall(String method, String path, Map<String, String> query, JsonNode body, String operation,
            boolean readsItems) {
        this(method, path, query, body, operation, readsItems, null);
    }

    /**
     * A write that changes each of {@code objects} (e.g. {@code /aws/ec2/managedInstance/smi-1}, a bulk state change
     * naming them): it is kept in order with every other write to any of them ({@link WriteFence}).
     */
    public SpotCall writing(java.util.Collection<String> objects) {
        return new SpotCall(method, path, query, body, operation, readsItems, java.util.List.copyOf(objects));
    }

    /** The objects this write changes, sorted (empty for reads and creates): {@link #writes}, else {@link #objectPath()}. */
    public java.util.List<String> objectPaths() {
        if (writes != null) {
            return writes.stream().sorted().distinct().toList();
        }
        String one = objectPath();
        return one == null ? java.util.List.of() : java.util.List.of(one);
    }

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
        return new SpotCall(method, path, Map.copyOf(q), body, operation, readsItems, writes);
    }

    /** A PUT that only changes state and whose reply carries no items (pause, resume, recycle). */
    public SpotCall withoutItems() {
        return new SpotCall(method, path, query, body, operation, false, writes);
    }

    /**
     * Whether HTTP calls this method idempotent (everything but POST). Not a licence to resend it: a late
     * copy of a PUT can still undo a newer one; {@link SpotRetryPolicy} decides retries.
     */
    public boolean idempotent() {
        return !"POST".equals(method);
    }

    /** Whether this call only reads (GET): sending it twice changes nothing in Spot. */
    public boolean isRead() {
        return "GET".equals(method);
    }

    /**
     * The Spot object a write changes ({@code /aws/ec2/group/sig-1} for {@code .../sig-1/scale/up}), or null
     * for reads and creates: writes to one object are kept in order by {@link WriteFence}.
     */
    public String objectPath() {
        if (isRead()) {
            return null;
        }
        String[] s = path.split("/", 6); // "", aws, ec2, group, id, rest
        return s.length >= 5 && !s[4].isEmpty() ? "/" + s[1] + "/" + s[2] + "/" + s[3] + "/" + s[4] : null;
    }
}
