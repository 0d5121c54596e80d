package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;

/**
 * {@code "idempotency": {"ttlSeconds": 86400, "stateFile": "..."}}: how long an {@code Idempotency-Key} and its
 * stored answer are kept (default 24 h, as Stripe keeps them), and, without Redis, the file that keeps them
 * across restarts ({@code stateFile}, default none: only in the process; the sandbox sets
 * {@code <sandbox dir>/idempotency.jsonl}). Every change of a record is flushed to that file before the answer
 * it guards leaves; one process per file. Ignored with {@code sharedState.redisUrl} (Redis keeps them).
 */
public record IdempotencyConfig(@JsonProperty("ttlSeconds") long ttlSeconds,
        @JsonProperty("stateFile") String stateFile) {
    public static final IdempotencyConfig DEFAULTS = new IdempotencyConfig(0, null);

    public IdempotencyConfig {
        ttlSeconds = Defaults.positiveOr(ttlSeconds, 86_400);
        stateFile = stateFile == null || stateFile.isBlank() ? null : stateFile.strip();
    }

    /** Keys kept {@code ttlSeconds} (0: the default), only in the process. */
    public IdempotencyConfig(long ttlSeconds) {
        this(ttlSeconds, null);
    }

    public Duration ttl() {
        return Duration.ofSeconds(ttlSeconds);
    }

    /** The state file as a path, or null when none is set. */
    public java.nio.file.Path statePath() {
        return stateFile == null ? null : java.nio.file.Path.of(stateFile);
    }

    /** The same settings keeping the embedded records in {@code file} across restarts. */
    public IdempotencyConfig withStateFile(String file) {
        return new IdempotencyConfig(ttlSeconds, file);
    }
}
