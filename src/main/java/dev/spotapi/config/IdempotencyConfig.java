package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * {@code "idempotency": {"ttlSeconds": 86400}}: how long an {@code Idempotency-Key} and its stored
 * answer are kept (default 24 h, as Stripe keeps them).
 */
public record IdempotencyConfig(@JsonProperty("ttlSeconds") long ttlSeconds) {
    public static final IdempotencyConfig DEFAULTS = new IdempotencyConfig(0);

    public IdempotencyConfig {
        ttlSeconds = Defaults.positiveOr(ttlSeconds, 86_400);
    }

    public Duration ttl() {
        return Duration.ofSeconds(ttlSeconds);
    }
}
