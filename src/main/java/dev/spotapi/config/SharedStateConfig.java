package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where the idempotency records and the Spot rate budget live ({@code "sharedState": {...}}).
 * No {@code redisUrl}: in this process (one replica). A {@code redis://} or {@code rediss://} URL:
 * in that Redis, shared by every replica; its password comes from the environment variable
 * {@value ConfigLoader#ENV_REDIS_PASSWORD}, never from the file. {@code redisUsername} (or the environment
 * variable {@value ConfigLoader#ENV_REDIS_USERNAME}) names a Redis ACL user (Redis 6+: {@code AUTH user
 * password}); without one the password is the {@code default} user's. {@code timeoutMs} bounds connecting
 * and every Redis command (default 1000).
 */
public record SharedStateConfig(
        @JsonProperty("redisUrl") String redisUrl,
        @JsonProperty("timeoutMs") long timeoutMs,
        @JsonProperty("redisUsername") String redisUsername) {

    public static final SharedStateConfig EMBEDDED = new SharedStateConfig(null, 0);

    /** Without an ACL user name (the {@code default} user). */
    public SharedStateConfig(String redisUrl, long timeoutMs) {
        this(redisUrl, timeoutMs, null);
    }

    public SharedStateConfig {
        redisUrl = redisUrl == null || redisUrl.isBlank() ? null : redisUrl.strip();
        redisUsername = redisUsername == null || redisUsername.isBlank() ? null : redisUsername.strip();
        timeoutMs = Defaults.positiveOr(timeoutMs, 1_000);
    }

    public boolean usesRedis() {
        return redisUrl != null;
    }

    /** The URL without any password it may carry, for logs. */
    public String redisUrlForLogs() {
        if (redisUrl == null) {
            return "none";
        }
        int at = redisUrl.indexOf('@');
        int scheme = redisUrl.indexOf("://");
        return at > 0 && scheme > 0 && at > scheme ? redisUrl.substring(0, scheme + 3) + "****@" + redisUrl.substring(at + 1)
                : redisUrl;
    }

    @Override
    public String toString() {
        return "SharedStateConfig[redisUrl=" + redisUrlForLogs() + ", timeoutMs=" + timeoutMs
                + (redisUsername == null ? "" : ", redisUsername=" + redisUsername) + "]";
    }
}
