package dev.spotapi;

import dev.spotapi.api.Readiness;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.health.Health;
import dev.spotapi.metrics.RedisMeters;
import dev.spotapi.shared.RedisSharedState;
import dev.spotapi.shared.SharedState;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jetty.JettyServerThreadPoolMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jetty.server.Server;

/**
 * The health components and their meters, wired at start (docs/operations.md, Health and readiness):
 * <ul>
 *   <li>{@code sharedState}: embedded (always UP) or Redis (one PING through its circuit breaker). DOWN
 *       makes the replica not ready only when Redis refuses this replica's password (misconfiguration:
 *       a rollout must stop there); when Redis is down or stuck every replica is cut off alike and reads
 *       still work, so the replica stays ready and the health says DEGRADED.</li>
 *   <li>{@code taskStore} (Redis only): the same rules.</li>
 *   <li>{@code spot}: per account, from the last call (passive): DEGRADED, never not ready.</li>
 *   <li>{@code verificationQueue}: tokens waiting for bcrypt; DEGRADED while new tokens are turned away for want of
 *       room (503: one within the last 10 s, or a lane's queue full now).</li>
 * </ul>
 */
final class HealthChecks {
    private HealthChecks() {
    }

    /**
     * Whether a component's health says Redis refused this replica's password or another of its settings (not ready
     * then: a misconfigured replica stops a rollout), as opposed to Redis being down or slow (every replica alike).
     */
    static boolean authRefused(Health h) {
        return h.status() == Health.Status.DOWN && h.details() != null
                && ("auth_refused".equals(h.details().get("reason")) || "misconfigured".equals(h.details().get("reason")));
    }

    static void sharedState(Readiness readiness, SharedState shared, MeterRegistry registry) {
        if (shared instanceof RedisSharedState redis) {
            // one PING at a time, waited for at most 0.5 s: /ready never waits on a stalled Redis (attack round 17)
            RedisMeters.BoundedProbe ping = RedisMeters.bind(registry, "sharedState", redis.breaker(), redis::reachable);
            readiness.add("sharedState", RedisMeters.healthCheck(redis.breaker(), ping), HealthChecks::authRefused);
        } else {
            readiness.add("sharedState", () -> Health.up(Map.of("type", "embedded")), false);
        }
    }

    static void verification(Readiness readiness, TokenVerifier verifier, MeterRegistry registry) {
        int capacity = 2 * verifier.settings().verifyQueue();
        Gauge.builder("spotapi.auth.verify.queued", verifier, TokenVerifier::queued)
                .description("Tokens waiting for a bcrypt verification thread (both lanes)")
                .register(registry);
        Gauge.builder("spotapi.auth.verify.queue.capacity", () -> capacity)
                .description("Most tokens that may wait for verification (both lanes); beyond, new tokens answer 503")
                .strongReference(true).register(registry);
        Gauge.builder("spotapi.auth.verdicts.cached", verifier, TokenVerifier::cachedVerdicts)
                .description("Token verdicts kept in the verification cache")
                .register(registry);
        io.micrometer.core.instrument.FunctionCounter.builder("spotapi.auth.verify.refused", verifier,
                        TokenVerifier::refusedForRoom)
                .description("Tokens answered 503 because their verification lane had no room")
                .register(registry);
        readiness.add("verificationQueue", () -> {
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("queued", verifier.queued());
            details.put("capacity", capacity);
            details.put("turnedAway", verifier.refusedForRoom());
            return Health.of(verifier.shortOfRoom() ? Health.Status.DEGRADED : Health.Status.UP, details);
        }, false);
    }

    /**
     * Micrometer's Jetty binders: {@code jetty_threads_*} (busy, idle, current, config min/max, jobs queued) and
     * {@code jetty_connections_*} (current, max, request timings, bytes in/out), on every connector.
     */
    static void jetty(Server server, MeterRegistry registry) {
        new JettyServerThreadPoolMetrics(server.getThreadPool(), Tags.empty()).bindTo(registry);
        io.micrometer.core.instrument.binder.jetty.JettyConnectionMetrics.addToAllConnectors(server, registry);
    }
}
