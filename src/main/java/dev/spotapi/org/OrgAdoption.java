package dev.spotapi.org;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotResource;
import java.util.ArrayList;
import java.util.List;

/**
 * Migration to {@code orgIsolation: enforce}: finds the resources of an account that carry no
 * {@code spinup:org} tag (invisible under enforce) and tags them with this org, so a deployment keeps
 * sight of what it created before isolation existed. Resources of another org are never touched, nor are imports of
 * another deployment still named as in flight ({@link Ownership#anotherOrgsImport}).
 */
public final class OrgAdoption {
    /**
     * One untagged resource: its kind ("elastigroup" or "managed instance"), id and name; {@code anotherOrgsImport}: it
     * carries the in-flight name of another deployment's import ({@link Ownership#anotherOrgsImport}), so it is listed
     * but never adopted (that deployment's keyed retry of the import tags it).
     */
    public record Untagged(String kind, String id, String name, boolean anotherOrgsImport) {
    }

    private final Ownership ownership;
    private final List<SpotResource> resources;

    /** @param resources the kinds of Spot objects to look at (elastigroups, managed instances) */
    public OrgAdoption(Ownership ownership, List<SpotResource> resources) {
        this.ownership = ownership;
        this.resources = List.copyOf(resources);
    }

    /** The untagged resources of the account (one list call per kind). */
    public List<Untagged> untagged(SpotClient spot) {
        List<Untagged> out = new ArrayList<>();
        for (SpotResource resource : resources) {
            for (JsonNode item : resource.list(spot).join()) {
                String org = Ownership.tag(item, Ownership.ORG_TAG);
                if (org == null || org.isBlank()) { // items come unwrapped: tags only where Spot keeps them
                    String name = item.path("name").asText("");
                    out.add(new Untagged(resource.noun(), item.path("id").asText(), name,
                            ownership.anotherOrgsImport(name)));
                }
            }
        }
        return out;
    }

    /**
     * Tags one untagged resource: reads it (it may have changed since the list), and when it is still
     * without an org tag, updates its tags to the current ones plus ours (Spot replaces the array). The read
     * and the update run inside the object's write fence ({@link SpotClient#exclusive}): a tag change made
     * through spot-api (any replica sharing the same Redis) is never undone by this one (issue 20).
     *
     * @return false when the resource has meanwhile got an org tag, or carries the in-flight name of another
     *         deployment's import (then it is left alone)
     */
    public boolean adopt(SpotClient spot, Untagged target) {
        if (target.anotherOrgsImport()) {
            return false;
        }
        SpotResource resource = resources.stream().filter(r -> r.noun().equals(target.kind())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown kind " + target.kind()));
        return spot.exclusive(resource.path(target.id()), "adopt " + resource.noun(),
                fenced -> resource.read(fenced, target.id()).thenCompose(current -> {
                    String org = Ownership.tag(current, Ownership.ORG_TAG);
                    if (org != null && !org.isBlank() || ownership.anotherOrgsImport(current.path("name").asText(""))) {
                        return java.util.concurrent.CompletableFuture.completedFuture(false);
                    }
                    JsonNode tags = Ownership.tags(current);
                    ArrayNode withOurs = ownership.withOurTag(tags instanceof ArrayNode a ? a
                            : JsonNodeFactory.instance.arrayNode());
                    dev.spotapi.spot.SpotException tooMany = dev.spotapi.spot.SpotPayloads.tooManyTags(
                            "adopt " + resource.noun(), tags.size(), withOurs.size());
                    if (tooMany != null) { // AWS allows 50: reported as failed, nothing written (attack round 21)
                        return java.util.concurrent.CompletableFuture.<Boolean>failedFuture(tooMany);
                    }
                    ObjectNode partial = JsonNodeFactory.instance.objectNode();
                    partial.putObject("compute").putObject("launchSpecification").set("tags", withOurs);
                    return resource.update(fenced, target.id(), partial).thenApply(updated -> true);
                })).join();
    }
}
