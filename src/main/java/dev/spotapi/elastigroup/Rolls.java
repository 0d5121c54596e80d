package dev.spotapi.elastigroup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * A group's fleet operations (OAS {@code /aws/ec2/group/{groupId}/roll…}, {@code /instanceHealthiness},
 * {@code /detachInstances}, {@code /suspension}; Go SDK {@code Roll}, {@code DeploymentStatus},
 * {@code RollStatus}, {@code StopDeployment}, {@code GetInstanceHealthiness}, {@code Detach},
 * {@code CreateSuspensions}, {@code ListSuspensions}, {@code DeleteSuspensions}). Bodies are Spot's own shapes,
 * checked here field by field (unknown fields refused) before anything reaches Spot.
 */
public final class Rolls {
    /** Spot's roll statuses that are still running. */
    private static final Set<String> RUNNING = Set.of("STARTING", "IN_PROGRESS", "IN PROGRESS", "PENDING");
    /** The processes Spot suspends (OAS suspendProcessesRequestBody). */
    public static final List<String> PROCESSES = List.of("AUTO_SCALE", "AUTO_HEALING", "OUT_OF_STRATEGY",
            "PREVENTIVE_REPLACEMENT", "REVERT_PREFERRED", "SCHEDULING");
    private static final List<String> HEALTH_CHECKS = List.of("ELB", "ECS_CLUSTER_INSTANCE", "TARGET_GROUP",
            "OPSWORKS", "NOMAD_NODE", "HCS", "EC2", "NONE", "K8S_NODE", "MULTAI_TARGET_SET");

    /** What one look at a roll saw, for its task: a description, whether it finished, a failure reason or null. */
    public record Look(String state, boolean done, String failure) {
    }

    private Rolls() {
    }

    private static String path(String groupId) {
        return ElastigroupService.GROUPS.path(groupId);
    }

    /** The {@code Retry-After} of a roll refused because another one is running: a roll takes minutes. */
    static final java.time.Duration ROLL_RUNNING_RETRY_AFTER = java.time.Duration.ofSeconds(60);

    /**
     * Starts a roll ({@code PUT /aws/ec2/group/{id}/roll}); answers Spot's deployment item (its {@code id} is
     * the roll id). When Spot refuses and the group has a roll running, an IN_PROGRESS (409) naming that roll, with a
     * {@code Retry-After} of {@link #ROLL_RUNNING_RETRY_AFTER}.
     */
    public static CompletableFuture<JsonNode> start(Account account, String groupId, ObjectNode params) {
        SpotCall call = SpotCall.put("roll elastigroup", path(groupId) + "/roll", params);
        return account.spot().send(call).thenApply(reply -> reply.firstItem()
                        .orElseGet(JsonNodeFactory.instance::objectNode))
                .exceptionallyCompose(failure -> {
                    Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
                    if (cause instanceof SpotException s && s.kind() == SpotException.Kind.REJECTED) {
                        return list(account, groupId).thenCompose(rolls -> {
                            for (JsonNode r : rolls) {
                                if (RUNNING.contains(r.path("status").asText("").toUpperCase(Locale.ROOT))) {
                                    return CompletableFuture.failedFuture(new SpotException(SpotException.Kind.IN_PROGRESS,
                                            "roll elastigroup", s.httpStatus(), s.code(), "elastigroup '" + groupId
                                            + "' already has roll " + r.path("id").asText() + " running ("
                                            + r.path("status").asText() + ")", s.spotRequestId(), ROLL_RUNNING_RETRY_AFTER,
                                            false));
                                }
                            }
                            return CompletableFuture.failedFuture(cause);
                        });
                    }
                    return CompletableFuture.failedFuture(cause);
                });
    }

    /** The group's rolls, newest first (Spot's {@code GET .../roll}). */
    public static CompletableFuture<JsonNode> list(Account account, String groupId) {
        return account.spot().send(SpotCall.get("list elastigroup rolls", path(groupId) + "/roll"))
                .thenApply(reply -> (JsonNode) reply.items());
    }

    /**
     * One roll: Spot's deployment item (status, progress, batches: the group's own list, {@code GET .../roll}, so that
     * another group's roll id is a NOT_FOUND whether Spot scopes {@code GET .../roll/{rollId}} by the group or not,
     * attack round 16) with the per-instance detail of {@code GET .../roll/{rollId}/status}
     * ({@code instances: [{blue, green}]}, {@code strategyAction}, {@code healthCheck}), read once the roll is found.
     */
    public static CompletableFuture<JsonNode> get(Account account, String groupId, String rollId) {
        return ofGroup(account, groupId, rollId, "get elastigroup roll").thenCompose(s -> account.spot()
                .send(SpotCall.get("get elastigroup roll status", path(groupId) + "/roll/" + rollId + "/status"))
                .thenApply(r -> withDetail(s, r.firstItem().orElseGet(JsonNodeFactory.instance::objectNode))));
    }

    private static JsonNode withDetail(JsonNode s, JsonNode d) {
        {
            ObjectNode out = s.deepCopy();
            for (String field : List.of("strategyAction", "healthCheck", "instances")) {
                if (d.has(field)) {
                    out.set(field, d.get(field));
                }
            }
            return out;
        }
    }

    /**
     * Stops a roll ({@code PUT .../roll/{rollId}} with {@code {"roll": {"status": "STOPPED"}}}). Idempotent: when Spot
     * refuses it and the roll reads STOPPED already (a retry after a lost reply, or a second stop), it succeeds
     * (attack round 12: the retry was a 400 "not in progress").
     */
    public static CompletableFuture<Void> stop(Account account, String groupId, String rollId) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("roll").put("status", "STOPPED");
        return ofGroup(account, groupId, rollId, "stop elastigroup roll").thenCompose(roll -> "STOPPED".equalsIgnoreCase(roll.path("status").asText(""))
                ? CompletableFuture.<Void>completedFuture(null) : account.spot().send(SpotCall.put("stop elastigroup roll", path(groupId) + "/roll/" + rollId, body).withoutItems())
                .<Void>thenApply(r -> null)
                .exceptionallyCompose(failure -> {
                    Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
                    if (!(cause instanceof SpotException s && s.kind() == SpotException.Kind.REJECTED)) {
                        return CompletableFuture.failedFuture(cause);
                    }
                    return account.spot().send(SpotCall.get("get elastigroup roll", path(groupId) + "/roll/" + rollId))
                            .handle((reply, readFailure) -> {
                                boolean stopped = readFailure == null && reply.firstItem()
                                        .map(r -> "STOPPED".equalsIgnoreCase(r.path("status").asText(""))).orElse(false);
                                if (stopped) {
                                    return null;
                                }
                                throw new java.util.concurrent.CompletionException(cause);
                            });
                }));
    }

    /**
     * The group's roll {@code rollId} from the group's own list ({@code GET .../roll}), or NOT_FOUND: a roll id that is
     * not one of this group's (another group's, another org's) is never sent to Spot in a write under this group
     * (attack round 13; Spot's refusal alone must not be what keeps another org's roll running).
     */
    static CompletableFuture<JsonNode> ofGroup(Account account, String groupId, String rollId, String operation) {
        return list(account, groupId).thenApply(items -> {
            for (JsonNode item : items) {
                if (rollId.equals(item.path("id").asText())) {
                    return item;
                }
            }
            throw new java.util.concurrent.CompletionException(new SpotException(SpotException.Kind.NOT_FOUND,
                    operation, 200, null, "roll '" + rollId + "' does not exist in elastigroup '" + groupId
                            + "'", null, null, false));
        });
    }

    /** The group's instances with their health ({@code GET .../instanceHealthiness}). */
    public static CompletableFuture<JsonNode> healthiness(Account account, String groupId) {
        return account.spot().send(SpotCall.get("get elastigroup instance healthiness",
                path(groupId) + "/instanceHealthiness")).thenApply(reply -> (JsonNode) reply.items());
    }

    /**
     * Detaches instances ({@code PUT .../detachInstances}, a checked {@link #detachBody}), once every id in
     * {@code instancesToDetach} is one of the group's own instances ({@code GET .../status}); otherwise REJECTED (400)
     * naming the first that is not, and nothing is written: another group's or another org's EC2 instance is never
     * sent to Spot under this group (attack round 13).
     */
    public static CompletableFuture<Void> detach(Account account, String groupId, ObjectNode body) {
        SpotCall status = SpotCall.get("get elastigroup status", path(groupId) + "/status");
        return account.spot().send(status).thenCompose(reply -> {
            Set<String> members = new java.util.HashSet<>();
            for (JsonNode item : reply.items()) {
                members.add(item.path("instanceId").asText(""));
            }
            for (JsonNode id : body.path("instancesToDetach")) {
                if (!members.contains(id.asText())) {
                    throw new java.util.concurrent.CompletionException(new SpotException(SpotException.Kind.REJECTED,
                            "detach elastigroup instances", 400, null, "instance " + id.asText()
                                    + " is not an instance of elastigroup " + groupId, null, null, false));
                }
            }
            return account.spot().send(SpotCall.put("detach elastigroup instances", path(groupId) + "/detachInstances",
                    body).withoutItems()).thenApply(r -> null);
        });
    }

    /** The active suspensions ({@code GET .../suspension}): Spot's item {@code {suspensions, processes}}. */
    public static CompletableFuture<JsonNode> suspensions(Account account, String groupId) {
        return account.spot().send(SpotCall.get("list elastigroup suspensions", path(groupId) + "/suspension"))
                .thenApply(r -> r.firstItem().orElseGet(() -> JsonNodeFactory.instance.objectNode()
                        .<ObjectNode>set("suspensions", JsonNodeFactory.instance.arrayNode())));
    }

    /** Suspends processes ({@code POST .../suspension}, a checked {@link #suspensionBody}); answers the active set. */
    public static CompletableFuture<JsonNode> suspend(Account account, String groupId, ObjectNode body) {
        return account.spot().send(SpotCall.post("suspend elastigroup processes", path(groupId) + "/suspension", body))
                .thenApply(r -> r.firstItem().orElseGet(JsonNodeFactory.instance::objectNode));
    }

    /** Resumes one process ({@code DELETE .../suspension} with {@code {"processes": [process]}}). */
    public static CompletableFuture<Void> resume(Account account, String groupId, String process) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putArray("processes").add(process);
        return account.spot().send(SpotCall.delete("resume elastigroup process", path(groupId) + "/suspension", body))
                .thenApply(r -> null);
    }

    /** One look at a roll for its task ({@code GET .../roll/{rollId}}): an event per batch, done on FINISHED. */
    public static CompletableFuture<Look> observe(Account account, String groupId, String rollId) {
        return account.spot().send(SpotCall.get("get elastigroup roll", path(groupId) + "/roll/" + rollId))
                .thenApply(reply -> {
                    JsonNode r = reply.firstItem().orElseGet(JsonNodeFactory.instance::objectNode);
                    String status = r.path("status").asText("").toUpperCase(Locale.ROOT);
                    String state = "roll " + rollId + " of elastigroup " + groupId + " is " + status + ": batch "
                            + r.path("currentBatch").asInt() + " of " + r.path("numOfBatches").asInt() + ", "
                            + r.path("progress").path("value").asInt() + "%";
                    return switch (status) {
                        case "FINISHED" -> new Look(state, true, null);
                        case "FAILED", "STOPPED" -> new Look(state, false, "Spot reports roll " + rollId + " of elastigroup "
                                + groupId + " " + status);
                        default -> new Look(state, false, null);
                    };
                });
    }

    /**
     * A roll request: Spot's start-deployment body ({@code batchSizePercentage} 1-100 required, {@code gracePeriod},
     * {@code healthCheckType}, {@code drainingTimeout}, {@code strategy{action, batchMinHealthyPercentage, onFailure}}).
     * Null (no parameters) gives Spot's usual defaults: 20 %, grace 300 s, REPLACE_SERVER. Spot's schema requires
     * {@code gracePeriod} (OAS {@code start-deployment}): a body without one (or with {@code null}) gets the same
     * 300 s; any other field given as {@code null} is left out, as if absent (never sent to Spot as {@code null}).
     *
     * @throws IllegalArgumentException naming the offending field
     */
    public static ObjectNode rollBody(JsonNode body) {
        if (body == null || body.isNull()) {
            ObjectNode defaults = JsonNodeFactory.instance.objectNode();
            defaults.put("batchSizePercentage", 20).put("gracePeriod", DEFAULT_GRACE_PERIOD_S);
            defaults.putObject("strategy").put("action", "REPLACE_SERVER");
            return defaults;
        }
        ObjectNode o = object(body, "the roll");
        known(o, "", Set.of("batchSizePercentage", "gracePeriod", "healthCheckType", "drainingTimeout", "strategy"));
        integer(o, "batchSizePercentage", 1, 100, true);
        integer(o, "gracePeriod", 0, 7200, false);
        integer(o, "drainingTimeout", 0, 3600, false);
        oneOf(o, "healthCheckType", HEALTH_CHECKS, false);
        if (o.has("strategy") && !o.get("strategy").isNull()) {
            ObjectNode strategy = object(o.get("strategy"), "strategy");
            known(strategy, "strategy.", Set.of("action", "batchMinHealthyPercentage", "onFailure", "shouldDrainInstances"));
            oneOf(strategy, "action", List.of("REPLACE_SERVER", "RESTART_SERVER"), false);
            integer(strategy, "batchMinHealthyPercentage", 0, 100, false);
            bool(strategy, "shouldDrainInstances", false);
            if (strategy.has("onFailure") && !strategy.get("onFailure").isNull()) {
                ObjectNode onFailure = object(strategy.get("onFailure"), "strategy.onFailure");
                known(onFailure, "strategy.onFailure.", Set.of("actionType", "shouldHandleAllBatches", "batchNum",
                        "drainingTimeout", "shouldDecrementTargetCapacity"));
                oneOf(onFailure, "actionType", List.of("DETACH_OLD", "DETACH_NEW"), true);
                bool(onFailure, "shouldHandleAllBatches", false);
                bool(onFailure, "shouldDecrementTargetCapacity", false);
                integer(onFailure, "drainingTimeout", 0, 3600, false);
                integer(onFailure, "batchNum", 1, 1000, false);
            }
        }
        ObjectNode sent = withoutNulls(o);
        if (!sent.has("gracePeriod")) {
            sent.put("gracePeriod", DEFAULT_GRACE_PERIOD_S);
        }
        return sent;
    }

    /** The grace period a roll gets when the caller gives none (s; Spot's console default). */
    static final int DEFAULT_GRACE_PERIOD_S = 300;

    /** A copy of {@code o} without its {@code null} fields, at every depth (an absent optional field). */
    private static ObjectNode withoutNulls(ObjectNode o) {
        ObjectNode copy = JsonNodeFactory.instance.objectNode();
        o.fields().forEachRemaining(field -> {
            JsonNode value = field.getValue();
            if (value instanceof ObjectNode inner) {
                copy.set(field.getKey(), withoutNulls(inner));
            } else if (!value.isNull()) {
                copy.set(field.getKey(), value);
            }
        });
        return copy;
    }

    /** Spot's detach-instance body: {@code instancesToDetach} (EC2 ids), both booleans required, {@code drainingTimeout}. */
    public static ObjectNode detachBody(JsonNode body) {
        ObjectNode o = object(body, "the body");
        known(o, "", Set.of("instancesToDetach", "shouldDecrementTargetCapacity", "shouldTerminateInstances",
                "drainingTimeout"));
        JsonNode ids = o.get("instancesToDetach");
        if (ids == null || !ids.isArray() || ids.isEmpty() || ids.size() > 1000) {
            throw new IllegalArgumentException("instancesToDetach is required: 1 to 1000 EC2 instance ids");
        }
        for (JsonNode id : ids) {
            if (!id.isTextual() || !dev.spotapi.spot.SpotIds.isEc2InstanceId(id.asText())) {
                throw new IllegalArgumentException("instancesToDetach must hold EC2 instance ids (i- and 8 or 17"
                        + " hexadecimal digits)");
            }
        }
        bool(o, "shouldDecrementTargetCapacity", true);
        bool(o, "shouldTerminateInstances", true);
        integer(o, "drainingTimeout", 0, 3600, false);
        return o;
    }

    /** Spot's suspensions body: {@code suspensions: [{name, ttlInMinutes 1-10080}]} (processes of {@link #PROCESSES}). */
    public static ObjectNode suspensionBody(JsonNode body) {
        ObjectNode o = object(body, "the body");
        known(o, "", Set.of("suspensions"));
        JsonNode list = o.get("suspensions");
        if (list == null || !list.isArray() || list.isEmpty() || list.size() > PROCESSES.size()) {
            throw new IllegalArgumentException("suspensions is required: [{\"name\": one of " + PROCESSES
                    + ", \"ttlInMinutes\": 1-10080 (optional)}]");
        }
        for (JsonNode s : list) {
            ObjectNode item = object(s, "each suspension");
            known(item, "suspensions.", Set.of("name", "ttlInMinutes"));
            oneOf(item, "name", PROCESSES, true);
            integer(item, "ttlInMinutes", 1, 10_080, false);
        }
        return o;
    }

    /** A process name of {@link #PROCESSES} (case as given must match). */
    public static String process(String name) {
        if (!PROCESSES.contains(name)) {
            throw new IllegalArgumentException("unknown process '" + clip(name) + "': one of " + PROCESSES);
        }
        return name;
    }

    /** The roll id path parameter: Spot's {@code sbgd-} ids (else no such roll: 404 without a Spot call). */
    public static boolean isRollId(String id) {
        return id != null && id.matches("sbgd-[0-9a-zA-Z]{1,32}");
    }

    private static ObjectNode object(JsonNode node, String what) {
        if (!(node instanceof ObjectNode o)) {
            throw new IllegalArgumentException(what + " must be a JSON object");
        }
        return o;
    }

    private static void known(ObjectNode o, String prefix, Set<String> allowed) {
        o.fieldNames().forEachRemaining(name -> {
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException("unknown field '" + prefix + clip(name) + "': allowed are "
                        + new java.util.TreeSet<>(allowed));
            }
        });
    }

    private static void integer(ObjectNode o, String name, int min, int max, boolean required) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(name + " is required: a whole number from " + min + " to " + max);
            }
            return;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max);
        }
    }

    private static void bool(ObjectNode o, String name, boolean required) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(name + " is required: true or false");
            }
            return;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(name + " must be true or false");
        }
    }

    private static void oneOf(ObjectNode o, String name, List<String> values, boolean required) {
        JsonNode v = o.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(name + " is required: one of " + values);
            }
            return;
        }
        if (!v.isTextual() || !values.contains(v.asText())) {
            throw new IllegalArgumentException(name + " must be one of " + values);
        }
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

}
