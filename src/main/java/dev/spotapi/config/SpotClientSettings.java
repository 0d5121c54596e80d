package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How spot-api talks to Spot: timeouts, retries and the optional per-account rate limit.
 * Every field is optional in the config file ({@code "spot": {...}}); zero or absent means the default.
 */
public record SpotClientSettings(
        @JsonProperty("connectTimeoutMs") long connectTimeoutMs,
        @JsonProperty("attemptTimeoutMs") long attemptTimeoutMs,
        @JsonProperty("deadlineMs") long deadlineMs,
        @JsonProperty("maxAttempts") int maxAttempts,
        @JsonProperty("initialBackoffMs") long initialBackoffMs,
        @JsonProperty("maxBackoffMs") long maxBackoffMs,
        @JsonProperty("rateLimitPerSecond") int rateLimitPerSecond) {

    public static final SpotClientSettings DEFAULTS = new SpotClientSettings(0, 0, 0, 0, 0, 0, 0);

    public SpotClientSettings {
        connectTimeoutMs = orDefault(connectTimeoutMs, 5_000);
        attemptTimeoutMs = orDefault(attemptTimeoutMs, 30_000);
        deadlineMs = orDefault(deadlineMs, 60_000);
        maxAttempts = (int) orDefault(maxAttempts, 4);
        initialBackoffMs = orDefault(initialBackoffMs, 200);
        maxBackoffMs = orDefault(maxBackoffMs, 5_000);
        rateLimitPerSecond = Math.max(0, rateLimitPerSecond);
    }

    private static long orDefault(long value, long fallback) {
        return value > 0 ? value : fallback;
    }

    public boolean rateLimited() {
        return rateLimitPerSecond > 0;
    }
}
