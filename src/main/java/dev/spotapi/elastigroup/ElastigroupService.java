package dev.spotapi.elastigroup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.spot.Correlation;
import dev.spotapi.spot.SpotResource;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Elastigroups (AWS) of one account, as the old service exposed them. */
public final class ElastigroupService {
    static final SpotResource GROUPS = new SpotResource("/aws/ec2/group", "group", "elastigroup");

    /** Delete asks Spot to also remove the group's images, network interfaces, volumes and snapshots. */
    static final JsonNode DELETE_BODY = statefulDeallocation();

    public CompletableFuture<List<String>> list(Account account) {
        return GROUPS.listIds(account.spot());
    }

    /** Creates the group carrying {@code correlation}'s tag (see {@link SpotResource#create}). */
    public CompletableFuture<JsonNode> create(Account account, ObjectNode group, Correlation correlation) {
        return GROUPS.create(account.spot(), group, correlation);
    }

    public CompletableFuture<JsonNode> get(Account account, String id) {
        return GROUPS.read(account.spot(), id);
    }

    /** The id in the path wins: any id in the body is dropped before it reaches Spot. */
    public CompletableFuture<JsonNode> update(Account account, String id, ObjectNode partial) {
        return GROUPS.update(account.spot(), id, partial);
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
