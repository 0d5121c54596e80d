package dev.spotapi.elastigroup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.org.Ownership;
import dev.spotapi.spot.SpotResource;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Elastigroups (AWS) of one account, as the old service exposed them. */
public final class ElastigroupService {
    /** Spot's elastigroup calls (OAS {@code /aws/ec2/group}). */
    public static final SpotResource GROUPS = new SpotResource("/aws/ec2/group", "group", "elastigroup");

    /** Delete asks Spot to also remove the group's images, network interfaces, volumes and snapshots. */
    static final JsonNode DELETE_BODY = statefulDeallocation();

    private final Ownership ownership;

    /** @param ownership which groups are this org's, and how their tag is kept on writes */
    public ElastigroupService(Ownership ownership) {
        this.ownership = ownership;
    }

    /** The ids of this org's groups (of one space when {@code space} is not null), from one Spot list call. */
    public CompletableFuture<List<String>> list(Account account, String space) {
        return GROUPS.list(account.spot()).thenApply(items -> items.stream()
                .filter(item -> ownership.listed(item, space))
                .map(item -> item.path("id"))
                .filter(JsonNode::isTextual)
                .map(JsonNode::asText)
                .toList());
    }

    /** Creates the group with this org's {@code spinup:org} tag (a caller's own value is replaced). */
    public CompletableFuture<JsonNode> create(Account account, ObjectNode group) {
        return GROUPS.create(account.spot(), ownership.forCreate(group));
    }

    public CompletableFuture<JsonNode> get(Account account, String id) {
        return GROUPS.read(account.spot(), id);
    }

    /** The id in the path wins: any id in the body is dropped before it reaches Spot. */
    public CompletableFuture<JsonNode> update(Account account, String id, ObjectNode partial) {
        return GROUPS.update(account.spot(), id, ownership.forUpdate(partial));
    }

    public CompletableFuture<Void> delete(Account account, String id) {
        return GROUPS.delete(account.spot(), id, DELETE_BODY);
    }

    private static JsonNode statefulDeallocation() {
        ObjectNode flags = JsonNodeFactory.instance.objectNode()
                .put("shouldDeleteImages", true)
                .put("shouldDeleteNetworkInterfaces", true)
                .put("shouldDeleteVolumes", true)
                .put("shouldDeleteSnapshots", true);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("statefulDeallocation", flags);
        return body;
    }
}
