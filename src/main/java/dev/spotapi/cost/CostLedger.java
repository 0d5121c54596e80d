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
import dev.spotapi.spot.SpotTimestamps;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The costs of the groups and managed instances this org deleted through spot-api, per account. Spot keeps no list
 * of deleted resources and answers a deleted id's costs with zeros (contract §9.1), so the cost roll-up
 * ({@link CostRollup}) could not count them: a delete first reads the resource's daily costs over its whole life
 * (OAS {@code GET /aws/ec2/group/{groupId}/costs} and {@code GET /aws/ec2/managedInstance/{id}/costs} with
 * {@code aggregationPeriod=daily}, through the account's cost fence, waiting its turn up to {@link #FENCE_WAIT}) and,
 * once Spot took the delete (or may have), records them with the resource's space in the {@link SharedState} for
 * {@link #RETENTION}. The roll-up adds the days of its window.
 *
 * <p>Entries are kept by space and month ({@link #bucket}: one piece per month the resource ran in, with that month's
 * days), so that a roll-up reads only the months of its window and, asked for one space, only that space's pieces:
 * its cost does not grow with the deletes of other spaces and other months (attack round 8: one hash of 3,000
 * year-long resources made a one-day roll-up take seconds, and time out). Costs that could not be read (Spot
 * failing, the fence busy past {@link #FENCE_WAIT}) never hold a delete back: the entry says so, and the roll-ups of
 * windows within the resource's life are partial (the id in {@code X-Cost-Missing}), never a guess. An entry the
 * store could not take (Redis down) is kept in this process and written again before each read and record
 * ({@link #pending}): this replica's roll-ups count it meanwhile.
 */
public final class CostLedger {
    private static final Logger LOG = LoggerFactory.getLogger(CostLedger.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a deleted resource's costs are kept: 400 days (Cost Explorer answers the last 13 months). */
    public static final Duration RETENTION = Duration.ofDays(400);
    /**
     * How long a delete's cost read waits for the account's cost fence: a burst of deletes takes its turns one Spot
     * cost call at a time (attack round 8: with the 10 s of before, two of six deletes whose calls took 2 s each went
     * ahead without their costs). Beyond it the delete goes ahead without them. (A DELETE takes no
     * {@code Idempotency-Key}: no key's lease runs out while it waits here.)
     */
    public static final Duration FENCE_WAIT = Duration.ofSeconds(60);
    /** Entries kept in this process while the store cannot take them, at most. */
    static final int MAX_PENDING = 10_000;

    /**
     * One deleted resource (or one month's piece of it, as stored).
     *
     * @param kind       {@link SpotResource#noun()} of its kind ({@code elastigroup}, {@code managed instance})
     * @param space      its {@code spinup:spaceid}, {@code ""} for none
     * @param spaceSince the first day it was in {@code space} ({@link Ownership#SPACE_SINCE_TAG}), null: always
     * @param created    the UTC day it was created (Spot's {@code createdAt}), null when not known
     * @param days       its costs per UTC day, {@code [actual USD, potential USD, running hours]}; null when they
     *                   could not be read before the delete
     * @param deletedAt  when spot-api sent the delete
     */
    public record Entry(String kind, String id, String space, LocalDate spaceSince, LocalDate created,
            Map<LocalDate, double[]> days, Instant deletedAt) {
        /** Whether the resource may have cost something in {@code [start, end)}. */
        boolean overlaps(LocalDate start, LocalDate end) {
            if (days == null) {
                LocalDate deleted = deletedAt.atOffset(ZoneOffset.UTC).toLocalDate();
                return start.isBefore(deleted.plusDays(1)) && (created == null || end.isAfter(created));
            }
            return days.keySet().stream().anyMatch(d -> !d.isBefore(start) && d.isBefore(end));
        }

        /** The UTC days the resource may have run: its days, or (costs unknown) creation to deletion. */
        LocalDate firstDay() {
            if (days != null && !days.isEmpty()) {
                return new TreeMap<>(days).firstKey();
            }
            LocalDate deleted = deletedAt.atOffset(ZoneOffset.UTC).toLocalDate();
            return created != null ? created : deleted.minus(RETENTION);
        }

        LocalDate lastDay() {
            if (days != null && !days.isEmpty()) {
                return new TreeMap<>(days).lastKey();
            }
            return deletedAt.atOffset(ZoneOffset.UTC).toLocalDate();
        }
    }

    /** An entry the store could not take, and where it goes. */
    private record Pending(Account account, Entry entry) {
    }

    private final Ownership ownership;
    private final SharedState shared;
    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();

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
        if (shared.durable() && !reachableSoon()) {
            // the costs could not be kept where the other replicas read them: nothing is deleted (attack round 9)
            return CompletableFuture.failedFuture(new dev.spotapi.shared.SharedStateUnavailableException("the cost"
                    + " ledger (the shared state) cannot be reached, so the deleted " + kind.noun() + "'s costs could"
                    + " not be kept: nothing was deleted; retry later", null));
        }
        flushPending();
        CompletableFuture<Entry> before = object.handle((o, failure) -> o).thenCompose(o -> {
            if (o == null) {
                return CompletableFuture.completedFuture(new Entry(kind.noun(), id, "", null, null, null, Instant.EPOCH));
            }
            String space = spaceOf(o);
            LocalDate since = CostRollup.spaceSince(o);
            Instant createdAt = SpotTimestamps.parse(o.path("createdAt").asText(""));
            LocalDate created = createdAt == null ? null : createdAt.atOffset(ZoneOffset.UTC).toLocalDate();
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            SpotCall call = SpotCall.get("get " + kind.noun() + " costs", kind.path(id) + "/costs")
                    .withQuery("fromDate", CostWindow.lifetimeFromDate(o, today))
                    .withQuery("toDate", CostWindow.lifetimeToDate(today))
                    .withQuery("aggregationPeriod", "daily");
            // no timeout of its own: the fenced future ends only when Spot answered (attack round 8: giving up on
            // it released the fence while the read was still in flight at Spot)
            return oneAtATime(account, waitMs -> account.spot().sendCosts(call, waitMs))
                    .handle((reply, failure) -> {
                        if (failure != null) {
                            LOG.warn("the costs of {} '{}' could not be read before its delete ({}): cost roll-ups"
                                    + " of its days will be partial", kind.noun(), id, describe(failure));
                            return new Entry(kind.noun(), id, space, since, created, null, Instant.EPOCH);
                        }
                        return new Entry(kind.noun(), id, space, since, created, days(reply, LocalDate.MIN,
                                LocalDate.MAX), Instant.EPOCH);
                    });
        });
        return before.thenCompose(entry -> {
            Instant sent = Instant.now();
            return delete.get().whenComplete((ignored, failure) -> {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if ((failure == null || cause instanceof SpotException s && s.mayHaveActed()) && !costNothing(entry)) {
                    record(account, new Entry(entry.kind(), entry.id(), entry.space(), entry.spaceSince(),
                            entry.created(), entry.days(), sent));
                }
            });
        });
    }

    /** Per account: the last delete's cost read, which the next one waits for ({@link #oneAtATime}). */
    private final java.util.concurrent.ConcurrentHashMap<String, CompletableFuture<Void>> deleteReads =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * {@code read} (given the ms it may still wait for the cost fence) after the account's earlier delete cost reads:
     * deletes enter the account's cost fence one at a time, so that a burst of them never queues ahead of a user's or
     * the portal's cost call for more than one of theirs (attack round 12: 24 deletes of one org made another org's
     * cost read wait 5 s and fail 409). {@link #FENCE_WAIT} bounds the whole wait; beyond it the read fails (the
     * delete then goes ahead without its costs).
     */
    private CompletableFuture<dev.spotapi.spot.SpotReply> oneAtATime(Account account,
            java.util.function.LongFunction<CompletableFuture<dev.spotapi.spot.SpotReply>> read) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<?>[] previous = new CompletableFuture<?>[1];
        deleteReads.compute(accountKey(account), (k, tail) -> {
            previous[0] = tail == null ? CompletableFuture.completedFuture(null) : tail;
            return mine;
        });
        long deadline = System.nanoTime() + FENCE_WAIT.toNanos();
        CompletableFuture<dev.spotapi.spot.SpotReply> result = previous[0].copy()
                .orTimeout(FENCE_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                .handle((ok, late) -> late)
                .thenCompose(late -> late != null ? CompletableFuture.failedFuture(new java.util.concurrent.TimeoutException(
                        "earlier deletes' cost reads of this account took longer than " + FENCE_WAIT.toSeconds() + " s"))
                        : read.apply(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline
                                - System.nanoTime()))));
        result.whenComplete((reply, failure) -> {
            mine.complete(null);
            deleteReads.remove(accountKey(account), mine);
        });
        return result;
    }

    /**
     * Whether Spot said the resource cost nothing and ran no hour (every day zero, or no day: one deleted before it
     * ran): such an entry adds nothing to any roll-up, so it is not kept.
     */
    static boolean costNothing(Entry e) {
        if (e.days() == null) {
            return false;
        }
        for (double[] v : e.days().values()) {
            if (v[0] != 0 || v[1] != 0 || v[2] != 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether the shared state can be reached, asked up to three times over ~0.5 s: right after an outage its circuit
     * breaker lets one trial call through at a time, and a delete must not be refused for sharing that moment with
     * others (attack round 10).
     */
    private boolean reachableSoon() {
        for (int attempt = 0; attempt < 3; attempt++) {
            if (shared.reachable()) {
                return true;
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return shared.reachable();
    }

    /**
     * This org's deleted resources of {@code account} that may have cost something in {@code [start, end)}, of
     * {@code space} (null: every space): one entry per resource, with its days in the window's months.
     *
     * @throws dev.spotapi.shared.SharedStateUnavailableException when the store cannot be reached, or lost some
     *                                                             of the entries asked for (see also {@link #lostSince})
     */
    /**
     * Whether entries of a window starting on {@code start} may be gone because the store lost its data since they
     * were written ({@link dev.spotapi.shared.SharedState#lostDataAt}: a resource deleted before the loss with costs
     * in the loss's month or earlier); the entries that are there still count (attack round 12: a roll-up after a
     * FLUSHALL was complete without them).
     *
     * @throws dev.spotapi.shared.SharedStateUnavailableException when the store cannot be reached
     */
    public boolean lostSince(LocalDate start) {
        java.util.OptionalLong lost = shared.lostDataAt();
        return lost.isPresent() && !YearMonth.from(start).isAfter(YearMonth.from(
                java.time.Instant.ofEpochMilli(lost.getAsLong()).atZone(java.time.ZoneOffset.UTC)));
    }

    public List<Entry> entries(Account account, LocalDate start, LocalDate end, String space) {
        flushPending();
        List<YearMonth> months = months(start, end.minusDays(1));

        Map<String, Entry> byId = new LinkedHashMap<>();
        // the Spot account's entries, and those an earlier version kept under the config's name (until they expire)
        for (String key : List.of(accountKey(account), account.name())) {
            for (YearMonth month : months) {
                Set<String> spaces = new LinkedHashSet<>();
                if (space != null) {
                    spaces.add(space);
                } else {
                    spaces.addAll(shared.ledgerEntries(index(key, ownership.org(), month)));
                }
                for (String s : spaces) {
                    for (String text : shared.ledgerEntries(bucket(key, ownership.org(), s, month))) {
                        merge(byId, decode(text));
                    }
                }
            }
        }
        for (Pending p : pending) { // not written yet: counted here
            if (accountKey(p.account()).equals(accountKey(account))
                    && (space == null || space.equals(p.entry().space()))) {
                merge(byId, p.entry());
            }
        }
        List<Entry> out = new ArrayList<>();
        for (Entry e : byId.values()) {
            if (e.overlaps(start, end)) {
                out.add(e);
            }
        }
        return out;
    }

    private static void merge(Map<String, Entry> byId, Entry piece) {
        if (piece == null) {
            return;
        }
        Entry had = byId.get(piece.id());
        if (had == null) {
            byId.put(piece.id(), piece.days() == null ? piece
                    : new Entry(piece.kind(), piece.id(), piece.space(), piece.spaceSince(), piece.created(),
                            new TreeMap<>(piece.days()), piece.deletedAt()));
            return;
        }
        if (had.days() == null || piece.days() == null) {
            byId.put(piece.id(), new Entry(had.kind(), had.id(), had.space(), had.spaceSince(), had.created(), null,
                    had.deletedAt()));
            return;
        }
        had.days().putAll(piece.days());
    }

    /**
     * The ledger's name of {@code account}: {@code spot:} and its Spot account id, so that every name the config gives
     * one Spot account keeps and reads the same entries, and one name given to different Spot accounts (deployments
     * sharing one Redis) never mixes theirs (attack round 16). Entries of earlier versions are under the config's
     * name (no name can hold a ':'), read as well until they expire.
     */
    public static String accountKey(Account account) {
        return "spot:" + account.config().id();
    }

    /**
     * The store's name of the pieces of {@code account}'s ({@link #accountKey}) and {@code org}'s deleted resources in
     * {@code space} that ran in {@code month}.
     */
    public static String bucket(String account, String org, String space, YearMonth month) {
        return "costs\n" + account + '\n' + org + '\n' + month + '\n' + space;
    }

    /** The store's name of the spaces that have pieces in {@code month} (each entry is a space, by itself). */
    public static String index(String account, String org, YearMonth month) {
        // a name no bucket can have (those start with "costs\n"), whatever a space is called
        return "costs-spaces\n" + account + '\n' + org + '\n' + month;
    }

    private void record(Account account, Entry e) {
        if (!store(account, e)) {
            if (pending.size() < MAX_PENDING) {
                pending.add(new Pending(account, e));
                LOG.warn("the costs of deleted {} '{}' could not be kept in the shared state: kept in this process and"
                        + " written again later", e.kind(), e.id());
            } else {
                LOG.warn("the costs of deleted {} '{}' could not be kept in the shared state and {} others wait: lost",
                        e.kind(), e.id(), MAX_PENDING);
            }
        }
        flushPending();
    }

    /** Writes {@code e}'s pieces (one per month), the spaces' index first; false when the store refused one. */
    private boolean store(Account account, Entry e) {
        String org = ownership.org();
        String id = e.kind() + ':' + e.id();
        for (YearMonth month : months(e.firstDay(), e.lastDay())) {
            Map<LocalDate, double[]> days = null;
            if (e.days() != null) {
                days = new TreeMap<>();
                for (var d : e.days().entrySet()) {
                    if (YearMonth.from(d.getKey()).equals(month)) {
                        days.put(d.getKey(), d.getValue());
                    }
                }
            }
            Entry piece = new Entry(e.kind(), e.id(), e.space(), e.spaceSince(), e.created(), days, e.deletedAt());
            String key = accountKey(account);
            if (!shared.putLedgerEntry(index(key, org, month), e.space(), e.space(), RETENTION)
                    || !shared.putLedgerEntry(bucket(key, org, e.space(), month), id, encode(piece), RETENTION)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Writes the entries kept in this process while the store could not take them, oldest first, until one fails;
     * run every few seconds ({@code SpotApi}) as well as before each read and record. Never throws.
     */
    public void flushPending() {
        Pending p;
        while ((p = pending.peek()) != null) {
            if (!store(p.account(), p.entry())) {
                return;
            }
            pending.remove(p);
        }
    }

    /**
     * At stop: writes what is still kept in this process; what the store still refuses is logged whole (WARN, one
     * line per entry: the only copy left) so that an operator can put it back.
     */
    public void close() {
        try {
            flushPending();
        } catch (RuntimeException e) {
            LOG.warn("writing the kept cost ledger entries at stop failed: {}", e.toString());
        }
        for (Pending p : pending) {
            LOG.warn("cost ledger entry lost at stop (the shared state refused it) account={} entry={}",
                    p.account().name(), encode(p.entry()));
        }
    }

    private static List<YearMonth> months(LocalDate first, LocalDate last) {
        List<YearMonth> out = new ArrayList<>();
        for (YearMonth m = YearMonth.from(first); !m.isAfter(YearMonth.from(last)); m = m.plusMonths(1)) {
            out.add(m);
        }
        return out;
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
        if (e.created() != null) {
            o.put("created", e.created().toString());
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
            String created = o.path("created").asText("");
            return new Entry(o.path("kind").asText(), o.path("id").asText(), o.path("space").asText(""),
                    since.isEmpty() ? null : LocalDate.parse(since), created.isEmpty() ? null : LocalDate.parse(created),
                    days.isNull() || days.isMissingNode() ? null : decodeDays(days),
                    Instant.parse(o.path("deletedAt").asText()));
        } catch (IOException | RuntimeException e) {
            LOG.warn("a cost ledger entry could not be read and is left out: {}", e.toString());
            return null;
        }
    }

    private static String describe(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        return String.valueOf(cause.getMessage());
    }
}
