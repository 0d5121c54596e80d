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
 * {@code spotapi_redis_up{component}} (1 when a PING answered at the last scrape; immediate 0 while the
 * breaker is open, else bounded by the Redis timeout).
 */
public final class RedisMeters {
    private RedisMeters() {
    }

    /** Registers the three meters; {@code reachable} is one PING through the breaker. */
    public static void bind(MeterRegistry registry, String component, RedisBreaker breaker, BooleanSupplier reachable) {
        Gauge.builder("spotapi.redis.circuit.state", breaker, RedisBreaker::stateCode)
                .description("Circuit breaker in front of Redis: 0 closed, 1 half open (one trial command), 2 open")
                .tag("component", component).strongReference(true).register(registry);
        FunctionCounter.builder("spotapi.redis.circuit.refused", breaker, b -> b.refusedCalls())
                .description("Redis commands failed at once by the open circuit breaker (never sent)")
                .tag("component", component).register(registry);
        Gauge.builder("spotapi.redis.up", reachable, r -> r.getAsBoolean() ? 1 : 0)
                .description("1 when Redis answered a PING at this scrape, else 0")
                .tag("component", component).strongReference(true).register(registry);
    }
}
