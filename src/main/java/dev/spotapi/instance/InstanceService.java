package dev.spotapi.instance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.power.PowerState;
import dev.spotapi.spot.Deallocation;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotReply;
import dev.spotapi.spot.SpotResource;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** Managed instances (AWS) of one account, as the old service exposed them. */
public final class InstanceService {
    static final SpotResource INSTANCES = new SpotResource("/aws/ec2/managedInstance", "managedInstance",
            "managed instance");

    /**
     * Spot's 400 codes meaning "not in a state for this": already paused, not paused, paused when a
     * recycle needs it active, or in a transition (PAUSING/RESUMING/RECYCLING); see {@link #isStateConflict}.
     */
    static final Set<String> STATE_CONFLICT_CODES = Set.of("MANAGED_INSTANCE_ALREADY_PAUSED",
            "MANAGED_INSTANCE_NOT_PAUSED", "MANAGED_INSTANCE_NOT_ACTIVE", "MANAGED_INSTANCE_ACTION_IN_PROGRESS",
            "MANAGED_INSTANCE_IN_TRANSITION",
            "MANAGED_INSTANCE_ALREADY_ACTIVE");

    private final String org;

    public InstanceService(String org) {
        this.org = org;
    }

    public CompletableFuture<List<Map<String, String>>> list(Account account) {
        return INSTANCES.listIds(account.spot())
                .thenApply(ids -> ids.stream().map(id -> Map.of("id", id)).toList());
    }

    /** Creates the instance, filling {@code compute.vpcId} from the account's defaultVPC; answers the new id. */
    public CompletableFuture<String> create(Account account, ObjectNode instance) {
        ObjectNode body = instance.deepCopy();
        if (account.config().hasDefaultVpc()) {
            JsonNode compute = body.get("compute");
            ObjectNode computeObject = compute instanceof ObjectNode o ? o : body.putObject("compute");
            JsonNode vpc = computeObject.get("vpcId");
            if (vpc == null || vpc.isNull() || (vpc.isTextual() && vpc.asText().isEmpty())) {
                computeObject.put("vpcId", account.config().defaultVpc());
            }
        }
        return INSTANCES.create(account.spot(), body).thenApply(created -> created.path("id").asText());
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

    /**
     * Deletes the instance: {@code deallocationConfig} deletes what {@code deallocation} does not keep;
     * {@code detach} sends {@code shouldTerminateInstance: false} (Spot stops managing it, the EC2
     * instance lives on and keeps its volumes and network interfaces).
     */
    public CompletableFuture<Void> delete(Account account, String id, Deallocation deallocation, boolean detach) {
        Deallocation effective = detach
                ? deallocation.keeping(EnumSet.of(Deallocation.Kept.VOLUMES, Deallocation.Kept.NETWORK_INTERFACES))
                : deallocation;
        ObjectNode flags = effective.flags().put("shouldTerminateInstance", !detach);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("deallocationConfig", flags);
        return INSTANCES.delete(account.spot(), id, body);
    }

    /**
     * Spot pause (stop), resume (start) or recycle (reboot): {@code PUT .../managedInstance/{id}/<action>}.
     * Spot's 400 for an instance already in that state or in a transition becomes a CONFLICT.
     */
    public CompletableFuture<Void> power(Account account, String id, PowerState state) {
        SpotCall call = SpotCall.put(state.spotAction() + " managed instance",
                INSTANCES.path(id) + "/" + state.spotAction(), null).withoutItems();
        return account.spot().send(call).handle((reply, failure) -> {
            if (failure == null) {
                return null;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof SpotException s && isStateConflict(s)) {
                throw s.as(SpotException.Kind.CONFLICT);
            }
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
    }

    /** A REJECTED pause/resume/recycle whose code says the instance is in the wrong state for it. */
    static boolean isStateConflict(SpotException e) {
        if (e.kind() != SpotException.Kind.REJECTED || e.code() == null) {
            return false;
        }
        String code = e.code();
        return STATE_CONFLICT_CODES.contains(code) || (code.startsWith("MANAGED_INSTANCE_")
                && (code.contains("ALREADY") || code.contains("TRANSITION") || code.contains("IN_PROGRESS") || code.contains("NOT_PAUSED")
                || code.contains("NOT_ACTIVE") || code.contains("PAUSING") || code.contains("RESUMING")
                || code.contains("RECYCLING")));
    }

    /**
     * Spot's costs over the window (lifetime when none); {@code aggregationPeriod} is passed through
     * when given, and then every item is answered (one per period), else the one item.
     */
    public CompletableFuture<JsonNode> costs(Account account, String id, CostWindow window, String aggregationPeriod) {
        SpotCall call = SpotCall.get("get managed instance costs", INSTANCES.path(id) + "/costs");
        if (!window.isLifetime()) {
            call = call.withQuery("fromDate", window.fromDate()).withQuery("toDate", window.toDate());
        }
        if (aggregationPeriod != null) {
            SpotCall aggregated = call.withQuery("aggregationPeriod", aggregationPeriod);
            CompletableFuture<JsonNode> exists = INSTANCES.read(account.spot(), id);
            return account.spot().send(aggregated).thenCombine(exists, (reply, mi) -> (JsonNode) reply.items());
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
}
