package dev.spotapi.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.account.Account;
import dev.spotapi.instance.CostWindow;
import dev.spotapi.org.Ownership;
import dev.spotapi.shared.SharedState;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotReply;
import dev.spotapi.spot.SpotResource;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The costs of the groups and managed instances this org deleted through spot-api, per account. Spot keeps no list
 * of deleted resources and answers a deleted id's costs with zeros (contract §9.1), so the cost roll-up
 * ({@link CostRollup}) could not count them: a delete first reads the resource's daily costs over its whole life
 * (OAS {@code GET /aws/ec2/group/{groupId}/costs} and {@code GET /aws/ec2/managedInstance/{id}/costs} with
 * {@code aggregationPeriod=daily}, through the account's cost fence) and, once Spot took the delete (or may have),
 * records them with the resource's space in the {@link SharedState} for {@link #RETENTION}. The roll-up adds the
 * days of its window. Costs that could not be read in {@link #READ_LIMIT} (Spot failing, the fence busy with a long
 * roll-up) never hold a delete back: the entry says so, and the roll-ups of windows before the delete are partial
 * (the id in {@code X-Cost-Missing}), never a guess.
 */
public final class CostLedger {
    private static final Logger LOG = LoggerFactory.getLogger(CostLedger.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a deleted resource's costs are kept: 400 days (Cost Explorer answers the last 13 months). */
    public static final Duration RETENTION = Duration.ofDays(400);
    /** How long a delete waits for the resource's costs before it goes ahead without them. */
    static final Duration READ_LIMIT = Duration.ofSeconds(10);

    /**
     * One deleted resource.
     *
     * @param kind      {@link SpotResource#noun()} of its kind ({@code elastigroup}, {@code managed instance})
     * @param space     its {@code spinup:spaceid}, {@code ""} for none
     * @param spaceSince the first day it was in {@code space} ({@link Ownership#SPACE_SINCE_TAG}), null: always
     * @param days      its costs per UTC day, {@code [actual USD, potential USD, running hours]}; null when they
     *                  could not be read before the delete
     * @param deletedAt when spot-api sent the delete
     */
    public record Entry(String kind, String id, String space, LocalDate spaceSince, Map<LocalDate, double[]> days,
            Instant deletedAt) {
        /** Whether the resource may have cost something in {@code [start, end)}. */
        boolean overlaps(LocalDate start, LocalDate end) {
            if (days == null) {
                return start.isBefore(deletedAt.atOffset(ZoneOffset.UTC).toLocalDate().plusDays(1));
            }
            return days.keySet().stream().anyMatch(d -> !d.isBefore(start) && d.isBefore(end));
        }
    }

    private final Ownership ownership;
    private final SharedState shared;

    /** @param shared where the entries are kept: this process (embedded) or Redis (every replica, restarts) */
    public CostLedger(Ownership ownership, SharedState shared) {
        this.ownership = ownership;
        this.shared = shared;
    }

    /**
     * Runs {@code delete} of the resource {@code id} of {@code kind} after reading its lifetime costs, and records
     * them when the delete succeeded or may have reached Spot ({@link SpotException#mayHaveActed}). The delete's
     * own outcome is the answer: the ledger never changes it.
     *
     * @param object the resource as read before the delete (its space and {@code createdAt}); when that read
     *               failed the delete still runs and, if it succeeds, the entry has neither space nor costs
     */
    public CompletableFuture<Void> deleting(Account account, SpotResource kind, String id,
            CompletableFuture<JsonNode> object, Supplier<CompletableFuture<Void>> delete) {
        CompletableFuture<Entry> before = object.handle((o, failure) -> o).thenCompose(o -> {
            String space = o == null ? "" : spaceOf(o);
            LocalDate since = o == null ? null : CostRollup.spaceSince(o);
            if (o == null) {
                return CompletableFuture.completedFuture(new Entry(kind.noun(), id, space, since, null, Instant.EPOCH));
            }
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            SpotCall call = SpotCall.get("get " + kind.noun() + " costs", kind.path(id) + "/costs")
                    .withQuery("fromDate", CostWindow.lifetimeFromDate(o, today))
                    .withQuery("toDate", CostWindow.lifetimeToDate(today))
                    .withQuery("aggregationPeriod", "daily");
            return account.spot().sendCosts(call)
                    .orTimeout(READ_LIMIT.toMillis(), TimeUnit.MILLISECONDS)
                    .handle((reply, failure) -> {
                        if (failure != null) {
                            LOG.warn("the costs of {} '{}' could not be read before its delete ({}): cost roll-ups"
                                    + " of its days will be partial", kind.noun(), id, describe(failure));
                            return new Entry(kind.noun(), id, space, since, null, Instant.EPOCH);
                        }
                        return new Entry(kind.noun(), id, space, since, days(reply, LocalDate.MIN,
                                LocalDate.MAX), Instant.EPOCH);
                    });
        });
        return before.thenCompose(entry -> {
            Instant sent = Instant.now();
            return delete.get().whenComplete((ignored, failure) -> {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (failure == null || cause instanceof SpotException s && s.mayHaveActed()) {
                    record(account, new Entry(entry.kind(), entry.id(), entry.space(), entry.spaceSince(), entry.days(),
                            sent));
                }
            });
        });
    }

    /**
     * This org's entries of {@code account}.
     *
     * @throws dev.spotapi.shared.SharedStateUnavailableException when the store cannot be reached
     */
    public List<Entry> entries(Account account) {
        List<Entry> out = new ArrayList<>();
        for (String text : shared.ledgerEntries(ledger(account))) {
            Entry e = decode(text);
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    private void record(Account account, Entry e) {
        shared.putLedgerEntry(ledger(account), e.kind() + ':' + e.id(), encode(e), RETENTION);
    }

    private String ledger(Account account) {
        return "costs\n" + account.name() + '\n' + ownership.org();
    }

    private static String spaceOf(JsonNode object) {
        String space = Ownership.tag(object, Ownership.SPACE_TAG);
        return space == null ? "" : space;
    }

    /**
     * The daily costs of a Spot costs reply (items {@code {"date", "costs": {"actual", "potential"},
     * "running": {"value"}}}, OAS {@code mi-costs.yaml}) on the days in {@code [from, to)}; items without a
     * readable date are left out.
     */
    static Map<LocalDate, double[]> days(SpotReply reply, LocalDate from, LocalDate to) {
        Map<LocalDate, double[]> days = new TreeMap<>();
        for (JsonNode item : reply.items()) {
            String date = item.path("date").asText("");
            LocalDate day;
            try {
                day = LocalDate.parse(date.substring(0, Math.min(10, date.length())));
            } catch (RuntimeException e) {
                continue;
            }
            if (day.isBefore(from) || !day.isBefore(to)) {
                continue;
            }
            double[] v = days.computeIfAbsent(day, d -> new double[3]);
            v[0] += item.path("costs").path("actual").asDouble(0);
            v[1] += item.path("costs").path("potential").asDouble(0);
            v[2] += item.path("running").path("value").asDouble(0);
        }
        return days;
    }

    /** {@code days} as {@code {"yyyy-MM-dd": [actual, potential, hours], ...}}. */
    static ObjectNode encodeDays(Map<LocalDate, double[]> days) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        days.forEach((d, v) -> o.putArray(d.toString()).add(v[0]).add(v[1]).add(v[2]));
        return o;
    }

    /** The map {@link #encodeDays} wrote; throws when {@code o} is not one. */
    static Map<LocalDate, double[]> decodeDays(JsonNode o) {
        if (!o.isObject()) {
            throw new IllegalArgumentException("not a map of days");
        }
        Map<LocalDate, double[]> days = new TreeMap<>();
        var fields = o.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            JsonNode v = e.getValue();
            days.put(LocalDate.parse(e.getKey()), new double[] {v.path(0).asDouble(), v.path(1).asDouble(),
                    v.path(2).asDouble()});
        }
        return days;
    }

    static String encode(Entry e) {
        ObjectNode o = JsonNodeFactory.instance.objectNode()
                .put("kind", e.kind()).put("id", e.id()).put("space", e.space())
                .put("deletedAt", e.deletedAt().toString());
        if (e.spaceSince() != null) {
            o.put("spaceSince", e.spaceSince().toString());
        }
        if (e.days() == null) {
            o.putNull("days");
        } else {
            o.set("days", encodeDays(e.days()));
        }
        return o.toString();
    }

    /** The entry {@link #encode} wrote, or null (logged) when the text is not one. */
    static Entry decode(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            JsonNode days = o.path("days");
            String since = o.path("spaceSince").asText("");
            return new Entry(o.path("kind").asText(), o.path("id").asText(), o.path("space").asText(""),
                    since.isEmpty() ? null : LocalDate.parse(since), days.isNull() || days.isMissingNode() ? null : decodeDays(days),
                    Instant.parse(o.path("deletedAt").asText()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("a cost ledger entry could not be read and is left out: {}", e.toString());
            return null;
        }
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return cause instanceof java.util.concurrent.TimeoutException ? "no answer in " + READ_LIMIT.toSeconds() + " s"
                : String.valueOf(cause.getMessage());
    }
}
