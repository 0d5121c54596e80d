package dev.spotapi.cost;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.spotapi.account.Account;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.org.Ownership;
import dev.spotapi.shared.SharedState;
import dev.spotapi.spot.SpotCall;
import dev.spotapi.spot.SpotResource;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The cost of this org's elastigroups and managed instances of one account over a window, in the shape of the
 * portal's AWS cost service (YaleSpinup/cost-api answers Cost Explorer's {@code []*costexplorer.ResultByTime}:
 * {@code [{"Estimated", "Groups": [{"Keys": [...], "Metrics": {...}}], "TimePeriod": {"Start", "End"},
 * "Total": {"BlendedCost": {"Amount": "1.23", "Unit": "USD"}, ...}}]}), so the portal adds it to a space's cost
 * as is. Metrics: {@code BlendedCost} and {@code UnblendedCost} = Spot's actual cost, {@code UsageQuantity} =
 * running hours ({@code Hrs}), {@code SpotPotentialCost} = on-demand cost, {@code SpotSavings} = potential −
 * actual (USD). Amounts are decimal strings with 4 places.
 *
 * <p>Spot answers 400 to concurrent cost calls of one account, so every cost call of a Spot account goes
 * through one fence ({@link dev.spotapi.spot.SpotClient#sendCosts}: one at a time, across
 * replicas with Redis). Each resource's daily costs (Spot's {@code aggregationPeriod=daily}) are cached for
 * {@link #CACHE_TTL} (closed windows only), in this process and in the shared state (Redis mode: every replica). At most {@link #MAX_RESOURCES} resources per roll-up; a resource over the
 * bound, or whose call failed, makes the answer partial: {@link Result#missing} names them and every period
 * is {@code Estimated} — never a guess.
 */
public final class CostRollup {
    /** Most resources one roll-up asks Spot about. */
    public static final int MAX_RESOURCES = 200;
    static final Duration CACHE_TTL = Duration.ofMinutes(5);

    /**
     * One resource of the roll-up.
     *
     * @param space      its space, {@code ""} for none
     * @param spaceSince the first day it was in {@code space} ({@link Ownership#SPACE_SINCE_TAG}), null: always
     */
    record Resource(SpotResource kind, String id, String space, LocalDate spaceSince) {
        /** The space the resource was in on {@code day}: {@code ""} before it got one. */
        String spaceOn(LocalDate day) {
            return spaceSince != null && day.isBefore(spaceSince) ? "" : space;
        }
    }

    /** The answer: the periods, and the ids whose costs are missing from them (empty when complete). */
    public record Result(ArrayNode resultsByTime, List<String> missing) {
        public boolean partial() {
            return !missing.isEmpty();
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
    private final Ownership ownership;
    private final SharedState shared;
    private final CostLedger ledger;
    /**
     * The cached days' memory at most, bytes: a sixteenth of the heap, at most 16 MiB (20,000 entries of up to
     * 366 days each, the bound before, could take ~700 MB: year-long windows filled the launcher's 64 MiB heap).
     */
    static final long CACHE_BYTES = Math.min(16L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 16);
    /** What one cached day costs (a map entry, its date, its three numbers), bytes, roughly. */
    private static final int BYTES_PER_DAY = 120;

    private final Cache<String, Map<LocalDate, double[]>> cache = Caffeine.newBuilder()
            .expireAfterWrite(CACHE_TTL)
            .maximumWeight(CACHE_BYTES)
            .weigher((String key, Map<LocalDate, double[]> days) -> 64 + key.length() * 2 + BYTES_PER_DAY * days.size())
            .build();

    /**
     * @param shared where closed windows' costs are shared between replicas (Redis mode), as stored answers
     *               under a key derived from account, org, resource and window; an unreachable store only
     *               costs the sharing
     * @param ledger the costs of the resources this org deleted through spot-api, added for the days of a window
     */
    public CostRollup(Ownership ownership, SharedState shared, CostLedger ledger) {
        this.ownership = ownership;
        this.shared = shared;
        this.ledger = ledger;
    }

    /** Lists this org's groups and instances (of {@code q.space()} when given), then their costs, one call at a time. */
    public CompletableFuture<Result> rollup(Account account, CostQuery q) {
        CompletableFuture<List<JsonNode>> groups = ElastigroupService.GROUPS.list(account.spot());
        CompletableFuture<List<JsonNode>> instances = InstanceService.INSTANCES.list(account.spot());
        return groups.thenCombine(instances, (g, i) -> {
            List<Resource> out = new ArrayList<>();
            g.stream().filter(item -> ownership.listed(item, q.space()))
                    .forEach(item -> out.add(resource(ElastigroupService.GROUPS, item)));
            i.stream().filter(item -> ownership.listed(item, q.space()))
                    .forEach(item -> out.add(resource(InstanceService.INSTANCES, InstanceService.INSTANCES.object(item))));
            return out;
        }).thenCompose(resources -> costs(account, q, resources));
    }

    /**
     * Adds the deleted resources of the window ({@link #ledger}, of {@code q.space()} when given), read after the
     * listed resources' costs: a resource listed, then deleted before its costs were read (Spot answers a deleted
     * id's costs with zeros), takes the higher of the two figures of each day (attack round 8: a roll-up racing a
     * delete dropped it); a delete whose outcome was unknown is recorded too, and the resource may still exist.
     */
    private void addDeleted(Account account, CostQuery q, List<Resource> resources,
            Map<Resource, Map<LocalDate, double[]>> daily, List<String> missing) {
        List<CostLedger.Entry> entries;
        try {
            entries = ledger.entries(account, q.start(), q.end(), q.space());
            if (ledger.lostSince(q.start())) {
                missing.add(LEDGER_UNREADABLE); // what is there counts, but some may be gone
            }
        } catch (RuntimeException e) {
            missing.add(LEDGER_UNREADABLE);
            return;
        }
        Map<String, Resource> listed = new java.util.HashMap<>();
        daily.keySet().forEach(r -> listed.put(r.id(), r));
        java.util.Set<String> unread = new java.util.HashSet<>();
        resources.forEach(r -> unread.add(r.id()));
        unread.removeAll(listed.keySet()); // listed, but their costs could not be read: they stay missing
        entries.sort(java.util.Comparator.comparing(CostLedger.Entry::id));
        for (CostLedger.Entry e : entries) {
            if (unread.contains(e.id())) {
                continue; // still listed: its old entry (a delete in doubt) is no stand-in for its costs now
            }
            Resource r = listed.get(e.id());
            if (e.days() == null) {
                if (r == null && !missing.contains(e.id())) {
                    missing.add(e.id());
                }
            } else if (r != null) {
                Map<LocalDate, double[]> merged = new java.util.TreeMap<>(daily.get(r));
                e.days().forEach((day, v) -> merged.merge(day, v, (a, b) -> new double[] {Math.max(a[0], b[0]),
                        Math.max(a[1], b[1]), Math.max(a[2], b[2])}));
                daily.put(r, merged);
            } else {
                daily.put(new Resource(null, e.id(), e.space(), e.spaceSince()), e.days());
            }
        }
    }

    /** What {@code X-Cost-Missing} names when the ledger of deleted resources could not be read. */
    public static final String LEDGER_UNREADABLE = "deleted-resources";

    private static Resource resource(SpotResource kind, JsonNode item) {
        String space = Ownership.tag(item, Ownership.SPACE_TAG);
        return new Resource(kind, item.path("id").asText(), space == null ? "" : space, spaceSince(item));
    }

    /** The day of {@link Ownership#SPACE_SINCE_TAG}, or null when the resource has none (or not a date). */
    static LocalDate spaceSince(JsonNode item) {
        String since = Ownership.tag(item, Ownership.SPACE_SINCE_TAG);
        try {
            return since == null || since.isEmpty() ? null : LocalDate.parse(since);
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private CompletableFuture<Result> costs(Account account, CostQuery q, List<Resource> resources) {
        List<String> missing = new ArrayList<>();
        Map<Resource, Map<LocalDate, double[]>> daily = new LinkedHashMap<>();
        CompletableFuture<Void> chain = CompletableFuture.completedFuture(null);
        for (int n = 0; n < resources.size(); n++) {
            Resource r = resources.get(n);
            if (n >= MAX_RESOURCES) {
                missing.add(r.id());
                continue;
            }
            chain = chain.thenCompose(ignored -> daily(account, q, r).handle((days, failure) -> {
                synchronized (daily) {
                    if (failure != null) {
                        missing.add(r.id());
                    } else {
                        daily.put(r, days);
                    }
                }
                return null;
            }));
        }
        return chain.thenApply(ignored -> {
            synchronized (daily) {
                addDeleted(account, q, resources, daily, missing);
                return new Result(shape(q, daily, !missing.isEmpty()), List.copyOf(missing));
            }
        });
    }

    /** The resource's costs per day of the window ({@code [actual, potential, hours]}), from the cache or Spot. */
    private CompletableFuture<Map<LocalDate, double[]>> daily(Account account, CostQuery q, Resource r) {
        String key = account.name() + '|' + ownership.org() + '|' + r.id() + '|' + q.start() + '|' + q.end();
        Map<LocalDate, double[]> cached = cache.getIfPresent(key);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        boolean closed = !q.end().isAfter(LocalDate.now(ZoneOffset.UTC)); // a window still running changes
        String sharedKey = "spot-api:cost-cache:" + dev.spotapi.shared.Hashes.sha256Hex(key);
        boolean owned = false;
        String owner = null;
        if (closed) {
            try {
                SharedState.Claim claim = shared.claim(sharedKey, "cost-cache", System.currentTimeMillis() + 60_000,
                        CACHE_TTL);
                if (claim.outcome() == SharedState.Outcome.DONE && claim.reply() != null) {
                    Map<LocalDate, double[]> days = decode(claim.reply().body());
                    if (days != null) {
                        cache.put(key, days);
                        return CompletableFuture.completedFuture(days);
                    }
                }
                owner = claim.owner(); // NEW or RESUMED: this call fills the shared entry
                owned = owner != null;
            } catch (RuntimeException e) {
                owned = false; // the store is unreachable: no sharing, the answer is still right
            }
        }
        boolean store = owned;
        String filler = owner;
        SpotCall call = SpotCall.get("get " + r.kind().noun() + " costs", r.kind().path(r.id()) + "/costs")
                .withQuery("fromDate", q.start().toString()).withQuery("toDate", q.end().toString())
                .withQuery("aggregationPeriod", "daily");
        CompletableFuture<Map<LocalDate, double[]>> result = account.spot()
                .sendCosts(call).thenApply(reply -> {
            Map<LocalDate, double[]> days = CostLedger.days(reply, q.start(), q.end());
            if (closed) {
                cache.put(key, days);
            }
            return days;
        });
        if (store) {
            result.whenComplete((days, failure) -> {
                try {
                    if (failure == null) {
                        shared.complete(sharedKey, filler, new SharedState.StoredReply(200, "application/json",
                                encode(days)), CACHE_TTL);
                    } else {
                        shared.release(sharedKey, filler);
                    }
                } catch (RuntimeException e) {
                    // sharing only: the answer stands
                }
            });
        }
        return result;
    }

    private static byte[] encode(Map<LocalDate, double[]> days) {
        return CostLedger.encodeDays(days).toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** The map {@link #encode} wrote, or null when the bytes are not one. */
    private static Map<LocalDate, double[]> decode(byte[] body) {
        try {
            return CostLedger.decodeDays(JSON.readTree(body));
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    private static ArrayNode shape(CostQuery q, Map<Resource, Map<LocalDate, double[]>> daily, boolean partial) {
        ArrayNode out = JsonNodeFactory.instance.arrayNode();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        for (LocalDate from = q.start(); from.isBefore(q.end()); ) {
            LocalDate to = q.granularity() == CostQuery.Granularity.DAILY ? from.plusDays(1)
                    : from.withDayOfMonth(1).plusMonths(1);
            if (to.isAfter(q.end())) {
                to = q.end();
            }
            BigDecimal[] total = zero();
            Map<String, BigDecimal[]> groups = new TreeMap<>(); // keys sorted: a stable answer
            for (var e : daily.entrySet()) {
                Resource r = e.getKey();
                for (var d : e.getValue().entrySet()) {
                    LocalDate day = d.getKey();
                    if (day.isBefore(from) || !day.isBefore(to)) {
                        continue;
                    }
                    String space = r.spaceOn(day);
                    if (q.space() != null && !q.space().equals(space)) {
                        continue; // a day before the resource was in the space asked
                    }
                    BigDecimal[] g = q.groupBy() == null ? null : groups.computeIfAbsent(
                            q.groupBy() == CostQuery.GroupBy.RESOURCE ? r.id() : space, x -> zero());
                    for (int k = 0; k < 3; k++) {
                        BigDecimal v = BigDecimal.valueOf(d.getValue()[k]);
                        total[k] = total[k].add(v);
                        if (g != null) {
                            g[k] = g[k].add(v);
                        }
                    }
                }
                if (q.groupBy() != null) { // listed with zeros when it cost nothing in the period
                    groups.computeIfAbsent(q.groupBy() == CostQuery.GroupBy.RESOURCE ? r.id() : r.space(), x -> zero());
                }
            }
            ObjectNode period = out.addObject();
            period.put("Estimated", partial || !to.isBefore(today.plusDays(1)));
            ArrayNode groupArray = period.putArray("Groups");
            groups.forEach((k, v) -> {
                ObjectNode g = groupArray.addObject();
                g.putArray("Keys").add(k);
                g.set("Metrics", metrics(v));
            });
            period.putObject("TimePeriod").put("End", to.toString()).put("Start", from.toString());
            period.set("Total", metrics(total));
            from = to;
        }
        return out;
    }

    private static BigDecimal[] zero() {
        return new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO};
    }

    private static ObjectNode metrics(BigDecimal[] v) {
        ObjectNode m = JsonNodeFactory.instance.objectNode();
        m.set("BlendedCost", amount(v[0], "USD"));
        m.set("UnblendedCost", amount(v[0], "USD"));
        m.set("UsageQuantity", amount(v[2], "Hrs"));
        m.set("SpotPotentialCost", amount(v[1], "USD"));
        m.set("SpotSavings", amount(v[1].subtract(v[0]), "USD"));
        return m;
    }

    private static ObjectNode amount(BigDecimal value, String unit) {
        return JsonNodeFactory.instance.objectNode()
                .put("Amount", value.setScale(4, RoundingMode.HALF_UP).toPlainString()).put("Unit", unit);
    }
}
