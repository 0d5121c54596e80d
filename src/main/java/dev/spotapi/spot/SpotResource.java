package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The CRUD calls one kind of Spot object shares (elastigroups and managed instances differ only in
 * path, body wrapper and name): list ids, create, read, update, delete.
 */
public final class SpotResource {
    private final String basePath;
    private final String wrapper;
    private final String noun;

    /**
     * @param basePath e.g. {@code /aws/ec2/group}
     * @param wrapper  the body wrapper, e.g. {@code group}
     * @param noun     how messages name it, e.g. {@code elastigroup}
     */
    public SpotResource(String basePath, String wrapper, String noun) {
        this.basePath = basePath;
        this.wrapper = wrapper;
        this.noun = noun;
    }

    public String path(String id) {
        return basePath + "/" + id;
    }

    public String noun() {
        return noun;
    }

    /** The ids of every object, from either list shape (flat or {@code config}-wrapped: both keep id on top). */
    public CompletableFuture<List<String>> listIds(SpotClient spot) {
        return spot.send(SpotCall.get("list " + noun + "s", basePath)).thenApply(reply -> {
            List<String> ids = new ArrayList<>(reply.items().size());
            for (JsonNode item : reply.items()) {
                JsonNode id = item.get("id");
                if (id != null && id.isTextual()) {
                    ids.add(id.asText());
                }
            }
            return ids;
        });
    }

    /** Every object of the account, as Spot's list returns them (whole objects: flat or {@code config}-wrapped). */
    public CompletableFuture<List<JsonNode>> list(SpotClient spot) {
        return spot.send(SpotCall.get("list " + noun + "s", basePath)).thenApply(reply -> {
            List<JsonNode> items = new ArrayList<>(reply.items().size());
            reply.items().forEach(items::add);
            return items;
        });
    }

    public CompletableFuture<JsonNode> create(SpotClient spot, ObjectNode object) {
        SpotCall call = SpotCall.post("create " + noun, basePath, SpotPayloads.wrap(wrapper, SpotPayloads.forSpot(object)));
        return spot.send(call).thenApply(reply -> reply.firstItem().orElseThrow(() -> noItem(call, reply)));
    }

    public CompletableFuture<JsonNode> read(SpotClient spot, String id) {
        SpotCall call = SpotCall.get("get " + noun, path(id));
        return spot.send(call).thenApply(reply -> reply.firstItem().orElseThrow(() -> gone(call, id, reply)));
    }

    public CompletableFuture<JsonNode> update(SpotClient spot, String id, ObjectNode partial) {
        SpotCall call = SpotCall.put("update " + noun, path(id), SpotPayloads.wrap(wrapper, SpotPayloads.forSpot(partial)));
        return spot.send(call).thenApply(reply -> reply.firstItem().orElseThrow(() -> gone(call, id, reply)));
    }

    public CompletableFuture<Void> delete(SpotClient spot, String id, JsonNode deallocationBody) {
        return spot.send(SpotCall.delete("delete " + noun, path(id), deallocationBody)).thenApply(reply -> null);
    }

    /** Spot answered 200 with no item for one object: as the SDKs and Terraform read it, the object is gone. */
    public SpotException gone(SpotCall call, String id, SpotReply reply) {
        return new SpotException(SpotException.Kind.NOT_FOUND, call.operation(), 200, null,
                noun + " '" + id + "' does not exist", reply.spotRequestId(), null, false);
    }

    private static SpotException noItem(SpotCall call, SpotReply reply) {
        return new SpotException(SpotException.Kind.BAD_REPLY, call.operation(), 200, null,
                "Spot reported success but returned no object", reply.spotRequestId(), null, true);
    }
}
