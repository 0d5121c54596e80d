package dev.spotapi.metrics;

import dev.spotapi.shared.RedisBreaker;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.BooleanSupplier;

/**
 * Meters of one Redis connection ({@code component}: {@code sharedState} or {@code taskStore}):
 * {@code spotapi_redis_circuit_state{component}} (0 closed, 1 half open, 2 open),
 * {@code spotapi_redis_circuit_refused_total{component}} (commands failed at once by the open breaker) and
 * {@code spotapi_redis_up{component}} (1 when a PING answered within 0.5 s at the last scrape; immediate 0 while
 * the breaker is open).
 */
public final class RedisMeters {
    private RedisMeters() {
    }

    /**
     * Registers the three meters; {@code reachable} is one PING through the breaker. Answers the bounded probe
     * {@code spotapi_redis_up} reads (one PING at a time, waited for at most {@link #PROBE_WAIT_MS}), for the
     * component's health too: neither a scrape nor {@code /ready} waits on a stalled Redis.
     */
    public static BoundedProbe bind(MeterRegistry registry, String component, RedisBreaker breaker,
            BooleanSupplier reachable) {
        BoundedProbe probe = new BoundedProbe(reachable);
        Gauge.builder("spotapi.redis.circuit.state", breaker, RedisBreaker::stateCode)
                .description("Circuit breaker in front of Redis: 0 closed, 1 half open (one trial command), 2 open")
                .tag("component", component).strongReference(true).register(registry);
        FunctionCounter.builder("spotapi.redis.circuit.refused", breaker, b -> b.refusedCalls())
                .description("Redis commands failed at once by the open circuit breaker (never sent)")
                .tag("component", component).register(registry);
        Gauge.builder("spotapi.redis.up", probe, r -> r.getAsBoolean() ? 1 : 0)
                .description("1 when Redis answered a PING within 0.5 s at this scrape, else 0")
                .tag("component", component).strongReference(true).register(registry);
        return probe;
    }

    /**
     * A Redis component's {@link dev.spotapi.health.HealthCheck}: {@link RedisBreaker#health} after {@code ping} (one
     * PING at a time, waited for at most {@link #PROBE_WAIT_MS}); for {@code /ready}, after the last PING that ended,
     * without waiting.
     */
    public static dev.spotapi.health.HealthCheck healthCheck(RedisBreaker breaker, BoundedProbe ping) {
        return new dev.spotapi.health.HealthCheck() {
            @Override
            public dev.spotapi.health.Health check() {
                return breaker.health(ping.getAsBoolean());
            }

            @Override
            public dev.spotapi.health.Health forReadiness() {
                return breaker.health(ping.last());
            }
        };
    }

    /** How long a scrape waits for the PING of {@code spotapi_redis_up} (ms). */
    static final long PROBE_WAIT_MS = 500;

    /**
     * {@code probe} (a PING through the breaker, bounded only by the Redis timeout) run off the scraping thread, at most
     * one at a time, and waited for at most {@link #PROBE_WAIT_MS}: a stalled Redis made every scrape wait 2 s per Redis
     * connection (4-6 s in all; attack round 13's helper on the fixes), now it reads 0 after half a second.
     */
    public static final class BoundedProbe implements BooleanSupplier {
        private final BooleanSupplier probe;
        private java.util.concurrent.CompletableFuture<Boolean> inFlight;
        /** The outcome of the last PING that ended; null before the first. */
        private volatile Boolean last;

        /** Sends the first PING at once (in the background): by the first {@code /ready} it has mostly ended. */
        BoundedProbe(BooleanSupplier probe) {
            this.probe = probe;
            started();
        }

        /**
         * The outcome of the last PING that ended, without waiting; a new one is sent when none is in flight (so
         * that the next call knows more). For {@code /ready}, which must never wait on Redis (attack round 17: a
         * stalled Redis held it 2 s, past the probe's timeout).
         */
        public boolean last() {
            java.util.concurrent.CompletableFuture<Boolean> ping = started();
            Boolean known = last;
            if (known != null) {
                return known;
            }
            // the first PING of the replica's life: waited for (bounded), so that a replica Redis refuses is never
            // ready, not even at its first probe (attack round 18)
            return getAsBoolean(ping);
        }

        private synchronized java.util.concurrent.CompletableFuture<Boolean> started() {
            if (inFlight == null || inFlight.isDone()) {
                inFlight = java.util.concurrent.CompletableFuture.supplyAsync(probe::getAsBoolean);
                inFlight.whenComplete((up, failure) -> last = failure == null && up);
            }
            return inFlight;
        }

        @Override
        public boolean getAsBoolean() {
            return getAsBoolean(started());
        }

        private static boolean getAsBoolean(java.util.concurrent.CompletableFuture<Boolean> ping) {
            try {
                return ping.get(PROBE_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
