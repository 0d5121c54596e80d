package dev.spotapi.spot;

import dev.spotapi.health.Health;
import dev.spotapi.metrics.MetricLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts and times Spot calls by account, operation and outcome; the timer is a histogram with the
 * latency buckets of {@link MetricLimits#LATENCY_BUCKETS}, like the HTTP server's. Meters (Prometheus names):
 * {@code spotapi_spot_calls_seconds{account,operation,outcome}}, {@code spotapi_spot_retries_total{account}},
 * {@code spotapi_spot_creates_recovery_total{account,outcome}}, {@code spotapi_spot_budget_refused_total{account}}
 * and {@code spotapi_spot_account_up{account}} (1 while the account's last Spot call reached Spot, or none was
 * made yet; 0 after Spot could not be reached or refused the account's credentials). Every counter of an
 * account exists at zero from the start ({@link #account}).
 *
 * <p>Also keeps, per account, the last call's reachability for the health report ({@link #health}).
 */
public final class SpotMetrics {
    /** The outcomes of {@link #recovered}. */
    static final String[] RECOVERY_OUTCOMES = {"found", "not_found", "earlier_attempt"};

    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    private final Map<String, Reach> reach = new ConcurrentHashMap<>();

    /** An account's last call: whether it reached Spot, the outcome and when. */
    private record Reach(boolean up, String outcome, Instant at) {
    }

    public SpotMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers an account: its counters at zero, its reachability gauge and health entry. */
    public void account(String account) {
        reach.putIfAbsent(account, new Reach(true, null, null));
        retries(account);
        budget(account);
        for (String outcome : RECOVERY_OUTCOMES) {
            recovery(account, outcome);
        }
        Gauge.builder("spotapi.spot.account.up", () -> reach.getOrDefault(account, new Reach(true, null, null)).up() ? 1 : 0)
                .description("1 while the account's last Spot call reached Spot (or none was made yet), 0 after"
                        + " Spot could not be reached or refused the account's credentials")
                .tag("account", account).strongReference(true).register(registry);
    }

    void record(String account, String operation, String outcome, long nanos) {
        timers.computeIfAbsent(account + '\n' + operation + '\n' + outcome, k -> MetricLimits.latencyTimer("spotapi.spot.calls")
                        .description("Calls to the Spot API, after retries (histogram: the same SLO buckets as"
                                + " spotapi_http_server_requests_seconds)")
                        .tag("account", account)
                        .tag("operation", operation)
                        .tag("outcome", outcome)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
        if (reach.containsKey(account)) {
            reach.put(account, new Reach(reached(outcome), outcome, Instant.now()));
        }
    }

    /** Whether a call with this outcome got an answer from Spot that says the account works. */
    static boolean reached(String outcome) {
        return !("unreachable".equals(outcome) || "timeout".equals(outcome) || "auth_rejected".equals(outcome));
    }

    /**
     * Spot, one component per account: UP after a call that reached Spot, UNKNOWN before any call, DOWN
     * after a call that did not (details: the outcome and when). Passive: it makes no call of its own.
     * Overall DEGRADED when some account is DOWN (the others still serve), DOWN when all are.
     */
    public Health health() {
        Map<String, Health> parts = new LinkedHashMap<>();
        reach.forEach((account, r) -> {
            Map<String, Object> details = new LinkedHashMap<>();
            if (r.outcome() != null) {
                details.put("lastOutcome", r.outcome());
                details.put("lastCallAt", r.at().toString());
            }
            Health.Status status = r.outcome() == null ? Health.Status.UNKNOWN
                    : r.up() ? Health.Status.UP : Health.Status.DOWN;
            parts.put(account, Health.of(status, details));
        });
        boolean allDown = !parts.isEmpty() && parts.values().stream().allMatch(h -> h.status() == Health.Status.DOWN);
        return Health.composite(new java.util.TreeMap<>(parts), allDown ? Health.Status.DOWN : Health.Status.DEGRADED);
    }

    void retried(String account) {
        retries(account).increment();
    }

    /** A create whose outcome was in doubt: {@code found}, {@code not_found} or {@code earlier_attempt}. */
    void recovered(String account, String outcome) {
        recovery(account, outcome).increment();
    }

    void budgetRefused(String account) {
        budget(account).increment();
    }

    private Counter retries(String account) {
        return counters.computeIfAbsent("r\n" + account, k -> Counter.builder("spotapi.spot.retries")
                .description("Spot call attempts that were retried")
                .tag("account", account)
                .register(registry));
    }

    private Counter recovery(String account, String outcome) {
        return counters.computeIfAbsent("c\n" + account + '\n' + outcome, k -> Counter.builder("spotapi.spot.creates.recovery")
                .description("Creates whose reply was lost and that were looked for by their correlation tag")
                .tag("account", account)
                .tag("outcome", outcome)
                .register(registry));
    }

    private Counter budget(String account) {
        return counters.computeIfAbsent("b\n" + account, k -> Counter.builder("spotapi.spot.budget.refused")
                .description("Spot calls refused by spot-api's rate budget (or a hold after Spot's 429), never sent")
                .tag("account", account)
                .register(registry));
    }

    static String outcome(Throwable failure) {
        if (failure == null) {
            return "ok";
        }
        if (failure instanceof SpotException s) {
            return s.kind().name().toLowerCase(java.util.Locale.ROOT);
        }
        return "error";
    }
}
