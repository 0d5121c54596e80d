package dev.spotapi.tags;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.org.Ownership;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotPayloads;
import dev.spotapi.spot.SpotResource;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Tags of a group or managed instance as a map ({@code compute.launchSpecification.tags}, Spot's
 * {@code [{tagKey, tagValue}]}): read, and merge ({@link TagChange}). A merge is a read-modify-write inside
 * the object's write fence ({@link SpotClient#exclusive}), so no write answered before it is lost, on any
 * replica; it is sent as one update with {@code autoApplyTags=true} (OAS parameter {@code autoApplyTags}:
 * "update resource tags on the fly without performing a roll"), so a group's running instances get it.
 * {@code spinup:org} is kept ({@link Ownership#forUpdate}).
 */
public final class TagService {
    /** The space tag: settable by a merge only on a resource that has none. */
    public static final String SPACE_TAG = Ownership.SPACE_TAG;

    private final Ownership ownership;

    public TagService(Ownership ownership) {
        this.ownership = ownership;
    }

    /** The tags of {@code object} (a Spot object) as key to value, in Spot's order. */
    public static Map<String, String> tagMap(JsonNode object) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode t : Ownership.tags(object)) {
            String key = t.path("tagKey").asText(null);
            if (key != null) {
                out.put(key, t.path("tagValue").isNull() ? "" : t.path("tagValue").asText(""));
            }
        }
        return out;
    }

    /**
     * {@code read}, failing NOT_FOUND when the object is missing or, with isolation on, not this org's, in the same
     * words either way ({@link Ownership#owned}): for routes the org guard does not cover.
     */
    public CompletableFuture<JsonNode> owned(SpotResource resource, String id, CompletableFuture<JsonNode> read) {
        return ownership.owned("get " + resource.noun(), resource.noun(), id, read);
    }

    /** {@code {"tags": {...}}} of the object {@code read} answers. */
    public CompletableFuture<Map<String, Map<String, String>>> read(CompletableFuture<JsonNode> read) {
        return read.thenApply(object -> Map.of("tags", tagMap(object)));
    }

    /**
     * Merges {@code change} into the object's tags; answers {@code {"tags": {...}}} after the merge. No write
     * when nothing changes. Fails REJECTED (400) for a {@code spinup:spaceid} on a resource that has a
     * different one (or its removal), or beyond {@link TagChange#MAX_TAGS} tags; IN_PROGRESS (409 with
     * Retry-After) when the fence is not free in time. {@code checked} is the org check's read: only its
     * failure counts.
     */
    public CompletableFuture<Map<String, Map<String, String>>> merge(Account account, SpotResource resource, String id,
            TagChange change, CompletableFuture<JsonNode> checked) {
        String operation = "merge " + resource.noun() + " tags";
        return checked.thenCompose(ignored -> account.spot().exclusive(resource.path(id), operation,
                spot -> resource.read(spot, id).thenCompose(object -> mergeInto(spot, resource, id, change, object,
                        operation))));
    }

    private CompletableFuture<Map<String, Map<String, String>>> mergeInto(SpotClient spot, SpotResource resource,
            String id, TagChange change, JsonNode object, String operation) {
        Map<String, String> current = tagMap(object);
        if (change.changes().containsKey(SPACE_TAG)) {
            String wanted = change.changes().get(SPACE_TAG);
            String had = current.get(SPACE_TAG);
            boolean hasOne = had != null && !had.isEmpty();
            if (wanted == null ? hasOne : hasOne && !had.equals(wanted)) {
                return CompletableFuture.failedFuture(rejected(operation, "tags [" + SPACE_TAG + "] are set by spot-api"
                        + " and cannot be changed: " + resource.noun() + " '" + id + "' already has a space"));
            }
        }
        Map<String, String> next = new LinkedHashMap<>(current);
        change.changes().forEach((k, v) -> {
            if (v == null) {
                next.remove(k);
            } else {
                next.put(k, v);
            }
        });
        String had = current.get(SPACE_TAG);
        String now = next.get(SPACE_TAG);
        if ((had == null || had.isEmpty()) && now != null && !now.isEmpty()) {
            next.put(Ownership.SPACE_SINCE_TAG, java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString());
        }
        if (next.equals(current)) {
            return CompletableFuture.completedFuture(Map.of("tags", current));
        }
        SpotException tooMany = SpotPayloads.tooManyTags(operation, current.size(), next.size());
        if (tooMany != null) {
            return CompletableFuture.failedFuture(tooMany);
        }
        ArrayNode tags = JsonNodeFactory.instance.arrayNode();
        next.forEach((k, v) -> tags.addObject().put("tagKey", k).put("tagValue", v));
        ObjectNode partial = JsonNodeFactory.instance.objectNode();
        partial.putObject("compute").putObject("launchSpecification").set("tags", tags);
        ObjectNode body = SpotPayloads.wrap(resource.wrapper(), SpotPayloads.forSpot(ownership.forUpdate(partial)));
        SpotCall call = SpotCall.put(operation, resource.path(id), body).withQuery("autoApplyTags", "true");
        return spot.send(call).thenApply(reply -> Map.of("tags",
                reply.firstItem().map(TagService::tagMap).orElse(next)));
    }

    private static SpotException rejected(String operation, String message) {
        return new SpotException(SpotException.Kind.REJECTED, operation, 0, null, message, null, null, false);
    }
}
