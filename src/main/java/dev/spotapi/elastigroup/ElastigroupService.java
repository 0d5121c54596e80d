package dev.spotapi.elastigroup;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.spotapi.account.Account;
import dev.spotapi.cost.CostLedger;
import dev.spotapi.spot.Correlation;
import dev.spotapi.org.Ownership;
import dev.spotapi.instance.CostWindow;
import dev.spotapi.power.PowerState;
import dev.spotapi.spot.Deallocation;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotReply;
import dev.spotapi.spot.SpotResource;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Elastigroups (AWS) of one account: the old service's CRUD plus status, capacity, scale, power,
 * costs, activity events and Elastilog (OAS {@code /aws/ec2/group/{groupId}/...}; contract §9.9).
 */
public final class ElastigroupService {
    /** Spot's elastigroup calls (OAS {@code /aws/ec2/group}). */
    public static final SpotResource GROUPS = new SpotResource("/aws/ec2/group", "group", "elastigroup");

    /**
     * The tag a stopped group carries on {@code compute.launchSpecification.tags}: its capacity before
     * the stop, as {@code minimum=2 maximum=4 target=2} (characters AWS allows in tag values).
     */
    public static final String STOPPED_CAPACITY_TAG = "spot-api:stopped-capacity";

    private final Ownership ownership;
    private final CostLedger ledger;

    /**
     * @param ownership which groups are this org's, and how their tag is kept on writes
     * @param ledger    where a deleted group's costs are kept for the cost roll-up
     */
    public ElastigroupService(Ownership ownership, CostLedger ledger) {
        this.ownership = ownership;
        this.ledger = ledger;
    }

    /**
     * The ids of this org's groups (of one space when {@code space} is not null), from one Spot list call read
     * as it arrives ({@link SpotResource#listIds}).
     */
    public CompletableFuture<List<String>> list(Account account, String space) {
        return GROUPS.listIds(account.spot(), ownership.listedKey(space), Ownership.LISTED_READS,
                item -> ownership.listed(item, space));
    }

    /** Creates the group carrying {@code correlation}'s tag (see {@link SpotResource#create}). */
    public CompletableFuture<JsonNode> create(Account account, ObjectNode group, Correlation correlation) {
        return GROUPS.create(account.spot(), dev.spotapi.tags.ResourceTagging.withDefaults(ownership.forCreate(group)),
                correlation);
    }

    public CompletableFuture<JsonNode> get(Account account, String id) {
        return GROUPS.read(account.spot(), id);
    }

    /**
     * The id in the path wins: any id in the body is dropped before it reaches Spot. An update that replaces the
     * tags keeps the server's own ({@code spinup:org}, the space, a stopped group's capacity:
     * {@link dev.spotapi.tags.ServerTags}); changing one is REJECTED (400).
     */
    public CompletableFuture<JsonNode> update(Account account, String id, ObjectNode partial) {
        return dev.spotapi.tags.ServerTags.update(account.spot(), GROUPS, id, partial, ownership);
    }

    /**
     * Deletes the group; {@code statefulDeallocation} deletes what {@code deallocation} does not keep. Its lifetime
     * costs are read first and kept in the {@link CostLedger} ({@code group}: the group as read before, for its
     * space and {@code createdAt}).
     */
    public CompletableFuture<Void> delete(Account account, String id, Deallocation deallocation,
            CompletableFuture<JsonNode> group) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("statefulDeallocation", deallocation.flags());
        return ledger.deleting(account, GROUPS, id, group, () -> GROUPS.delete(account.spot(), id, body));
    }

    /**
     * The group's instances (Spot's status items, possibly none). An empty list is checked against a
     * read of the group, so an unknown id is a NOT_FOUND and not an empty fleet.
     */
    public CompletableFuture<JsonNode> status(Account account, String id) {
        SpotCall call = SpotCall.get("get elastigroup status", GROUPS.path(id) + "/status");
        return account.spot().send(call).thenCompose(reply -> reply.items().isEmpty()
                ? GROUPS.read(account.spot(), id).thenApply(exists -> (JsonNode) reply.items())
                : CompletableFuture.completedFuture((JsonNode) reply.items()));
    }

    /** Sets any of minimum/maximum/target; answers the capacity Spot reports. Bounds are Spot's to check. */
    public CompletableFuture<JsonNode> capacity(Account account, String id, Capacity capacity) {
        return setCapacity(account, id, capacity, "update elastigroup capacity");
    }

    /** Spot's scale up/down by {@code adjustment} instances; answers Spot's scale item (new and victim instances). */
    public CompletableFuture<JsonNode> scale(Account account, String id, Scale scale) {
        SpotCall call = SpotCall.put("scale elastigroup " + scale.direction(),
                        GROUPS.path(id) + "/scale/" + scale.direction(), null)
                .withQuery("adjustment", Integer.toString(scale.adjustment()));
        return account.spot().send(call).thenApply(reply -> reply.firstItem()
                .orElseGet(JsonNodeFactory.instance::objectNode));
    }

    /**
     * Stop: remembers the capacity in {@link #STOPPED_CAPACITY_TAG} and sets 0/0/0, in one group update.
     * Start: restores the remembered capacity and removes the tag. Idempotent: a stop of a group already
     * stopped (tagged, or at 0/0/0) and a start of one already started (no tag, capacity above 0) succeed
     * with no write. A CONFLICT for a start at 0/0/0 without the tag (nothing to restore); reboot is not a
     * group operation.
     * {@code read} is the org check's read (when there was one): only its failure counts. The tags written
     * come from a read of the group made inside the group's write fence ({@link dev.spotapi.spot.SpotClient#exclusive}),
     * so no write answered before can be undone by this one and none can come between its read and its
     * write, on any replica (issue 20: a stale read lost a tag update and a capacity update).
     */
    public CompletableFuture<Void> power(Account account, String id, PowerState state, CompletableFuture<JsonNode> read) {
        if (state == PowerState.REBOOT) {
            return CompletableFuture.failedFuture(conflict("reboot elastigroup",
                    "an elastigroup cannot be rebooted: stop and start it, or reboot its instances"));
        }
        String operation = (state == PowerState.STOP ? "stop" : "start") + " elastigroup";
        return read.thenCompose(checked -> account.spot().exclusive(GROUPS.path(id), operation,
                spot -> GROUPS.read(spot, id).thenCompose(group -> powerFrom(spot, id, state, group))));
    }

    /** The power change computed from {@code group}, a read made inside the fence {@code spot} holds. */
    private CompletableFuture<Void> powerFrom(dev.spotapi.spot.SpotClient spot, String id, PowerState state,
            JsonNode group) {
        {
            ArrayNode tags = tags(group);
            String remembered = tagValue(tags, STOPPED_CAPACITY_TAG);
            Capacity current = Capacity.of(group.path("capacity"));
            ObjectNode change = JsonNodeFactory.instance.objectNode();
            ArrayNode newTags = withoutTag(tags, STOPPED_CAPACITY_TAG);
            if (state == PowerState.STOP) {
                if (current.isZero()) {
                    return CompletableFuture.completedFuture(null); // already stopped: idempotent, no write
                }
                newTags.addObject().put("tagKey", STOPPED_CAPACITY_TAG).put("tagValue", encode(current));
                // never past AWS's 50: a capacity set while stopped runs the group with the tag still on (attack round
                // 21); at the bound the stop is refused, nothing changed, and says why
                SpotException tooMany = dev.spotapi.spot.SpotPayloads.tooManyTags("stop elastigroup", tags.size(),
                        newTags.size());
                if (tooMany != null) {
                    return CompletableFuture.failedFuture(new SpotException(SpotException.Kind.REJECTED,
                            "stop elastigroup", 0, null, tooMany.spotMessage() + ": the stop keeps the capacity to start"
                            + " with in " + STOPPED_CAPACITY_TAG + "; remove a tag first", null, null, false));
                }
                change.set("capacity", Capacity.ZERO.toJson());
            } else {
                if (current.target() != null && current.target() > 0
                        || remembered == null && !current.isZero()) {
                    // already started: idempotent, no write; also with a stopped-capacity tag left from a stop, when a
                    // capacity with instances was set since: it stands (attack round 14: the scheduler's start put the
                    // remembered 1/3/2 over a 1/5/3 set after the nightly stop; the next stop replaces the tag). A
                    // group at target 0 with the tag is still stopped, whatever its maximum (round 15: 0/5/0 after a
                    // raised maximum was "started" with no instance): the remembered capacity is restored
                    return CompletableFuture.completedFuture(null);
                }
                if (remembered == null) {
                    return CompletableFuture.failedFuture(conflict("start elastigroup",
                            "elastigroup '" + id + "' is at capacity 0/0/0 without a " + STOPPED_CAPACITY_TAG
                            + " tag: there is no capacity to restore; set its capacity instead"));
                }
                Capacity restored = decode(remembered);
                if (restored == null) {
                    return CompletableFuture.failedFuture(conflict("start elastigroup", "elastigroup '" + id
                            + "' has an unreadable " + STOPPED_CAPACITY_TAG + " tag: set its capacity instead"));
                }
                change.set("capacity", restored.toJson());
            }
            change.putObject("compute").putObject("launchSpecification").set("tags", newTags);
            return GROUPS.update(spot, id, ownership.forUpdate(change)).thenApply(updated -> (Void) null);
        }
    }

    /**
     * Spot's group costs over the window, with {@code aggregationPeriod} passed through when given
     * (then every item, else the one item). Spot requires dates: a lifetime query asks from the day the
     * group was created through tomorrow ({@code toDate} = the day after tomorrow). The group is read first (lifetime) or at the same time, because
     * Spot's costs call does not reliably answer "not found" (contract §9.1). {@code group} is that
     * read (the org check's, when there was one).
     */
    public CompletableFuture<JsonNode> costs(Account account, String id, CostWindow window, String aggregationPeriod,
            CompletableFuture<JsonNode> group) {
        CompletableFuture<SpotReply> costs;
        if (window.isLifetime()) {
            costs = group.thenCompose(g -> account.spot().sendCosts(costsCall(id, lifetimeFrom(g),
                    LocalDate.now(ZoneOffset.UTC).plusDays(2).toString(), aggregationPeriod)));
        } else {
            costs = account.spot().sendCosts(costsCall(id, window.fromDate(), window.toDate(), aggregationPeriod));
        }
        return group.thenCombine(costs, (g, reply) -> aggregationPeriod != null ? (JsonNode) reply.items()
                : reply.firstItem().orElseGet(JsonNodeFactory.instance::objectNode));
    }

    /** Spot's activity events since {@code query.start()}; an empty answer is checked against a read. */
    public CompletableFuture<JsonNode> events(Account account, String id, ActivityQuery query) {
        SpotCall call = SpotCall.get("get elastigroup events", GROUPS.path(id) + "/events")
                .withQuery("fromDate", query.eventsFromDate());
        return itemsOfExisting(account, id, call);
    }

    /** Elastilog lines of the window (epoch millis, as Spot's logs call takes them), severity and limit. */
    public CompletableFuture<JsonNode> logs(Account account, String id, ActivityQuery query) {
        SpotCall call = SpotCall.get("get elastigroup logs", GROUPS.path(id) + "/logs")
                .withQuery("fromDate", Long.toString(query.start().toEpochMilli()))
                .withQuery("toDate", Long.toString(query.end().toEpochMilli()));
        if (query.severity() != null) {
            call = call.withQuery("severity", query.severity());
        }
        if (query.limit() != null) {
            call = call.withQuery("limit", Integer.toString(query.limit()));
        }
        return itemsOfExisting(account, id, call);
    }

    private CompletableFuture<JsonNode> setCapacity(Account account, String id, Capacity capacity, String operation) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.set("capacity", capacity.toJson());
        SpotCall call = SpotCall.put(operation, GROUPS.path(id) + "/capacity", body);
        return account.spot().send(call).thenApply(reply -> {
            JsonNode item = reply.firstItem().orElseGet(JsonNodeFactory.instance::objectNode);
            return item.has("capacity") ? item.get("capacity") : item;
        });
    }

    private static CompletableFuture<JsonNode> itemsOfExisting(Account account, String id, SpotCall call) {
        return account.spot().send(call).thenCompose(reply -> reply.items().isEmpty()
                ? GROUPS.read(account.spot(), id).thenApply(exists -> (JsonNode) reply.items())
                : CompletableFuture.completedFuture((JsonNode) reply.items()));
    }

    private static SpotCall costsCall(String id, String from, String to, String aggregationPeriod) {
        SpotCall call = SpotCall.get("get elastigroup costs", GROUPS.path(id) + "/costs")
                .withQuery("fromDate", from).withQuery("toDate", to);
        return aggregationPeriod == null ? call : call.withQuery("aggregationPeriod", aggregationPeriod);
    }

    /** The day the group was created ({@code createdAt} starts with yyyy-MM-dd); a year back when unknown. */
    private static String lifetimeFrom(JsonNode group) {
        String created = group.path("createdAt").asText("");
        if (created.length() >= 10) {
            try {
                return LocalDate.parse(created.substring(0, 10)).toString();
            } catch (java.time.format.DateTimeParseException e) {
                // fall through
            }
        }
        return LocalDate.now(ZoneOffset.UTC).minusYears(1).toString();
    }

    private static ArrayNode tags(JsonNode group) {
        JsonNode tags = group.path("compute").path("launchSpecification").path("tags");
        return tags.isArray() ? (ArrayNode) tags : JsonNodeFactory.instance.arrayNode();
    }

    private static String tagValue(ArrayNode tags, String key) {
        for (JsonNode t : tags) {
            if (key.equals(t.path("tagKey").asText(null))) {
                return t.path("tagValue").asText("");
            }
        }
        return null;
    }

    private static ArrayNode withoutTag(ArrayNode tags, String key) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        for (JsonNode t : tags) {
            if (!key.equals(t.path("tagKey").asText(null))) {
                out.add(t.deepCopy());
            }
        }
        return out;
    }

    static String encode(Capacity c) {
        return "minimum=" + c.minimum() + " maximum=" + c.maximum() + " target=" + c.target();
    }

    /** The capacity in a tag value written by {@link #encode}, or null when it is not one. */
    static Capacity decode(String value) {
        Integer min = null;
        Integer max = null;
        Integer target = null;
        for (String part : value.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                return null;
            }
            int n;
            try {
                n = Integer.parseInt(part.substring(eq + 1));
            } catch (NumberFormatException e) {
                return null;
            }
            if (n < 0 || n > Capacity.MAX) {
                return null;
            }
            switch (part.substring(0, eq)) {
                case "minimum" -> min = n;
                case "maximum" -> max = n;
                case "target" -> target = n;
                default -> {
                    return null;
                }
            }
        }
        return min == null || max == null || target == null ? null : new Capacity(min, max, target);
    }

    private static SpotException conflict(String operation, String message) {
        return new SpotException(SpotException.Kind.CONFLICT, operation, 0, null, message, null, null, false);
    }
}
