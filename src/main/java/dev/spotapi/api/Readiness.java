package dev.spotapi.api;

import dev.spotapi.health.Health;
import dev.spotapi.health.HealthCheck;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this instance should receive traffic, whether it is still alive, and the health of each component
 * ({@code /v1/spot/health}).
 *
 * <ul>
 *   <li>Not ready once shutdown has begun, or while a component this replica cannot serve without is DOWN:
 *       a component added with {@code gatesReadiness} (for example the shared state refusing this replica's
 *       Redis password: a misconfigured replica, a rollout must stop there). Other components only make the
 *       health DEGRADED (for example one Spot account unreachable: the other accounts still serve, and every
 *        replica sees the same Spot, so taking this one out would help nobody). docs/operations.md, Health and readiness.</li>
 *   <li>Neither ready nor live once a fatal {@link Error} (an {@link OutOfMemoryError}, a {@link
 *       StackOverflowError}, ...) was seen on a request path, because a JVM that has thrown one may no longer
 *       be able to serve: {@code /ready} and {@code /ping} (the liveness probe) answer 503, so that the
 *       orchestrator stops routing to the replica and restarts it. When the JVM runs with
 *       {@code -XX:+ExitOnOutOfMemoryError} (the launcher and the image do), an {@link OutOfMemoryError}
 *       thrown by Java code (direct buffer memory, which the flag itself does not cover) ends the process at
 *       once, as the flag does for the heap.</li>
 * </ul>
 */
public final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private final AtomicBoolean serving = new AtomicBoolean(true);
    // the error itself: recording it allocates nothing, so it is recorded even with no heap left
    private final AtomicReference<Throwable> fatal = new AtomicReference<>();
    private final AtomicBoolean fatalLogged = new AtomicBoolean();
    private final boolean exitOnOutOfMemory;
    private final Map<String, HealthCheck> checks = new ConcurrentHashMap<>();
    private final Map<String, Integer> order = new ConcurrentHashMap<>();
    private final Map<String, Predicate<Health>> gating = new ConcurrentHashMap<>();

    /** Readiness that ends the process on an {@link OutOfMemoryError} when the JVM runs with ExitOnOutOfMemoryError. */
    public Readiness() {
        this(exitOnOutOfMemoryErrorFlag());
    }

    Readiness(boolean exitOnOutOfMemory) {
        this.exitOnOutOfMemory = exitOnOutOfMemory;
    }

    /** True while this instance should receive traffic: not shutting down, no fatal error seen. */
    public boolean serving() {
        return serving.get() && alive();
    }

    /** True until a fatal error was seen (the liveness answer). */
    public boolean alive() {
        if (fatal.get() == null) {
            return true;
        }
        logFatal();
        return false;
    }

    /** The first fatal error seen (class and message), or null. */
    public String fatalError() {
        Throwable f = fatal.get();
        return f == null ? null : f.getClass().getSimpleName() + ": " + f.getMessage();
    }

    /** Shutdown has begun: not ready from now on (still alive). */
    public void shutdownBegun() {
        serving.set(false);
    }

    /** Records a fatal error seen while serving a request: from now on neither ready nor live. */
    public void fatal(Throwable error) {
        if (fatal.compareAndSet(null, error)) {
            logFatal();
        }
        if (exitOnOutOfMemory && error instanceof OutOfMemoryError) {
            try {
                System.err.println("spot-api: " + error + ": exiting (-XX:+ExitOnOutOfMemoryError)");
            } finally {
                Runtime.getRuntime().halt(3);
            }
        }
    }

    /**
     * Logs the fatal error once. Logging it may itself fail for want of memory (the error that was just
     * recorded): then it is logged by the next call, at the latest the next probe's, once the failed request's
     * memory is free again.
     */
    private void logFatal() {
        Throwable error = fatal.get();
        if (error == null || fatalLogged.get()) {
            return;
        }
        try {
            LOG.error("fatal error on a request path: this replica is no longer ready nor live", error);
            fatalLogged.set(true);
        } catch (Throwable notLogged) {
            // an OutOfMemoryError while formatting or writing: the next call tries again
        }
    }

    /** The first {@link Error} in {@code t}'s cause chain, or null. */
    static Error errorIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof Error e) {
                return e;
            }
        }
        return null;
    }

    /**
     * Adds a component to the health report.
     *
     * @param name           its key under {@code components}
     * @param check          its check (fast, never throws)
     * @param gatesReadiness whether its DOWN makes the replica not ready (else DEGRADED only)
     */
    public void add(String name, HealthCheck check, boolean gatesReadiness) {
        add(name, check, gatesReadiness ? h -> h.status() == Health.Status.DOWN : h -> false);
    }

    /**
     * Adds a component whose state makes the replica not ready when {@code notReadyWhen} holds (else a
     * component that is not UP makes the health DEGRADED only).
     */
    public void add(String name, HealthCheck check, Predicate<Health> notReadyWhen) {
        order.putIfAbsent(name, order.size());
        checks.put(name, check);
        gating.put(name, notReadyWhen);
    }

    /**
     * Every component's state and the overall one: DOWN when shutting down, after a fatal error or while a
     * gating component is DOWN, DEGRADED when any other component is not UP, else UP.
     */
    public Health health() {
        Map<String, Health> parts = new LinkedHashMap<>();
        checks.entrySet().stream().sorted(Map.Entry.comparingByKey(
                (a, b) -> Integer.compare(order.getOrDefault(a, 0), order.getOrDefault(b, 0))))
                .forEach(e -> parts.put(e.getKey(), safely(e.getValue())));
        Health.Status status = serving() ? Health.Status.UP : Health.Status.DOWN;
        for (var e : parts.entrySet()) {
            Health.Status s = e.getValue().status();
            if (gating.getOrDefault(e.getKey(), h -> false).test(e.getValue())) {
                status = status.worst(Health.Status.DOWN);
            } else if (s == Health.Status.DOWN || s == Health.Status.DEGRADED) {
                status = status.worst(Health.Status.DEGRADED);
            }
        }
        // public: the error's type, never its message
        Map<String, Object> details = !alive() ? Map.of("reason", "fatal error (" + fatalType() + ")")
                : serving() ? null : Map.of("reason", "shutting down");
        return new Health(status, details, parts);
    }

    /** The type of the first fatal error (its simple class name), or null. */
    public String fatalType() {
        Throwable f = fatal.get();
        return f == null ? null : f.getClass().getSimpleName();
    }

    /** Null when ready; else why not (a fatal error, shutting down, or the gating components that are DOWN). */
    public String notReadyReason() {
        if (!alive()) {
            return "not serving: fatal error (" + fatalType() + ")";
        }
        if (!serving()) {
            return "shutting down";
        }
        StringBuilder down = new StringBuilder();
        for (var e : gating.entrySet()) {
            HealthCheck check = checks.get(e.getKey());
            if (check != null && e.getValue().test(safelyForReadiness(check))) {
                down.append(down.length() == 0 ? "" : ", ").append(e.getKey());
            }
        }
        return down.length() == 0 ? null : "not ready: " + down + " (see /v1/spot/health)";
    }

    private static Health safelyForReadiness(HealthCheck check) {
        try {
            return check.forReadiness();
        } catch (RuntimeException e) {
            return Health.of(Health.Status.DOWN, Map.of("error", e.getClass().getSimpleName()));
        }
    }

    private static Health safely(HealthCheck check) {
        try {
            return check.check();
        } catch (RuntimeException e) {
            return Health.of(Health.Status.DOWN, Map.of("error", e.getClass().getSimpleName()));
        }
    }

    private static boolean exitOnOutOfMemoryErrorFlag() {
        try {
            return "true".equals(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("ExitOnOutOfMemoryError").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
