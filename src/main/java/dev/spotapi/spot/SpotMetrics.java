package dev.spotapi.spot;

import dev.spotapi.metrics.MetricLimits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Counts and times Spot calls by account, operation and outcome; the timer is a histogram with the
 * latency buckets of {@link MetricLimits#LATENCY_BUCKETS}, like the HTTP server's.
 */
public final class SpotMetrics {
    private final MeterRegistry registry;
    private final Map<String, Timer> timers = new ConcurrentHashMap<>();

    public SpotMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void record(String account, String operation, String outcome, long nanos) {
        timers.computeIfAbsent(account + '\n' + operation + '\n' + outcome, k -> MetricLimits.latencyTimer("spot.calls")
                        .description("Calls to the Spot API, after retries (histogram: the same SLO buckets as"
                                + " http.server.requests)")
                        .tag("account", account)
                        .tag("operation", operation)
                        .tag("outcome", outcome)
                        .register(registry))
                .record(nanos, TimeUnit.NANOSECONDS);
    }

    void retried(String account) {
        Counter.builder("spot.retries")
                .description("Spot call attempts that were retried")
                .tag("account", account)
                .register(registry)
                .increment();
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
