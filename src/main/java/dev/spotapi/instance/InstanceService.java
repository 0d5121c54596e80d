package dev.spotapi.instance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.spot.Correlation;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotReply;
import dev.spotapi.spot.SpotResource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Managed instances (AWS) of one account, as the old service exposed them. */
public final class InstanceService {
    static final SpotResource INSTANCES = new SpotResource("/aws/ec2/managedInstance", "managedInstance",
            "managed instance");

    /** Delete terminates the instance and removes its images, network interfaces, snapshots and volumes. */
    static final JsonNode DELETE_BODY = deallocation();

    private final String org;

    public InstanceService(String org) {
        this.org = org;
    }

    public CompletableFuture<List<Map<String, String>>> list(Account account) {
        return INSTANCES.listIds(account.spot())
                .thenApply(ids -> ids.stream().map(id -> Map.of("id", id)).toList());
    }

    /**
     * Creates the instance, filling {@code compute.vpcId} from the account's defaultVPC and carrying
     * {@code correlation}'s tag (see {@link SpotResource#create}); answers the new id.
     */
    public CompletableFuture<String> create(Account account, ObjectNode instance, Correlation correlation) {
        ObjectNode body = instance.deepCopy();
        if (account.config().hasDefaultVpc()) {
            JsonNode compute = body.get("compute");
            ObjectNode computeObject = compute instanceof ObjectNode o ? o : body.putObject("compute");
            JsonNode vpc = computeObject.get("vpcId");
            if (vpc == null || vpc.isNull() || (vpc.isTextual() && vpc.asText().isEmpty())) {
                computeObject.put("vpcId", account.config().defaultVpc());
            }
        }
        return INSTANCES.create(account.spot(), body, correlation).thenApply(created -> created.path("id").asText());
    }

    /** The summary needs the object and its status: both Spot reads run at once. */
    public CompletableFuture<ObjectNode> summary(Account account, String id) {
        CompletableFuture<JsonNode> instance = INSTANCES.read(account.spot(), id);
        CompletableFuture<SpotReply> status = account.spot().send(statusCall(id));
        return instance.thenCombine(status, (mi, st) -> InstanceSummary.of(mi,
                st.firstItem().map(s -> s.path("status").asText("")).orElse(""), org));
    }

    public CompletableFuture<JsonNode> update(Account account, String id, ObjectNode partial) {
        return INSTANCES.update(account.spot(), id, partial);
    }

    public CompletableFuture<Void> delete(Account account, String id) {
        return INSTANCES.delete(account.spot(), id, DELETE_BODY);
    }

    public CompletableFuture<JsonNode> costs(Account account, String id, CostWindow window) {
        SpotCall call = SpotCall.get("get managed instance costs", INSTANCES.path(id) + "/costs");
        if (!window.isLifetime()) {
            call = call.withQuery("fromDate", window.fromDate()).withQuery("toDate", window.toDate());
        }
        return itemOfExisting(account, id, call);
    }

    public CompletableFuture<JsonNode> status(Account account, String id) {
        return itemOfExisting(account, id, statusCall(id));
    }

    private static SpotCall statusCall(String id) {
        return SpotCall.get("get managed instance status", INSTANCES.path(id) + "/status");
    }

    /**
     * Spot answers an unknown id with MANAGED_INSTANCE_DOESNT_EXIST, so one call settles the common
     * case; only a reply without an item needs a second look to tell "gone" from "nothing to report".
     */
    private CompletableFuture<JsonNode> itemOfExisting(Account account, String id, SpotCall call) {
        return account.spot().send(call).thenCompose(reply -> reply.firstItem()
                .map(CompletableFuture::completedFuture)
                .orElseGet(() -> INSTANCES.read(account.spot(), id)
                        .thenApply(exists -> (JsonNode) JsonNodeFactory.instance.objectNode())));
    }

    private static JsonNode deallocation() {
        ObjectNode flags = JsonNodeFactory.instance.objectNode()
                .put("shouldDeleteImages", true)
                .put("shouldDeleteNetworkInterfaces", true)
                .put("shouldDeleteSnapshots", true)
                .put("shouldDeleteVolumes", true)
                .put("shouldTerminateInstance", true);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("deallocationConfig", flags);
        return body;
    }
}
