package dev.spotapi.api;

import dev.spotapi.health.Health;
import dev.spotapi.health.HealthCheck;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Whether this instance should receive traffic: false once shutdown has begun, or while a component this
 * replica cannot serve without is DOWN; and the health of each component ({@code /v1/spot/health}).
 *
 * <p>Which component decides readiness (README, Operate: Health and readiness): a component added with
 * {@code gatesReadiness} makes the replica not ready when its check says DOWN (for example the shared state
 * refusing this replica's Redis password: a misconfigured replica, a rollout must stop there). Other
 * components only make the health DEGRADED (for example one Spot account unreachable: the other accounts
 * still serve, and every replica sees the same Spot, so taking this one out would help nobody).
 */
public final class Readiness {
    private final AtomicBoolean serving = new AtomicBoolean(true);
    private final Map<String, HealthCheck> checks = new ConcurrentHashMap<>();
    private final Map<String, Integer> order = new ConcurrentHashMap<>();
    private final Map<String, Predicate<Health>> gating = new ConcurrentHashMap<>();

    public boolean serving() {
        return serving.get();
    }

    public void shutdownBegun() {
        serving.set(false);
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
     * Every component's state and the overall one: DOWN when shutting down or a gating component is DOWN,
     * DEGRADED when any other component is not UP, else UP.
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
        Map<String, Object> details = serving() ? null : Map.of("reason", "shutting down");
        return new Health(status, details, parts);
    }

    /** Null when ready; else why not (shutting down, or the gating components that are DOWN). */
    public String notReadyReason() {
        if (!serving()) {
            return "shutting down";
        }
        StringBuilder down = new StringBuilder();
        for (var e : gating.entrySet()) {
            HealthCheck check = checks.get(e.getKey());
            if (check != null && e.getValue().test(safely(check))) {
                down.append(down.length() == 0 ? "" : ", ").append(e.getKey());
            }
        }
        return down.length() == 0 ? null : "not ready: " + down + " (see /v1/spot/health)";
    }

    private static Health safely(HealthCheck check) {
        try {
            return check.check();
        } catch (RuntimeException e) {
            return Health.of(Health.Status.DOWN, Map.of("error", e.getClass().getSimpleName()));
        }
    }
}
