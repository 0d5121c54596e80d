package dev.spotapi.stateful;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.org.Ownership;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stateful-node operations of one account (issue 26): import of a running EC2 instance into a managed
 * instance (Spot's migration), bulk power of managed instances, and deletion of a managed instance's
 * volume. Org isolation: an import tags the new managed instance with {@code spinup:org} (and
 * {@code spinup:spaceid}); a migration status is shown only when its managed instance is this org's; bulk
 * power sends only this org's ids to Spot. Spot paths: OAS {@code /aws/ec2/managedInstance/migration},
 * {@code /migration/{id}}, {@code /state}, {@code /{id}/volume/{volumeId}}.
 */
public final class StatefulService {
    private static final Logger LOG = LoggerFactory.getLogger(StatefulService.class);
    private static final String MI = InstanceService.INSTANCES.path("").replaceAll("/$", "");
    /** Spot's 400 codes for a volume that cannot be deleted now (still attached): a CONFLICT. */
    static final Set<String> VOLUME_CONFLICT_CODES = Set.of("VOLUME_IN_USE", "VOLUME_ATTACHED");

    private final Ownership ownership;
    private final InstanceService instances;

    /**
     * @param ownership which instances are this org's, and the tag an import gets
     * @param instances the single-instance power call, for the per-id fallback of a refused bulk call
     */
    public StatefulService(Ownership ownership, InstanceService instances) {
        this.ownership = ownership;
        this.instances = instances;
    }

    /**
     * Starts the import, then tags the new managed instance with this org (and the space when given).
     * Answers {@code {"id": "smi-...", "migrationId": "smg-...", "state": "MIGRATE_START"}}. Spot refuses a
     * second import of the same EC2 instance (already managed), which makes a retried import safe. When the
     * tag cannot be written, the failure is answered (the untagged instance belongs to no org and is logged).
     */
    public CompletableFuture<ObjectNode> importInstance(Account account, ImportRequest request) {
        SpotCall call = SpotCall.post("import instance", MI + "/migration", request.toSpot());
        return account.spot().send(call).thenCompose(reply -> {
            JsonNode item = reply.firstItem().orElseThrow(() -> new SpotException(SpotException.Kind.BAD_REPLY,
                    call.operation(), 200, null, "Spot reported success but returned no migration",
                    reply.spotRequestId(), null, true));
            String id = item.path("managedInstanceId").asText("");
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.put("id", id);
            out.put("migrationId", item.path("migrationId").asText(""));
            out.put("state", item.path("state").asText(""));
            out.put("originalInstanceId", request.originalInstanceId());
            return tag(account, request, out);
        });
    }

    /** Tag attempts of an imported managed instance (the first one and two retries). */
    static final int TAG_ATTEMPTS = 3;
    /** Pause before a retry of the tag write, in milliseconds (times the attempt number). */
    static final long TAG_RETRY_MILLIS = 150;

    /**
     * Tags the imported managed instance {@code out.id} with this org (and space). The write is tried
     * {@link #TAG_ATTEMPTS} times; when it still fails, the instance exists at Spot but belongs to no org: the
     * answer is a 502-kind failure naming the instance as untagged (the operator runs {@code org-adopt}) and an
     * ERROR log line with account, instance and migration.
     */
    private CompletableFuture<ObjectNode> tag(Account account, ImportRequest request, ObjectNode out) {
        String id = out.path("id").asText("");
        ArrayNode tags = JsonNodeFactory.instance.arrayNode();
        if (request.space() != null) {
            tags.addObject().put("tagKey", Ownership.SPACE_TAG).put("tagValue", request.space());
        }
        ObjectNode partial = JsonNodeFactory.instance.objectNode();
        partial.putObject("compute").putObject("launchSpecification").set("tags", tags);
        ObjectNode update = ownership.forUpdate(partial);
        if (update.path("compute").path("launchSpecification").path("tags").isEmpty()) {
            return CompletableFuture.completedFuture(out);
        }
        return tagAttempt(account, id, update, 1).handle((ignored, failure) -> {
            if (failure != null) {
                Throwable cause = unwrap(failure);
                LOG.error("imported managed instance could not be tagged with its org account={} instance={}"
                        + " migration={} attempts={}: {} (run org-adopt)", account.name(), id,
                        out.path("migrationId").asText(), TAG_ATTEMPTS, cause.getMessage());
                throw new CompletionException(new SpotException(SpotException.Kind.UNREACHABLE,
                        "tag imported managed instance", cause instanceof SpotException s ? s.httpStatus() : 0, null,
                        "managed instance '" + id + "' (migration '" + out.path("migrationId").asText()
                                + "') was imported but is untagged: it belongs to no org until an operator runs"
                                + " org-adopt for it", cause instanceof SpotException s ? s.spotRequestId() : null,
                        null, true));
            }
            return out;
        });
    }

    private CompletableFuture<?> tagAttempt(Account account, String id, ObjectNode update, int attempt) {
        return InstanceService.INSTANCES.update(account.spot(), id, update).handle((ok, failure) -> {
            if (failure == null) {
                return CompletableFuture.completedFuture((Object) ok);
            }
            Throwable cause = unwrap(failure);
            boolean retryable = !(cause instanceof SpotException s) || (s.kind() != SpotException.Kind.REJECTED
                    && s.kind() != SpotException.Kind.AUTH_REJECTED);
            if (attempt >= TAG_ATTEMPTS || !retryable) {
                return CompletableFuture.failedFuture(cause);
            }
            LOG.warn("tag of imported managed instance failed, retrying account={} instance={} attempt={}: {}",
                    account.name(), id, attempt, cause.getMessage());
            return CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(
                    TAG_RETRY_MILLIS * attempt, java.util.concurrent.TimeUnit.MILLISECONDS))
                    .thenCompose(v -> tagAttempt(account, id, update, attempt + 1));
        }).thenCompose(f -> f);
    }

    /**
     * Imports many EC2 instances with one Spot bulk call ({@code POST /aws/ec2/managedInstance/migration/bulk},
     * OAS {@code miBulkImportInstance}); each started migration's managed instance is tagged as a single import
     * does. An instance Spot did not start (its {@code failures}) is imported on its own, so it gets Spot's own
     * refusal. Answers one entry per request, in order: {@code {"originalInstanceId", "id", "migrationId",
     * "state"}} or {@code {"originalInstanceId", "error": {"kind", "message"}}} ({@code kind}: not_found,
     * rejected, conflict, failed; an untagged import is failed, naming the managed instance).
     */
    public CompletableFuture<List<ObjectNode>> bulkImport(Account account, List<ImportRequest> requests) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ArrayNode migrations = body.putArray("migrations");
        requests.forEach(r -> migrations.add(r.toSpot().path("migration")));
        SpotCall call = SpotCall.post("import instances", MI + "/migration/bulk", body);
        return account.spot().send(call).thenCompose(reply -> {
            Map<String, JsonNode> started = new LinkedHashMap<>();
            reply.items().forEach(item -> started.putIfAbsent(item.path("data").path("originalInstanceId").asText(""),
                    item));
            List<CompletableFuture<ObjectNode>> each = new ArrayList<>();
            for (ImportRequest request : requests) {
                JsonNode item = started.remove(request.originalInstanceId());
                CompletableFuture<ObjectNode> one;
                if (item != null) {
                    ObjectNode out = JsonNodeFactory.instance.objectNode();
                    out.put("id", item.path("managedInstanceId").asText(""));
                    out.put("migrationId", item.path("migrationId").asText(""));
                    out.put("state", item.path("state").asText(""));
                    out.put("originalInstanceId", request.originalInstanceId());
                    one = tag(account, request, out);
                } else {
                    one = importInstance(account, request);
                }
                each.add(one.handle((ok, failure) -> ok != null ? ordered(ok) : importFailure(request, unwrap(failure))));
            }
            return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                    .thenApply(v -> each.stream().map(CompletableFuture::join).toList());
        });
    }

    private static ObjectNode ordered(ObjectNode ok) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.set("originalInstanceId", ok.get("originalInstanceId"));
        out.set("id", ok.get("id"));
        out.set("migrationId", ok.get("migrationId"));
        out.set("state", ok.get("state"));
        return out;
    }

    private static ObjectNode importFailure(ImportRequest request, Throwable cause) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("originalInstanceId", request.originalInstanceId());
        ObjectNode error = out.putObject("error");
        if (cause instanceof SpotException s) {
            error.put("kind", switch (s.kind()) {
                case NOT_FOUND -> "not_found";
                case REJECTED -> "rejected";
                case CONFLICT -> "conflict";
                default -> "failed";
            });
            error.put("message", s.spotMessage() != null ? s.spotMessage() : s.getMessage());
        } else {
            error.put("kind", "failed");
            error.put("message", "the request to Spot failed");
        }
        return out;
    }

    /**
     * The migration's status item ({@code migrationId, managedInstanceId, instanceId, state,
     * stateDescription}), when its managed instance is this org's; otherwise Spot's NOT_FOUND.
     */
    public CompletableFuture<JsonNode> migration(Account account, String migrationId) {
        SpotCall call = SpotCall.get("get migration status", MI + "/migration/" + migrationId);
        return account.spot().send(call).thenCompose(reply -> {
            JsonNode item = reply.firstItem().orElseThrow(() -> notFound(call, "migration '" + migrationId
                    + "' does not exist", reply.spotRequestId()));
            if (!ownership.enforced()) {
                return CompletableFuture.completedFuture(item);
            }
            String mi = item.path("managedInstanceId").asText("");
            return InstanceService.INSTANCES.read(account.spot(), mi).handle((object, failure) -> {
                if (failure != null || !ownership.owns(object)) {
                    throw notFound(call, "migration '" + migrationId + "' does not exist", null);
                }
                return item;
            });
        });
    }

    /**
     * Stop or start of many instances: one list call (ownership), then one Spot bulk call with this org's
     * ids. Answers one entry per requested id, in order: {@code {"id", "result": "accepted" | "not_found" |
     * "conflict" | "failed", "message"?}}. Ids that are not this org's (or do not exist) never reach a
     * writing call. When Spot refuses the bulk call (it is all or nothing), each id is sent on its own so
     * each gets its own answer.
     */
    public CompletableFuture<List<Map<String, String>>> bulkPower(Account account, BulkPower request) {
        return InstanceService.INSTANCES.list(account.spot()).thenCompose(items -> {
            Set<String> ours = items.stream()
                    .filter(item -> !ownership.enforced() || ownership.owns(item))
                    .map(item -> item.path("id").asText(""))
                    .collect(Collectors.toSet());
            Map<String, Map<String, String>> results = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
            List<String> send = new ArrayList<>();
            for (String id : request.instances()) {
                if (ours.contains(id)) {
                    send.add(id);
                    results.put(id, null);
                } else {
                    results.put(id, result(id, "not_found", "managed instance '" + id + "' does not exist"));
                }
            }
            if (send.isEmpty()) {
                return CompletableFuture.completedFuture(List.copyOf(results.values()));
            }
            return together(account, send, request, results, true).thenApply(done -> {
                synchronized (results) {
                    return List.copyOf(results.values());
                }
            });
        });
    }

    /**
     * One Spot bulk call for {@code ids}; when Spot refuses it (all or nothing: one id that cannot take the
     * state refuses them all), each half is sent again the same way, and a single id on its own through the
     * single-instance power (its own answer: already in the state is accepted). One refused id among N costs
     * about 2 log2(N) calls, not one call per id (the account's rate budget is shared). A failure other than a
     * refusal fails the whole request on the first call ({@code first}), and only its own ids later.
     */
    private CompletableFuture<Void> together(Account account, List<String> ids, BulkPower request,
            Map<String, Map<String, String>> results, boolean first) {
        if (ids.size() == 1 && !first) {
            String id = ids.get(0);
            return instances.power(account, id, request.state()).handle((ok, f) -> {
                results.put(id, f == null ? result(id, "accepted", null) : failed(id, unwrap(f)));
                return null;
            });
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ArrayNode states = body.putArray("managedInstanceStates");
        ids.forEach(id -> states.addObject().put("id", id).put("state", request.spotState()));
        SpotCall call = SpotCall.put("update managed instance states", MI + "/state", body).withoutItems();
        return account.spot().send(call).handle((reply, failure) -> {
            if (failure == null) {
                ids.forEach(id -> results.put(id, result(id, "accepted", null)));
                return CompletableFuture.<Void>completedFuture(null);
            }
            Throwable cause = unwrap(failure);
            boolean refused = cause instanceof SpotException s && (s.kind() == SpotException.Kind.REJECTED
                    || s.kind() == SpotException.Kind.NOT_FOUND || s.kind() == SpotException.Kind.CONFLICT);
            if (!refused) {
                if (first) {
                    throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                }
                ids.forEach(id -> results.put(id, failed(id, cause)));
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (ids.size() == 1) { // the only id was refused: its own answer
                return together(account, ids, request, results, false);
            }
            int half = ids.size() / 2;
            return together(account, ids.subList(0, half), request, results, false)
                    .thenCompose(done -> together(account, ids.subList(half, ids.size()), request, results, false));
        }).thenCompose(f -> f);
    }

    /**
     * Deletes a volume Spot keeps for the managed instance ({@code DELETE .../{id}/volume/{volumeId}}).
     * Spot's refusal of an attached volume is a CONFLICT; an unknown volume Spot's NOT_FOUND.
     */
    public CompletableFuture<Void> deleteVolume(Account account, String instanceId, String volumeId) {
        SpotCall call = SpotCall.delete("delete managed instance volume",
                InstanceService.INSTANCES.path(instanceId) + "/volume/" + volumeId, null).withoutItems();
        return account.spot().send(call).handle((reply, failure) -> {
            if (failure == null) {
                return null;
            }
            Throwable cause = unwrap(failure);
            if (cause instanceof SpotException s && s.kind() == SpotException.Kind.REJECTED && s.code() != null
                    && VOLUME_CONFLICT_CODES.contains(s.code())) {
                throw s.as(SpotException.Kind.CONFLICT);
            }
            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
        });
    }

    private static Map<String, String> result(String id, String result, String message) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("id", id);
        out.put("result", result);
        if (message != null) {
            out.put("message", message);
        }
        return out;
    }

    private static Map<String, String> failed(String id, Throwable cause) {
        if (cause instanceof SpotException s) {
            String result = switch (s.kind()) {
                case NOT_FOUND -> "not_found";
                case CONFLICT -> "conflict";
                default -> "failed";
            };
            return result(id, result, s.spotMessage() != null ? s.spotMessage() : s.getMessage());
        }
        return result(id, "failed", "the request to Spot failed");
    }

    private static SpotException notFound(SpotCall call, String message, String requestId) {
        return new SpotException(SpotException.Kind.NOT_FOUND, call.operation(), 200, null, message, requestId, null,
                false);
    }

    private static Throwable unwrap(Throwable failure) {
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }
}
