package dev.spotapi.metrics;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.config.MeterFilter;
import java.time.Duration;
import java.util.Set;

/**
 * What keeps /metrics small whatever callers send: one latency bucket layout for every timer, label
 * values from bounded sets, and meter filters that cap the series of each tag that could still grow.
 */
public final class MetricLimits {
    /**
     * Histogram bucket boundaries (SLO-style) for every latency timer of spot-api: 5 ms to 10 s, 11 buckets
     * plus +Inf, where the default percentile histogram has 74. They cover a proxy's range: a cached or
     * refused request (under 5 ms) up to a Spot call near its deadline (seconds).
     */
    public static final Duration[] LATENCY_BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2_500), Duration.ofSeconds(5), Duration.ofSeconds(10)};

    /** The HTTP methods spot-api knows; every other method is counted as {@value #OTHER_METHOD}. */
    public static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");
    /** The {@code method} label of any request whose method is not in {@link #KNOWN_METHODS}. */
    public static final String OTHER_METHOD = "OTHER";

    /** Most distinct values one tag of one meter may take; further series are dropped. */
    static final int MAX_VALUES_PER_TAG = 100;

    private MetricLimits() {
    }

    /** A timer builder with the shared latency buckets (and no 74-bucket percentile histogram). */
    public static Timer.Builder latencyTimer(String name) {
        return Timer.builder(name).serviceLevelObjectives(LATENCY_BUCKETS);
    }

    /** The {@code method} label for a request method: itself when known, else {@value #OTHER_METHOD}. */
    public static String methodLabel(String method) {
        if (method == null) {
            return OTHER_METHOD;
        }
        return KNOWN_METHODS.contains(method) ? method : OTHER_METHOD;
    }

    /**
     * Installs the caps on a registry before any meter is registered: for spot-api's own meters, at most
     * {@value #MAX_VALUES_PER_TAG} values of each tag that could grow (method, route, status, account,
     * operation, outcome); a series beyond that is denied (not recorded) rather than kept.
     */
    public static void install(MeterRegistry registry) {
        // Prometheus naming (promtool check metrics): Micrometer's process.cpu.time counts nanoseconds
        // (process_cpu_time_ns_total, an abbreviated unit) and system.cpu.count is a gauge named like a
        // histogram's part; the first gives way to process_cpu_seconds_total (below), the second
        // becomes system_cpu_logical_processors
        registry.config().meterFilter(MeterFilter.denyNameStartsWith("process.cpu.time"));
        registry.config().meterFilter(new MeterFilter() {
            @Override
            public io.micrometer.core.instrument.Meter.Id map(io.micrometer.core.instrument.Meter.Id id) {
                return "system.cpu.count".equals(id.getName()) ? id.withName("system.cpu.logical.processors") : id;
            }
        });
        for (String meter : new String[] {"spotapi.http.server.requests", "spotapi.spot.calls", "spotapi.spot.retries"}) {
            for (String tag : new String[] {"method", "route", "status", "account", "operation", "outcome"}) {
                registry.config().meterFilter(MeterFilter.maximumAllowableTags(meter, tag, MAX_VALUES_PER_TAG,
                        MeterFilter.deny()));
            }
        }
        // the first meter: only after every filter (a filter added later warns and misses earlier meters)
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os) {
            io.micrometer.core.instrument.FunctionCounter.builder("process.cpu", os,
                            o -> o.getProcessCpuTime() / 1e9)
                    .baseUnit("seconds")
                    .description("CPU time used by the JVM process")
                    .register(registry);
        }
    }
}
