package dev.spotapi.tags;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.org.Ownership;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotPayloads;
import dev.spotapi.spot.SpotResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The tags spot-api owns on a resource ({@code spinup:*} and {@code spot-api:*}: the org, the space, a stopped
 * group's capacity, the create's correlation) through an update body that replaces the tag array
 * ({@code compute.launchSpecification.tags}: Spot replaces arrays, contract §4). The same rules as the tag route
 * ({@link TagChange}, {@link TagService}), so that neither way around them exists (attack round 6: a tag edit
 * through {@code PUT /elastigroups/{id}} dropped a stopped group's capacity, so it could never be started again; one
 * through {@code PUT /instances/{id}} moved an instance to another space, and its costs with it):
 * <ul>
 *   <li>a server-owned tag the update leaves out is kept as stored;</li>
 *   <li>one it sends with the stored value is fine (a caller that read the object and sends its tags back);</li>
 *   <li>{@code spinup:spaceid} may be set on a resource that has none, never changed or removed;</li>
 *   <li>any other server-owned tag sent with another value, or not stored, is refused (400), nothing written.</li>
 * </ul>
 * {@code spinup:org} is {@link Ownership}'s: it is put back whatever the update says ({@link Ownership#forUpdate}).
 */
public final class ServerTags {
    private ServerTags() {
    }

    /**
     * Spot's update of {@code resource} {@code id} with {@code partial} ({@code PUT <path>/{id}}), {@code spinup:org}
     * put back ({@link Ownership#forUpdate}); when {@code partial} replaces the tag array, the object is read first
     * and its server-owned tags kept ({@link #keep}), both under the object's write fence
     * ({@link SpotClient#exclusive}): no other write (a power stop writing the stopped capacity) comes between.
     * Answers Spot's updated object; fails as {@link #keep} and the read and update do (404 when it is gone).
     */
    public static CompletableFuture<JsonNode> update(SpotClient spot, SpotResource resource, String id,
            ObjectNode partial, Ownership ownership) {
        if (!replacesTags(partial)) {
            return resource.update(spot, id, ownership.forUpdate(partial));
        }
        String operation = "update " + resource.noun();
        return spot.exclusive(resource.path(id), operation, fenced -> resource.read(fenced, id)
                .thenCompose(stored -> {
                    ObjectNode sent = ownership.forUpdate(keep(partial, stored, resource.noun(), id, operation));
                    SpotException tooMany = SpotPayloads.tooManyTags(operation, SpotPayloads.tagCount(stored),
                            SpotPayloads.tagCount(sent));
                    return tooMany != null ? CompletableFuture.failedFuture(tooMany) : resource.update(fenced, id, sent);
                }));
    }

    /**
     * Checks the tag array of a caller's create or update body ({@code compute.launchSpecification.tags}) before
     * anything is sent: a key given twice is refused (AWS refuses duplicate tag keys; kept, the first and the last
     * of them would each be read as the value somewhere: attack round 6 made an instance be in one space for
     * {@code ?space=} and in another for its tags). {@code spinup:org} is exempt: the caller's is replaced anyway.
     * Answers {@code body}.
     *
     * @throws IllegalArgumentException naming the repeated key
     */
    public static ObjectNode refuseDuplicateKeys(ObjectNode body) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (JsonNode t : body.path("compute").path("launchSpecification").path("tags")) {
            String key = t.path("tagKey").asText(null);
            if (key != null && !Ownership.ORG_TAG.equals(key) && !seen.add(key)) {
                throw new IllegalArgumentException("tag key '" + (key.length() > 40 ? key.substring(0, 40) + "..." : key)
                        + "' is given more than once in compute.launchSpecification.tags");
            }
        }
        return body;
    }

    /**
     * Refuses a create body that sends one of spot-api's own tags ({@code spot-api:*}: the day a space was set, a
     * stopped group's capacity, the correlation): only spot-api writes them (attack round 8: a create forging
     * {@code spot-api:space-since} moved its costs out of its space). {@code body} is not changed.
     *
     * @throws IllegalArgumentException naming the tags
     */
    public static ObjectNode refuseOwnTagsOnCreate(ObjectNode body) {
        List<String> own = new ArrayList<>();
        for (JsonNode t : body.path("compute").path("launchSpecification").path("tags")) {
            String key = t.path("tagKey").asText("");
            if (key.startsWith("spot-api:") && !own.contains(key)) {
                own.add(key.length() > 40 ? key.substring(0, 40) + "..." : key);
            }
        }
        if (!own.isEmpty()) {
            throw new IllegalArgumentException("tags " + own + " are set by spot-api and cannot be sent in a create");
        }
        return body;
    }

    /** True when {@code partial} replaces the tag array (or unsets it): the stored tags must be read first. */
    public static boolean replacesTags(ObjectNode partial) {
        JsonNode tags = partial.path("compute").path("launchSpecification").get("tags");
        return tags != null && (tags.isArray() || tags.isNull());
    }

    /**
     * {@code partial} with {@code stored}'s server-owned tags kept (see the class). {@code partial} is not changed.
     *
     * @param noun      what the resource is called in a refusal ({@code elastigroup}, {@code managed instance})
     * @param operation the operation a refusal names
     * @throws SpotException {@link SpotException.Kind#REJECTED} (400) when the update changes a server-owned tag
     */
    public static ObjectNode keep(ObjectNode partial, JsonNode stored, String noun, String id, String operation) {
        if (!replacesTags(partial)) {
            return partial;
        }
        Map<String, String> owned = new LinkedHashMap<>();
        for (JsonNode t : stored.path("compute").path("launchSpecification").path("tags")) {
            String key = t.path("tagKey").asText(null);
            if (key != null && TagChange.serverOwned(key) && !Ownership.ORG_TAG.equals(key)) {
                owned.putIfAbsent(key, t.path("tagValue").asText(""));
            }
        }
        ObjectNode copy = partial.deepCopy();
        ObjectNode launchSpecification = (ObjectNode) copy.path("compute").path("launchSpecification");
        JsonNode sent = launchSpecification.get("tags");
        ArrayNode tags = sent instanceof ArrayNode a ? a : launchSpecification.putArray("tags");
        List<String> refused = new ArrayList<>();
        Map<String, String> missing = new LinkedHashMap<>(owned);
        boolean spaceSet = false;
        for (JsonNode t : tags) {
            String key = t.path("tagKey").asText(null);
            if (key == null || !TagChange.serverOwned(key) || Ownership.ORG_TAG.equals(key)) {
                continue;
            }
            String value = t.path("tagValue").asText(null);
            String had = owned.get(key);
            boolean same = had != null && had.equals(value);
            boolean newSpace = Ownership.SPACE_TAG.equals(key) && (had == null || had.isEmpty());
            if (!same && !newSpace) {
                refused.add(key);
            }
            spaceSet |= newSpace && value != null && !value.isEmpty();
            missing.remove(key);
        }
        if (!refused.isEmpty()) {
            boolean space = refused.size() == 1 && refused.get(0).equals(Ownership.SPACE_TAG);
            throw new SpotException(SpotException.Kind.REJECTED, operation, 0, null, "tags " + refused
                    + " are set by spot-api and cannot be changed" + (space ? ": " + noun + " '" + id
                    + "' already has a space" : " (leave them out of the update: they are kept)"), null, null, false);
        }
        missing.forEach((key, value) -> tags.addObject().put("tagKey", key).put("tagValue", value));
        if (spaceSet && !owned.containsKey(Ownership.SPACE_SINCE_TAG)) {
            tags.addObject().put("tagKey", Ownership.SPACE_SINCE_TAG)
                    .put("tagValue", java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString());
        }
        return copy;
    }
}
