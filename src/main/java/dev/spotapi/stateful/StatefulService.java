package dev.spotapi.stateful;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.org.Ownership;
import dev.spotapi.spot.Correlation;
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
    private static final String MI = InstanceService.INSTANCES.basePath();
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
     * Starts the import, then tags the new managed instance with this org (and the space when given) and gives it
     * its name ({@link ImportRequest#finalName}). Answers {@code {"id": "smi-...", "migrationId": "smg-...",
     * "state": "MIGRATE_START", "originalInstanceId"}}. Spot's import body takes no tags (OAS
     * {@code miImportInstance}), so the instance is named {@link Ownership#importNamePrefix} + the request's
     * correlation token while the import is in flight: when Spot's answer is lost after it may have imported (a
     * timeout, a dropped connection, a 5xx), the instance with that name is looked for during the account's orphan
     * search window and, found, tagged and answered (with {@code migrationId} and {@code state} null: they were in
     * the lost answer); a retry with the same {@code Idempotency-Key} (same token) looks for it before importing
     * again. Spot refuses a second import of an EC2 instance it already manages. When the tag cannot be written,
     * the failure is answered (the untagged instance belongs to no org and is logged).
     *
     * @param correlation the request's token (from its {@code Idempotency-Key}, else random) and whether an earlier
     *                    attempt may have imported already
     */
    public CompletableFuture<ObjectNode> importInstance(Account account, ImportRequest request, Correlation correlation) {
        String marker = marker(correlation.token());
        SpotCall call = SpotCall.post("import instance", MI + "/migration", request.toSpot(marker));
        CompletableFuture<JsonNode> earlier = correlation.lookFirst(
                () -> InstanceService.INSTANCES.find(account.spot(), named(marker), "name " + marker), null,
                failure -> LOG.warn("import look-up failed account={} name={}: {}; importing (no earlier attempt is"
                        + " known)", account.name(), marker, failure.getMessage()));
        return earlier.thenCompose(found -> {
            if (found != null) {
                LOG.info("import recovered account={} instance={} name={}: an earlier attempt with this idempotency"
                        + " key had imported it", account.name(), found.path("id").asText(), marker);
                return claim(account, request, found, marker);
            }
            correlation.beforeCreate();
            return account.spot().send(call).handle((reply, failure) -> {
                if (failure != null) {
                    return recover(account, request, marker, dev.spotapi.spot.SpotClient.unwrap(failure));
                }
                ObjectNode out = started(call, request, reply);
                return InstanceService.INSTANCES.isId(out.path("id").asText(""))
                        ? tag(account, request, out)
                        : recover(account, request, marker, withoutInstance(call, out)); // found by its in-flight name
            }).thenCompose(f -> f);
        });
    }

    /** The in-flight name of this org's import with this correlation token ({@link Ownership#importNamePrefix}). */
    String marker(String token) {
        return ownership.importNamePrefix() + token;
    }

    /** Spot's answer to an import: the migration started, as the import answers it. */
    private static ObjectNode started(SpotCall call, ImportRequest request, dev.spotapi.spot.SpotReply reply) {
        JsonNode item = reply.firstItem().orElseThrow(() -> new SpotException(SpotException.Kind.BAD_REPLY,
                call.operation(), 200, null, "Spot reported success but returned no migration",
                reply.spotRequestId(), null, true));
        return answer(item.path("managedInstanceId").asText(""), item.path("migrationId").asText(""),
                item.path("state").asText(""), request);
    }

    /**
     * Spot started the migration but its answer names no managed instance (an empty or malformed
     * {@code managedInstanceId}): the instance is looked for by its in-flight name, as after a lost answer.
     */
    private static SpotException withoutInstance(SpotCall call, ObjectNode out) {
        return new SpotException(SpotException.Kind.BAD_REPLY, call.operation(), 200, null, "Spot started migration '"
                + out.path("migrationId").asText("") + "' but named no managed instance", null, null, true);
    }

    private static ObjectNode answer(String id, String migrationId, String state, ImportRequest request) {
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("id", id);
        out.put("migrationId", migrationId);
        out.put("state", state);
        out.put("originalInstanceId", request.originalInstanceId());
        return out;
    }

    /**
     * An instance an import with this in-flight name may have made: named so and carrying no org tag, or this org's
     * (the tag and the final name are written together, so an in-flight import is tagged only by this deployment's
     * {@code org-adopt}; an instance of another org that carries the name is not it, whoever named it so).
     */
    private java.util.function.Predicate<JsonNode> named(String marker) {
        return object -> marker.equals(object.path("name").asText(null)) && untagged(object);
    }

    /** Without an org tag, or with this org's (its own {@code org-adopt} may have tagged it, keeping the name). */
    private boolean untagged(JsonNode object) {
        return !ownership.enforced() || Ownership.tag(object, Ownership.ORG_TAG) == null || ownership.owns(object);
    }

    /**
     * After an import call that failed in a way Spot may have acted on: the managed instance named {@code marker},
     * looked for during the orphan search window, tagged and answered; not found, the failure, saying what name the
     * instance would have.
     */
    private CompletableFuture<ObjectNode> recover(Account account, ImportRequest request, String marker, Throwable failure) {
        if (!(failure instanceof SpotException e) || !e.mayHaveActed()) {
            return CompletableFuture.failedFuture(failure);
        }
        return InstanceService.INSTANCES.search(account.spot(), named(marker), "name " + marker).thenCompose(found -> {
            if (found == null) {
                LOG.warn("import outcome unknown account={} original={} name={}: {}; no managed instance with that name"
                        + " found yet", account.name(), request.originalInstanceId(), marker, e.spotMessage());
                return CompletableFuture.failedFuture(unknownImport(e, marker));
            }
            LOG.info("import recovered account={} instance={} name={}: the import call failed ({}) but Spot had"
                    + " imported it", account.name(), found.path("id").asText(), marker, e.spotMessage());
            return claim(account, request, found, marker);
        });
    }

    private static SpotException unknownImport(SpotException e, String marker) {
        return unknownOutcome(e, "the EC2 instance may still have been imported: its managed instance would be named '"
                + marker + "'");
    }

    private static SpotException unknownOutcome(SpotException e, String mayHaveHappened) {
        return new SpotException(e.kind(), e.operation(), e.httpStatus(), e.code(), e.spotMessage() + "; "
                + mayHaveHappened + " (a retry with the same Idempotency-Key finds it and gives it its org)",
                e.spotRequestId(), e.retryAfter(), true);
    }

    /** A managed instance found by its in-flight name ({@link #named}): tagged, named and answered. */
    private CompletableFuture<ObjectNode> claim(Account account, ImportRequest request, JsonNode found, String marker) {
        return tag(account, request, answer(found.path("id").asText(""), null, null, request));
    }

    /** Tag attempts of an imported managed instance (the first one and two retries). */
    static final int TAG_ATTEMPTS = 3;
    /** Pause before a retry of the tag write, in milliseconds (times the attempt number). */
    static final long TAG_RETRY_MILLIS = 150;

    /**
     * Tags the imported managed instance {@code out.id} with this org (and space) and gives it its name
     * ({@link ImportRequest#finalName}) in one update. The write is tried {@link #TAG_ATTEMPTS} times; when it
     * still fails, the instance exists at Spot but belongs to no org: the answer is a 502-kind failure naming the
     * instance as untagged (the operator runs {@code org-adopt}) and an ERROR log line with account, instance and
     * migration.
     */
    private CompletableFuture<ObjectNode> tag(Account account, ImportRequest request, ObjectNode out) {
        String id = out.path("id").asText("");
        ObjectNode partial = JsonNodeFactory.instance.objectNode();
        partial.put("name", request.finalName());
        if (request.space() != null || ownership.enforced()) {
            ArrayNode tags = partial.putObject("compute").putObject("launchSpecification").putArray("tags");
            if (request.space() != null) {
                tags.addObject().put("tagKey", Ownership.SPACE_TAG).put("tagValue", request.space());
            }
        }
        ObjectNode update = ownership.forUpdate(partial);
        return tagAttempt(account, id, update, 1).handle((ignored, failure) -> {
            if (failure != null) {
                Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
                LOG.error("imported managed instance could not be tagged with its org account={} instance={}"
                        + " migration={} attempts={}: {} (a keyed retry of the import, or this deployment's org-adopt, tags it)", account.name(), id,
                        out.path("migrationId").asText(), TAG_ATTEMPTS, cause.getMessage());
                throw new CompletionException(new SpotException(SpotException.Kind.UNREACHABLE,
                        "tag imported managed instance", cause instanceof SpotException s ? s.httpStatus() : 0, null,
                        "managed instance '" + id + "' (migration '" + out.path("migrationId").asText()
                                + "') was imported but is untagged: it belongs to no org until a retry of this"
                                + " request with the same Idempotency-Key, or this deployment's org-adopt, tags it",
                        cause instanceof SpotException s ? s.spotRequestId() : null,
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
            Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
            boolean retryable = !(cause instanceof SpotException s) || (s.kind() != SpotException.Kind.REJECTED
                    && s.kind() != SpotException.Kind.AUTH_REJECTED);
            if (attempt >= TAG_ATTEMPTS || !retryable) {
                return CompletableFuture.failedFuture(cause);
            }
            LOG.warn("tag of imported managed instance failed, retrying account={} instance={} attempt={}: {}",
                    account.name(), id, attempt, cause.getMessage());
            return dev.spotapi.trace.TraceContext.pause(TAG_RETRY_MILLIS * attempt)
                    .thenCompose(v -> tagAttempt(account, id, update, attempt + 1));
        }).thenCompose(f -> f);
    }

    /**
     * Imports many EC2 instances with one Spot bulk call ({@code POST /aws/ec2/managedInstance/migration/bulk},
     * OAS {@code miBulkImportInstance}); each started migration's managed instance is tagged and named as a single
     * import does. An instance Spot did not start (its {@code failures}) is imported on its own, so it gets Spot's
     * own refusal. Each instance is named {@link Ownership#importNamePrefix} + token + {@code -<index>} while in
     * flight, so that, as for a single import, a lost answer (or a retry with the same {@code Idempotency-Key}) finds
     * what Spot imported: those found are tagged and answered (migration id and state null), the others answer the
     * doubt; when none is found, the whole request fails as the call did. Answers one entry per request, in order:
     * {@code {"originalInstanceId", "id", "migrationId", "state"}} or {@code {"originalInstanceId", "error": {"kind",
     * "message"}}} ({@code kind}: not_found, rejected, conflict, failed; an untagged import is failed, naming the
     * managed instance).
     */
    public CompletableFuture<List<ObjectNode>> bulkImport(Account account, List<ImportRequest> requests,
            Correlation correlation) {
        List<String> markers = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            markers.add(marker(itemToken(correlation, i)));
        }
        CompletableFuture<Map<String, JsonNode>> earlier = correlation.lookFirst(
                () -> namedAmong(account, markers, false), Map.of(),
                failure -> LOG.warn("bulk import look-up failed account={}: {}; importing (no earlier attempt is"
                        + " known)", account.name(), failure.getMessage()));
        return earlier.thenCompose(found -> {
            List<CompletableFuture<ObjectNode>> each = new ArrayList<>(java.util.Collections.nCopies(requests.size(), null));
            List<Integer> rest = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                JsonNode imported = found.get(markers.get(i));
                if (imported != null) {
                    LOG.info("import recovered account={} instance={} name={}: an earlier attempt with this"
                            + " idempotency key had imported it", account.name(), imported.path("id").asText(),
                            markers.get(i));
                    each.set(i, claim(account, requests.get(i), imported, markers.get(i)));
                } else {
                    rest.add(i);
                }
            }
            if (!rest.isEmpty()) {
                correlation.beforeCreate();
            }
            CompletableFuture<Void> sent = rest.isEmpty() ? CompletableFuture.completedFuture(null)
                    : sendBulk(account, requests, markers, rest, correlation, each);
            return sent.thenCompose(v -> {
                List<CompletableFuture<ObjectNode>> answered = new ArrayList<>(each.size());
                for (int i = 0; i < each.size(); i++) {
                    ImportRequest request = requests.get(i);
                    answered.add(each.get(i).handle((ok, failure) -> ok != null ? ordered(ok)
                            : importFailure(request, dev.spotapi.spot.SpotClient.unwrap(failure))));
                }
                return CompletableFuture.allOf(answered.toArray(CompletableFuture[]::new))
                        .thenApply(w -> answered.stream().map(CompletableFuture::join).toList());
            });
        });
    }

    /** The token of instance {@code index} of a bulk import. */
    private static String itemToken(Correlation correlation, int index) {
        return correlation.token() + "-" + index;
    }

    /**
     * One bulk call for the requests at {@code rest}; fills {@code each} at those indexes. A failure Spot may have
     * acted on is answered per instance from what a search by their names finds (none found: the call's failure).
     */
    private CompletableFuture<Void> sendBulk(Account account, List<ImportRequest> requests, List<String> markers,
            List<Integer> rest, Correlation correlation, List<CompletableFuture<ObjectNode>> each) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ArrayNode migrations = body.putArray("migrations");
        rest.forEach(i -> migrations.add(requests.get(i).toSpot(markers.get(i)).path("migration")));
        SpotCall call = SpotCall.post("import instances", MI + "/migration/bulk", body);
        return account.spot().send(call).handle((reply, failure) -> {
            if (failure == null) {
                Map<String, JsonNode> started = new LinkedHashMap<>();
                reply.items().forEach(item -> started.putIfAbsent(
                        item.path("data").path("originalInstanceId").asText(""), item));
                Map<String, String> refused = new LinkedHashMap<>();
                reply.failures().forEach(f -> refused.putIfAbsent(f.path("resourceId").asText(""),
                        f.path("errorMessage").asText("refused")));
                for (int i : rest) {
                    ImportRequest request = requests.get(i);
                    JsonNode item = started.remove(request.originalInstanceId());
                    String refusal = item == null ? refused.remove(request.originalInstanceId()) : null;
                    if (refusal != null) { // Spot's own answer for this instance: no second import (attack round 12)
                        // a failure carries only Spot's message (OAS bulkFailureMigration): not found when it says so
                        String lower = refusal.toLowerCase(java.util.Locale.ROOT);
                        boolean missing = lower.contains("does not exist") || lower.contains("doesn't exist")
                                || lower.contains("not found");
                        each.set(i, CompletableFuture.failedFuture(new SpotException(missing ? SpotException.Kind.NOT_FOUND
                                : SpotException.Kind.REJECTED, call.operation(), missing ? 404 : 400, null, refusal,
                                reply.spotRequestId(), null, false)));
                        continue;
                    }
                    if (item == null) { // neither imported nor refused in the reply: asked on its own
                        each.set(i, importInstance(account, request, new Correlation(itemToken(correlation, i), false)));
                        continue;
                    }
                    ObjectNode out = answer(item.path("managedInstanceId").asText(""), item.path("migrationId").asText(""),
                            item.path("state").asText(""), request);
                    each.set(i, InstanceService.INSTANCES.isId(out.path("id").asText("")) ? tag(account, request, out)
                            : recover(account, request, markers.get(i), withoutInstance(call, out)));
                }
                return CompletableFuture.<Void>completedFuture(null);
            }
            Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
            if (!(cause instanceof SpotException e) || !e.mayHaveActed()) {
                return CompletableFuture.<Void>failedFuture(cause);
            }
            return namedAmong(account, rest.stream().map(markers::get).toList(), true).thenCompose(found -> {
                if (found.isEmpty()) {
                    LOG.warn("bulk import outcome unknown account={} names={}..: {}; no managed instance with those"
                            + " names found yet", account.name(), markers.get(rest.get(0)), e.spotMessage());
                    return CompletableFuture.<Void>failedFuture(unknownOutcome(e, "the EC2 instances may still have"
                            + " been imported: their managed instances would be named '" + marker(itemToken(correlation,
                            rest.get(0))) + "' and so on, the number the instance's place in the request (from 0)"));
                }
                for (int i : rest) {
                    JsonNode imported = found.get(markers.get(i));
                    if (imported != null) {
                        LOG.info("import recovered account={} instance={} name={}: the bulk import call failed ({})"
                                + " but Spot had imported it", account.name(), imported.path("id").asText(),
                                markers.get(i), e.spotMessage());
                        each.set(i, claim(account, requests.get(i), imported, markers.get(i)));
                    } else {
                        each.set(i, CompletableFuture.failedFuture(unknownImport(e, markers.get(i))));
                    }
                }
                return CompletableFuture.<Void>completedFuture(null);
            });
        }).thenCompose(f -> f);
    }

    /**
     * The managed instances named by one of {@code markers}, by name: one list call; after a doubtful call
     * ({@code searchFirst}), the orphan search for any of them first (nothing found then: an empty map).
     */
    private CompletableFuture<Map<String, JsonNode>> namedAmong(Account account, List<String> markers,
            boolean searchFirst) {
        Set<String> wanted = Set.copyOf(markers);
        java.util.function.Predicate<JsonNode> any = object -> wanted.contains(object.path("name").asText(""))
                && untagged(object);
        CompletableFuture<JsonNode> first = searchFirst
                ? InstanceService.INSTANCES.search(account.spot(), any, "names " + markers.get(0) + "..")
                : CompletableFuture.completedFuture(JsonNodeFactory.instance.nullNode());
        return first.thenCompose(seen -> seen == null ? CompletableFuture.completedFuture(Map.<String, JsonNode>of())
                : InstanceService.INSTANCES.list(account.spot()).thenApply(items -> {
                    Map<String, JsonNode> byName = new java.util.HashMap<>();
                    items.stream().filter(any)
                            .sorted(java.util.Comparator.comparing(o -> o.path("createdAt").asText("")))
                            .forEach(o -> byName.putIfAbsent(o.path("name").asText(), o));
                    return byName;
                }));
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
                case CONFLICT, IN_PROGRESS -> "conflict";
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
     * stateDescription}), when its managed instance is this org's; otherwise NOT_FOUND, the same for a migration
     * that is missing, another org's or of no managed instance ({@link Ownership#missing}).
     */
    public CompletableFuture<JsonNode> migration(Account account, String migrationId) {
        SpotCall call = SpotCall.get("get migration status", MI + "/migration/" + migrationId);
        // missing, another org's or of no instance: one answer, in the same words (attack round 13)
        java.util.function.Supplier<SpotException> missing = () -> Ownership.missing(call.operation(), "migration",
                migrationId);
        CompletableFuture<JsonNode> read = Ownership.orMissing(call.operation(), "migration", migrationId,
                account.spot().send(call).thenApply(reply -> reply.firstItem().orElseThrow(missing)));
        if (!ownership.enforced()) {
            return read;
        }
        return read.thenCompose(item -> {
            String mi = item.path("managedInstanceId").asText("");
            if (!InstanceService.INSTANCES.isId(mi)) {
                throw missing.get(); // no owner to check
            }
            return ownership.owned(call.operation(), "migration", migrationId,
                    InstanceService.INSTANCES.read(account.spot(), mi)).thenApply(owner -> item);
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
            // every instance's write fence held from the first write to the last answer: no other write to one of
            // them can come between, nor land after this one's answer (attack round 12)
            List<String> objects = send.stream().map(InstanceService.INSTANCES::path).toList();
            return account.spot().exclusiveAll(objects, "update managed instance states",
                    spot -> together(spot, send, request, results, true)).thenApply(done -> {
                        synchronized (results) {
                            return List.copyOf(results.values());
                        }
                    });
        });
    }

    /**
     * One Spot bulk call for {@code ids}; when Spot refuses it (all or nothing: one id that cannot take the
     * state refuses them all), the ids are split ({@link #split}), and a single id goes on its own through the
     * single-instance power (its own answer: already in the state is accepted); the account's rate budget is shared,
     * so no refusal costs a call per id and more. A failure other than a refusal fails the whole request on the first
     * call ({@code first}), and only its own ids later.
     */
    private CompletableFuture<Void> together(dev.spotapi.spot.SpotClient spot, List<String> ids, BulkPower request,
            Map<String, Map<String, String>> results, boolean first) {
        return bulk(spot, ids, request, results, first).thenCompose(refused -> {
            if (!refused) {
                return CompletableFuture.completedFuture(null);
            }
            return ids.size() == 1 ? single(spot, ids.get(0), request, results) : split(spot, ids, request, results);
        });
    }

    /**
     * One bulk call for {@code ids}: true when Spot refused it (all or nothing); accepted ids and, past the first
     * call, ids of another failure get their result here. A failure other than a refusal of the first call fails the
     * whole request.
     */
    private CompletableFuture<Boolean> bulk(dev.spotapi.spot.SpotClient spot, List<String> ids, BulkPower request,
            Map<String, Map<String, String>> results, boolean first) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ArrayNode states = body.putArray("managedInstanceStates");
        ids.forEach(id -> states.addObject().put("id", id).put("state", request.spotState()));
        SpotCall call = SpotCall.put("update managed instance states", MI + "/state", body).withoutItems()
                .writing(ids.stream().map(InstanceService.INSTANCES::path).toList());
        return spot.send(call).handle((reply, failure) -> {
            if (failure == null) {
                ids.forEach(id -> results.put(id, result(id, "accepted", null)));
                return false;
            }
            Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
            boolean refused = cause instanceof SpotException s && (s.kind() == SpotException.Kind.REJECTED
                    || s.kind() == SpotException.Kind.NOT_FOUND || s.kind() == SpotException.Kind.CONFLICT);
            if (refused) {
                return true;
            }
            if (first) {
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            ids.forEach(id -> results.put(id, failed(id, cause)));
            return false;
        });
    }

    /** One id on its own through the single-instance power (its own answer: already in the state is accepted). */
    private CompletableFuture<Void> single(dev.spotapi.spot.SpotClient spot, String id, BulkPower request,
            Map<String, Map<String, String>> results) {
        return instances.powerHeld(spot, id, request.state()).handle((ok, f) -> {
            results.put(id, f == null ? result(id, "accepted", null) : failed(id, dev.spotapi.spot.SpotClient.unwrap(f)));
            return null;
        });
    }

    /**
     * {@code ids} were refused together: each half is sent again. When only one half is refused, it is halved again
     * (one refused id among N costs about 2 log2(N) calls, attack round 2); when both are, many ids are refused and
     * each instance's status is read instead ({@link #planned}: about one read per id, attack round 12: halving
     * every half of 32 instances all stopped already cost 64 calls).
     */
    private CompletableFuture<Void> split(dev.spotapi.spot.SpotClient spot, List<String> ids, BulkPower request,
            Map<String, Map<String, String>> results) {
        List<String> a = ids.subList(0, ids.size() / 2);
        List<String> b = ids.subList(ids.size() / 2, ids.size());
        return bulk(spot, a, request, results, false).thenCompose(aRefused -> bulk(spot, b, request, results, false)
                .thenCompose(bRefused -> {
                    if (aRefused && bRefused) {
                        return planned(spot, ids, request, results);
                    }
                    List<String> refused = aRefused ? a : bRefused ? b : List.of();
                    if (refused.isEmpty()) {
                        return CompletableFuture.completedFuture(null);
                    }
                    return refused.size() == 1 ? single(spot, refused.get(0), request, results)
                            : split(spot, refused, request, results);
                }));
    }

    /**
     * Each instance's status (one read each, inside the fences held): those already in the state or moving to it
     * accepted, those moving the other way a conflict, one bulk call for the others; when Spot refuses that too,
     * each of them on its own ({@link #single}).
     */
    private CompletableFuture<Void> planned(dev.spotapi.spot.SpotClient spot, List<String> ids, BulkPower request,
            Map<String, Map<String, String>> results) {
        java.util.Set<String> act = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (String id : ids) {
            reads.add(instances.plan(spot, id, request.state()).handle((plan, f) -> {
                if (f != null || plan == dev.spotapi.power.PowerPlan.ACT) {
                    act.add(id);
                } else if (plan == dev.spotapi.power.PowerPlan.OPPOSITE) {
                    results.put(id, result(id, "conflict", "managed instance '" + id + "' is moving the other way:"
                            + " retry when the transition is over"));
                } else {
                    results.put(id, result(id, "accepted", null));
                }
                return null;
            }));
        }
        return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenCompose(read -> {
            List<String> left = ids.stream().filter(act::contains).toList(); // in the request's order
            if (left.isEmpty()) {
                return CompletableFuture.completedFuture(null);
            }
            return bulk(spot, left, request, results, false).thenCompose(refused -> {
                if (!refused) {
                    return CompletableFuture.completedFuture(null);
                }
                CompletableFuture<Void> each = CompletableFuture.completedFuture(null);
                for (String id : left) {
                    each = each.thenCompose(x -> single(spot, id, request, results));
                }
                return each;
            });
        });
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
            Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
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
                // moving the other way (409 on the single route) is a conflict too (attack round 6)
                case CONFLICT, IN_PROGRESS -> "conflict";
                default -> "failed";
            };
            return result(id, result, s.spotMessage() != null ? s.spotMessage() : s.getMessage());
        }
        return result(id, "failed", "the request to Spot failed");
    }
}
