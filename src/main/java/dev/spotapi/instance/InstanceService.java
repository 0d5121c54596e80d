package dev.spotapi.instance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.spot.Correlation;
import dev.spotapi.org.Ownership;
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
import java.util.concurrent.ConcurrentHashMap;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Managed instances (AWS) of one account, as the old service exposed them. */
public final class InstanceService {
    /** Spot's managed-instance calls (OAS {@code /aws/ec2/managedInstance}). */
    public static final SpotResource INSTANCES = new SpotResource("/aws/ec2/managedInstance", "managedInstance",
            "managed instance", true);

    /**
     * Spot's 400 codes meaning "not in a state for this": already paused, not paused, paused when a
     * recycle needs it active, or in a transition (PAUSING/RESUMING/RECYCLING); see {@link #isStateConflict}.
     */
    static final Set<String> STATE_CONFLICT_CODES = Set.of("MANAGED_INSTANCE_ALREADY_PAUSED",
            "MANAGED_INSTANCE_NOT_PAUSED", "MANAGED_INSTANCE_NOT_ACTIVE", "MANAGED_INSTANCE_ACTION_IN_PROGRESS",
            "MANAGED_INSTANCE_IN_TRANSITION",
            "MANAGED_INSTANCE_ALREADY_ACTIVE");

    private static final Logger LOG = LoggerFactory.getLogger(InstanceService.class);
    private static final dev.spotapi.log.Throttle STATUS_WARNINGS = new dev.spotapi.log.Throttle(10_000);

    private final Ownership ownership;
    private final MeterRegistry registry;
    private final Map<String, Counter> statusLookupFailures = new ConcurrentHashMap<>();

    private final dev.spotapi.cost.CostLedger ledger;

    /**
     * @param ownership which instances are this org's, and how their tag is kept on writes
     * @param registry  where the count of failed optional lookups goes
     * @param ledger    where a deleted instance's costs are kept for the cost roll-up
     */
    public InstanceService(Ownership ownership, MeterRegistry registry, dev.spotapi.cost.CostLedger ledger) {
        this.ownership = ownership;
        this.registry = registry;
        this.ledger = ledger;
    }

    /**
     * {@code [{"id": ...}]} of this org's instances (of one space when {@code space} is not null), one Spot call
     * read as it arrives: each item is decided on and dropped ({@link SpotResource#listIds}).
     */
    public CompletableFuture<List<Map<String, String>>> list(Account account, String space) {
        return INSTANCES.listIds(account.spot(), ownership.listedKey(space), Ownership.LISTED_READS,
                item -> ownership.listed(item, space)).thenApply(ids -> ids.stream().map(id -> Map.of("id", id)).toList());
    }

    /**
     * The start of the name an import's managed instance has while the import is in flight
     * ({@code stateful.ImportRequest}): spot-api finds such an instance by that name after a lost answer, so no
     * caller may give it to an instance ({@link #refuseImportName}).
     */
    public static final String IMPORT_NAME_PREFIX = Ownership.IMPORT_NAME_PREFIX;

    /**
     * Checks a caller's instance body (create or update) before anything is sent.
     *
     * @throws IllegalArgumentException when its {@code name} starts with {@link #IMPORT_NAME_PREFIX}
     */
    public static ObjectNode refuseImportName(ObjectNode instance) {
        JsonNode name = instance.get("name");
        if (name != null && name.isTextual() && name.asText().startsWith(IMPORT_NAME_PREFIX)) {
            throw new IllegalArgumentException("name must not start with '" + IMPORT_NAME_PREFIX + "' (the name"
                    + " spot-api gives an import while it is in flight)");
        }
        return instance;
    }

    /**
     * Creates the instance, filling {@code compute.vpcId} from the account's defaultVPC and carrying
     * {@code correlation}'s tag and this org's {@code spinup:org} tag (a caller's own value is replaced) (see {@link SpotResource#create}); answers the new id.
     */
    public CompletableFuture<String> create(Account account, ObjectNode instance, Correlation correlation) {
        ObjectNode body = dev.spotapi.tags.ResourceTagging.withDefaults(ownership.forCreate(instance)).deepCopy();
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

    /**
     * The summary needs the object and its status: both Spot reads run at once. {@code instance} is the
     * read of the object (perhaps already made by the org check). The status only fills {@code state}:
     * when its lookup fails the summary still answers, with {@code "state": ""} (logged and counted in
     * {@code spotapi.optional.lookup.failures}), as the old service did; a missing instance stays a 404.
     */
    public CompletableFuture<ObjectNode> summary(Account account, String id, CompletableFuture<JsonNode> instance) {
        CompletableFuture<String> state = account.spot().send(statusCall(id))
                .thenApply(st -> st.firstItem().map(s -> s.path("status").asText("")).orElse(""))
                .exceptionally(failure -> {
                    Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
                    statusLookupFailures.computeIfAbsent(account.name(), this::statusLookupCounter).increment();
                    // not found: the object read answers the caller's 404 (a client error, not a warning)
                    boolean notFound = cause instanceof dev.spotapi.spot.SpotException se
                            && se.kind() == dev.spotapi.spot.SpotException.Kind.NOT_FOUND;
                    if (notFound) {
                        LOG.atDebug().addKeyValue("account", account.name()).addKeyValue("instance", id)
                                .log("managed instance status lookup: not found");
                    } else if (STATUS_WARNINGS.allow(account.name()) >= 0) {
                        LOG.atWarn().addKeyValue("account", account.name()).addKeyValue("instance", id)
                                .addKeyValue("error", cause.getMessage())
                                .log("managed instance status lookup failed, answering the summary with an empty state"
                                        + " account={} instance={}: {} (logged at most every 10 s per account)",
                                        account.name(), id, cause.getMessage());
                    }
                    return "";
                });
        return instance.thenCombine(state, InstanceSummary::of);
    }

    /**
     * Spot's update of the managed instance ({@code PUT /aws/ec2/managedInstance/{id}}); an update that replaces the
     * tags keeps the server's own ({@code spinup:org}, the space: {@link dev.spotapi.tags.ServerTags}); changing one
     * is REJECTED (400).
     */
    public CompletableFuture<JsonNode> update(Account account, String id, ObjectNode partial) {
        return dev.spotapi.tags.ServerTags.update(account.spot(), INSTANCES, id, partial, ownership);
    }

    /**
     * Deletes the instance: {@code deallocationConfig} and {@code amiBackup} delete what {@code deallocation}
     * does not keep;
     * {@code detach} sends {@code shouldTerminateInstance: false} (Spot stops managing it, the EC2
     * instance lives on and keeps its volumes and network interfaces). Its lifetime costs are read first and kept
     * in the {@link dev.spotapi.cost.CostLedger} ({@code instance}: as read before, for its space and
     * {@code createdAt}).
     */
    public CompletableFuture<Void> delete(Account account, String id, Deallocation deallocation, boolean detach,
            CompletableFuture<JsonNode> instance) {
        Deallocation effective = detach
                ? deallocation.keeping(EnumSet.of(Deallocation.Kept.VOLUMES, Deallocation.Kept.NETWORK_INTERFACES))
                : deallocation;
        ObjectNode flags = effective.flags().put("shouldTerminateInstance", !detach);
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("deallocationConfig", flags);
        body.set("amiBackup", effective.amiBackup());
        return ledger.deleting(account, INSTANCES, id, instance, () -> INSTANCES.delete(account.spot(), id, body));
    }

    /**
     * Idempotent power ({@link dev.spotapi.power.PowerPlan}): stop and start first read Spot's status; an
     * instance already in the requested state, or moving toward it, costs no further call and succeeds;
     * one moving the other way fails with IN_PROGRESS (409 with Retry-After). Otherwise Spot pause (stop),
     * resume (start) or recycle (reboot): {@code PUT .../managedInstance/{id}/<action>}. Spot's 400 saying
     * it already is there (a race) is a success; another state refusal becomes a CONFLICT. When the status
     * read fails, Spot is asked anyway. The read and the write run inside the instance's write fence
     * ({@link dev.spotapi.spot.SpotClient#exclusive}): no earlier write to it is still open at Spot.
     */
    public CompletableFuture<Void> power(Account account, String id, PowerState state) {
        if (state == PowerState.REBOOT) {
            return act(account.spot(), id, state);
        }
        // the status read and the write inside the instance's write fence: a stop still on its way to Spot (its
        // caller answered 504 "may have been applied") is answered before this start reads (attack round 12: the
        // start read ACTIVE, answered 204, and the stop then landed)
        return account.spot().exclusive(INSTANCES.path(id), state.word() + " managed instance",
                spot -> powerHeld(spot, id, state));
    }

    /**
     * The plan for {@code state} from the instance's status read through {@code spot} ({@code GET .../status}; a read
     * that fails plans to act, as {@link #power} does); the caller holds the instance's write fence.
     */
    public CompletableFuture<dev.spotapi.power.PowerPlan> plan(dev.spotapi.spot.SpotClient spot, String id,
            PowerState state) {
        return spot.send(statusCall(id))
                .handle((reply, failure) -> failure != null ? null
                        : reply.firstItem().map(s -> s.path("status").asText("")).orElse(null))
                .thenApply(status -> dev.spotapi.power.PowerPlan.forInstance(state, status));
    }

    /** {@link #power} for a caller that holds the instance's write fence already ({@code spot}, see exclusive). */
    public CompletableFuture<Void> powerHeld(dev.spotapi.spot.SpotClient spot, String id, PowerState state) {
        if (state == PowerState.REBOOT) {
            return act(spot, id, state);
        }
        return spot
                .send(statusCall(id))
                .handle((reply, failure) -> failure != null ? null
                        : reply.firstItem().map(s -> s.path("status").asText("")).orElse(null))
                .thenCompose(status -> switch (dev.spotapi.power.PowerPlan.forInstance(state, status)) {
                    case ALREADY, UNDER_WAY -> CompletableFuture.<Void>completedFuture(null);
                    case OPPOSITE -> CompletableFuture.<Void>failedFuture(new SpotException(SpotException.Kind.IN_PROGRESS,
                            state.word() + " managed instance", 0, null, "managed instance '" + id + "' is " + status
                            + ": retry when the transition is over", null,
                            dev.spotapi.power.PowerPlan.TRANSITION_RETRY_AFTER, false));
                    case ACT -> act(spot, id, state);
                });
    }

    private CompletableFuture<Void> act(dev.spotapi.spot.SpotClient spot, String id, PowerState state) {
        SpotCall call = SpotCall.put(state.spotAction() + " managed instance",
                INSTANCES.path(id) + "/" + state.spotAction(), null).withoutItems();
        return spot.send(call).handle((reply, failure) -> {
            if (failure == null) {
                return null;
            }
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause instanceof SpotException s && s.kind() == SpotException.Kind.REJECTED
                    && dev.spotapi.power.PowerPlan.alreadyThere(state, s.code())) {
                return null;
            }
            if (cause instanceof SpotException s && isTransition(s)) {
                throw s.as(SpotException.Kind.IN_PROGRESS, dev.spotapi.power.PowerPlan.TRANSITION_RETRY_AFTER);
            }
            if (cause instanceof SpotException s && isStateConflict(s)) {
                throw s.as(SpotException.Kind.CONFLICT);
            }
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
    }

    /**
     * A REJECTED pause/resume/recycle whose code says a transition is under way (Spot's
     * {@code MANAGED_INSTANCE_ACTION_IN_PROGRESS}, {@code ..._IN_TRANSITION}, or one naming PAUSING, RESUMING or
     * RECYCLING): it passes by itself, so the answer is 409 with a {@code Retry-After}, unlike a state that
     * lasts until someone changes it (paused, for a reboot).
     */
    static boolean isTransition(SpotException e) {
        if (e.kind() != SpotException.Kind.REJECTED || e.code() == null || !e.code().startsWith("MANAGED_INSTANCE_")) {
            return false;
        }
        String code = e.code();
        return code.contains("IN_PROGRESS") || code.contains("TRANSITION") || code.contains("PAUSING")
                || code.contains("RESUMING") || code.contains("RECYCLING");
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
     * Spot's costs over the window (lifetime when none: from the day the instance was created, see
     * {@link CostWindow#lifetimeFromDate}); {@code aggregationPeriod} is passed through
     * when given, and then every item is answered (one per period), else the one item. {@code instance}
     * is the existence check, run in parallel with the costs call because Spot answers costs of an
     * unknown id with a zero item (contract §9.1).
     */
    public CompletableFuture<JsonNode> costs(Account account, String id, CostWindow window, String aggregationPeriod,
            CompletableFuture<JsonNode> instance) {
        if (window.isLifetime()) {
            // Spot requires both dates (OAS, Python SDK): the lifetime is the instance's, read first (issue 24)
            return instance.thenCompose(mi -> {
                java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
                return costs(account, id, CostWindow.lifetimeFromDate(mi, today), CostWindow.lifetimeToDate(today),
                        aggregationPeriod, instance);
            });
        }
        return costs(account, id, window.fromDate(), window.toDate(), aggregationPeriod, instance);
    }

    private CompletableFuture<JsonNode> costs(Account account, String id, String fromDate, String toDate,
            String aggregationPeriod, CompletableFuture<JsonNode> instance) {
        SpotCall call = SpotCall.get("get managed instance costs", INSTANCES.path(id) + "/costs")
                .withQuery("fromDate", fromDate).withQuery("toDate", toDate);
        if (aggregationPeriod != null) {
            call = call.withQuery("aggregationPeriod", aggregationPeriod);
            return itemsOfExisting(account.spot().sendCosts(call), instance);
        }
        return itemOfExisting(account.spot().sendCosts(call), instance);
    }

    /** Spot's status item, with the existence check in parallel as for {@link #costs}. */
    public CompletableFuture<JsonNode> status(Account account, String id, CompletableFuture<JsonNode> instance) {
        return itemOfExisting(account.spot().send(statusCall(id)), instance);
    }

    /** The read of the object, for callers that have none from the org check. */
    public CompletableFuture<JsonNode> read(Account account, String id) {
        return INSTANCES.read(account.spot(), id);
    }

    private static SpotCall statusCall(String id) {
        return SpotCall.get("get managed instance status", INSTANCES.path(id) + "/status");
    }

    /**
     * Both calls at once: the existence check decides first (a missing instance is a 404 whatever the
     * other call said), then the call's own failure, then its first item (an empty object when none).
     */
    private static CompletableFuture<JsonNode> itemOfExisting(CompletableFuture<SpotReply> reply,
            CompletableFuture<JsonNode> instance) {
        return CompletableFuture.allOf(instance, reply).handle((ignored, failure) -> {
            if (instance.isCompletedExceptionally()) {
                instance.join(); // rethrows the existence check's failure
            }
            return reply.join().firstItem().orElseGet(JsonNodeFactory.instance::objectNode);
        });
    }

    /** As {@link #itemOfExisting}, answering every item (an array, possibly empty). */
    private static CompletableFuture<JsonNode> itemsOfExisting(CompletableFuture<SpotReply> reply,
            CompletableFuture<JsonNode> instance) {
        return CompletableFuture.allOf(instance, reply).handle((ignored, failure) -> {
            if (instance.isCompletedExceptionally()) {
                instance.join();
            }
            return (JsonNode) reply.join().items();
        });
    }

    /** Registers the account's {@code spotapi_optional_lookup_failures_total} at zero (before any failure). */
    public void countersAtZero(String accountName) {
        statusLookupFailures.computeIfAbsent(accountName, this::statusLookupCounter);
    }

    private Counter statusLookupCounter(String accountName) {
        return Counter.builder("spotapi.optional.lookup.failures")
                .description("Optional Spot lookups that failed while the answer went out without them")
                .tag("account", accountName)
                .tag("lookup", "managed instance status")
                .register(registry);
    }

}
