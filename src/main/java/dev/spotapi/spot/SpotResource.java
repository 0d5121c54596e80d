package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CRUD calls one kind of Spot object shares (elastigroups and managed instances differ only in
 * path, body wrapper and name): list ids, create, read, update, delete.
 */
public final class SpotResource {
    private static final Logger LOG = LoggerFactory.getLogger(SpotResource.class);
    private final String basePath;
    private final String wrapper;
    private final String noun;
    private final boolean wrappedList;

    /**
     * A kind whose list items are the objects themselves (elastigroups: the Go SDK decodes
     * {@code items[i]} of {@code GET /aws/ec2/group} into its {@code Group}).
     *
     * @param basePath e.g. {@code /aws/ec2/group}
     * @param wrapper  the body wrapper, e.g. {@code group}
     * @param noun     how messages name it, e.g. {@code elastigroup}
     */
    public SpotResource(String basePath, String wrapper, String noun) {
        this(basePath, wrapper, noun, false);
    }

    /**
     * @param wrappedList whether list items may come as {@code {"id","createdAt","updatedAt","config":{...}}}
     *                    (managed instances: OAS {@code mi-getAll}, the Java SDK; the Go SDK reads them flat;
     *                    contract §3.2); reads, creates and updates answer the object itself either way
     */
    public SpotResource(String basePath, String wrapper, String noun, boolean wrappedList) {
        this.basePath = basePath;
        this.wrapper = wrapper;
        this.noun = noun;
        this.wrappedList = wrappedList;
    }

    /**
     * A list item as the object itself, the shape a read answers, so that its tags are read where Spot
     * keeps them ({@code compute.launchSpecification.tags}) and nowhere else. A {@code config}-wrapped
     * item (only of a kind with {@code wrappedList}, and only when the item has no {@code compute} of
     * its own) becomes its {@code config} with the item's {@code id}, {@code createdAt} and
     * {@code updatedAt}. Any other {@code config} key is just an unknown field: never read.
     */
    public JsonNode object(JsonNode item) {
        JsonNode config = item.get("config");
        if (!wrappedList || !(config instanceof ObjectNode c) || item.has("compute")) {
            return item;
        }
        ObjectNode flat = c.deepCopy();
        for (String top : new String[] {"id", "createdAt", "updatedAt"}) {
            if (item.has(top)) {
                flat.set(top, item.get(top));
            }
        }
        return flat;
    }

    /**
     * {@link #object} for reading only: the same fields and values, but a wrapped item's {@code config} is
     * not copied deeply (its values are shared with {@code item}, which must then not be changed).
     */
    JsonNode objectView(JsonNode item) {
        JsonNode config = item.get("config");
        if (!wrappedList || !(config instanceof ObjectNode c) || item.has("compute")) {
            return item;
        }
        ObjectNode flat = c.objectNode();
        flat.setAll(c);
        for (String top : new String[] {"id", "createdAt", "updatedAt"}) {
            if (item.has(top)) {
                flat.set(top, item.get(top));
            }
        }
        return flat;
    }

    /** The resource's base path, e.g. {@code /aws/ec2/managedInstance}. */
    public String basePath() {
        return basePath;
    }

    /** The body wrapper, e.g. {@code group}. */
    public String wrapper() {
        return wrapper;
    }

    /**
     * {@code <basePath>/<id>}. Every id, from a caller or from one of Spot's answers, is checked against its kind's
     * form ({@link SpotIds}) before it is put in a path: an empty or malformed one (an import answer without its
     * {@code managedInstanceId}: attack round 6) would otherwise name another route (the list, for an empty one) and
     * act or check ownership on the wrong object. Throws {@link SpotException.Kind#NOT_FOUND} for such an id: nothing
     * is sent.
     */
    public String path(String id) {
        if (!isId(id)) {
            throw new SpotException(SpotException.Kind.NOT_FOUND, "find " + noun, 0, null,
                    noun + " '" + (id == null ? "" : id.length() > 40 ? id.substring(0, 40) + "..." : id)
                            + "' does not exist", null, null, false);
        }
        return basePath + "/" + id;
    }

    /** Whether {@code id} has the form of an id of this kind ({@code sig-...}, {@code smi-...}). */
    public boolean isId(String id) {
        return switch (wrapper) {
            case "group" -> SpotIds.isGroupId(id);
            case "managedInstance" -> SpotIds.isManagedInstanceId(id);
            default -> id != null && !id.isEmpty() && id.indexOf('/') < 0;
        };
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

    /**
     * The ids of the objects that {@code listed} accepts, each object as {@link #object} answers it, from one
     * streamed list call ({@link SpotClient#sendList}): each item is read with only the fields
     * {@code listed} reads ({@code reads}, paths within the object, e.g. {@code compute.launchSpecification.tags})
     * plus its id, decided on and dropped; an object whose id is not a string is left out.
     *
     * @param filterKey names what {@code listed} accepts: identical lists in flight with the same key share one call
     */
    public CompletableFuture<List<String>> listIds(SpotClient spot, String filterKey, ListView.Fields reads,
            Predicate<JsonNode> listed) {
        return spot.sendList(SpotCall.get("list " + noun + "s", basePath), idsView(filterKey, reads, listed))
                .thenApply(reply -> {
                    List<String> ids = new ArrayList<>(reply.items().size());
                    reply.items().forEach(id -> ids.add(id.asText()));
                    return ids;
                });
    }

    /** The view of {@link #listIds}: each item to its id (a string node) when {@code listed} accepts it, else null. */
    ListView idsView(String filterKey, ListView.Fields reads, Predicate<JsonNode> listed) {
        ListView.Fields fields = ListView.Fields.none().whole("id").and(reads);
        if (wrappedList) {
            // object(): a config-wrapped item is its config (fields read there), with the item's id on top;
            // an item with a compute of its own is read as it is
            fields = fields.present("compute").present("config").under("config", ListView.Fields.none().whole("id"))
                    .under("config", reads);
        }
        return ListView.of(noun + " ids " + filterKey, fields, item -> {
            JsonNode object = objectView(item);
            if (!listed.test(object)) {
                return null;
            }
            JsonNode id = object.get("id");
            return id != null && id.isTextual() ? id : null;
        });
    }

    /** Every object of the account, each as the object itself ({@link #object}: a wrapped list item unwrapped). */
    public CompletableFuture<List<JsonNode>> list(SpotClient spot) {
        return spot.send(SpotCall.get("list " + noun + "s", basePath)).thenApply(reply -> {
            List<JsonNode> items = new ArrayList<>(reply.items().size());
            reply.items().forEach(item -> items.add(object(item)));
            return items;
        });
    }

    /**
     * Creates the object with the correlation tag, so that no create is ever lost: when an earlier attempt
     * may have created it ({@link Correlation#lookFirst()}) the object is looked for before creating (a failed
     * look-up stops the create only when {@link Correlation#lookupRequired()}); when
     * the create call fails in a way that Spot may have acted on (timeout, connection lost after sending,
     * 5xx, bad reply), spot-api looks for the tag for up to {@link SpotClient#orphanSearchWindow()} and
     * answers the object it finds as the normal success (logged as recovered). Found nothing: the
     * failure, with a message that the object may still appear and the correlation token to look for.
     */
    public CompletableFuture<JsonNode> create(SpotClient spot, ObjectNode object, Correlation correlation) {
        ObjectNode tagged = correlation.tag(SpotPayloads.forSpot(object));
        SpotException tooMany = SpotPayloads.tooManyTags("create " + noun, 0, SpotPayloads.tagCount(tagged));
        if (tooMany != null) {
            return CompletableFuture.failedFuture(tooMany);
        }
        SpotCall call = SpotCall.post("create " + noun, basePath, SpotPayloads.wrap(wrapper, tagged));
        CompletableFuture<JsonNode> earlier = correlation.lookFirst(() -> find(spot, correlation), null, failure ->
                LOG.warn("create look-up failed account={} operation='{}' correlation={}: {}; creating (no earlier "
                        + "attempt is known)", spot.accountName(), call.operation(), correlation.token(),
                        failure.getMessage()));
        return earlier.thenCompose(found -> {
            if (found != null) {
                LOG.info("create recovered account={} operation='{}' correlation={} id={}: an earlier attempt with "
                        + "this idempotency key had created it", spot.accountName(), call.operation(),
                        correlation.token(), found.path("id").asText());
                spot.metrics().recovered(spot.accountName(), "earlier_attempt");
                return CompletableFuture.completedFuture(found);
            }
            correlation.beforeCreate();
            return spot.send(call)
                    .thenApply(reply -> reply.firstItem().orElseThrow(() -> noItem(call, reply)))
                    .exceptionallyCompose(failure -> recover(spot, call, correlation, SpotClient.unwrap(failure)));
        });
    }

    /** The object carrying this correlation tag (the oldest, should a duplicate exist), or null. */
    CompletableFuture<JsonNode> find(SpotClient spot, Correlation correlation) {
        return find(spot, correlation::taggedOn, "correlation tag " + correlation.token());
    }

    /**
     * The object {@code marked} accepts (the oldest by {@code createdAt}, should several), or null; one list call.
     *
     * @param mark what the objects are looked for by, for the log line about duplicates
     */
    public CompletableFuture<JsonNode> find(SpotClient spot, java.util.function.Predicate<JsonNode> marked, String mark) {
        return spot.send(SpotCall.get("list " + noun + "s", basePath)).thenApply(reply -> {
            List<JsonNode> matches = new ArrayList<>();
            reply.items().forEach(item -> {
                JsonNode object = object(item);
                if (marked.test(object)) {
                    matches.add(object);
                }
            });
            if (matches.size() > 1) {
                LOG.warn("{} {} objects carry {}: {}", matches.size(), noun, mark,
                        matches.stream().map(m -> m.path("id").asText()).toList());
                matches.sort(java.util.Comparator.comparing(m -> m.path("createdAt").asText("")));
            }
            return matches.isEmpty() ? null : matches.get(0);
        });
    }

    private CompletableFuture<JsonNode> recover(SpotClient spot, SpotCall call, Correlation correlation, Throwable failure) {
        if (!(failure instanceof SpotException e) || !e.mayHaveActed()) {
            return CompletableFuture.failedFuture(failure);
        }
        return search(spot, correlation::taggedOn, "correlation tag " + correlation.token()).thenApply(found -> {
            if (found == null) {
                LOG.warn("create outcome unknown account={} operation='{}' correlation={}: {}; no {} with that tag "
                        + "found yet", spot.accountName(), call.operation(), correlation.token(), e.spotMessage(), noun);
                spot.metrics().recovered(spot.accountName(), "not_found");
                throw new SpotException(e.kind(), e.operation(), e.httpStatus(), e.code(), e.spotMessage()
                        + "; the " + noun + " may still have been created or may still appear: it would carry the tag "
                        + Correlation.TAG_KEY + "=" + correlation.token()
                        + " (a retry with the same Idempotency-Key finds it)", e.spotRequestId(), e.retryAfter(), true);
            }
            LOG.info("create recovered account={} operation='{}' correlation={} id={}: the create call failed ({}) "
                    + "but Spot had created it", spot.accountName(), call.operation(), correlation.token(),
                    found.path("id").asText(), e.spotMessage());
            spot.metrics().recovered(spot.accountName(), "found");
            return found;
        });
    }

    /**
     * After a call that may have created an object although it failed: looks for it ({@link #find}) now and,
     * while nothing is found and the account's {@link SpotClient#orphanSearchWindow()} is not over, every 300 ms
     * again; null when nothing was found (a failed look-up counts as nothing found).
     */
    public CompletableFuture<JsonNode> search(SpotClient spot, java.util.function.Predicate<JsonNode> marked, String mark) {
        return search(spot, marked, mark, System.nanoTime() + spot.orphanSearchWindow().toNanos());
    }

    private CompletableFuture<JsonNode> search(SpotClient spot, java.util.function.Predicate<JsonNode> marked,
            String mark, long untilNanos) {
        CompletableFuture<JsonNode> lookup = find(spot, marked, mark).exceptionally(lookupFailed -> null);
        return lookup.thenCompose(found -> {
            long left = untilNanos - System.nanoTime();
            if (found != null || left <= 0) {
                return CompletableFuture.completedFuture(found);
            }
            long pause = Math.min(300, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left));
            return dev.spotapi.trace.TraceContext.pause(pause).thenCompose(ignored -> search(spot, marked, mark, untilNanos));
        });
    }

    public CompletableFuture<JsonNode> read(SpotClient spot, String id) {
        SpotCall call = SpotCall.get("get " + noun, path(id));
        return spot.send(call).thenApply(reply -> reply.firstItem().orElseThrow(() -> gone(call, id, reply)));
    }

    public CompletableFuture<JsonNode> update(SpotClient spot, String id, ObjectNode partial) {
        SpotCall call = SpotCall.put("update " + noun, path(id), SpotPayloads.wrap(wrapper,
                SpotPayloads.forSpotUpdate(partial, SpotSchema.forKind(wrapper))));
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
