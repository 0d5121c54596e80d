package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How X-Auth-Token values are verified ({@code "auth": {...}} in the config file; every field optional,
 * zero or absent means the default).
 *
 * <ul>
 *   <li>{@code maxCost} (default 14): bcrypt hashes with a higher cost factor are refused without hashing.</li>
 *   <li>{@code verifyThreads} (default 1): threads that run bcrypt for hashes whose cost is above
 *       {@code cheapLaneMaxCost}; request threads never run bcrypt.</li>
 *   <li>{@code verifyQueue} (default 16): tokens waiting for a verify thread, per lane; when a lane is full a
 *       new token pushes out the newest of the longest per-address queue, or, when its own address has the
 *       longest, is answered 503 with {@code Retry-After} at once.</li>
 *   <li>{@code failedVerificationsPerMinute} (default 10): bcrypt runs per client address and minute
 *       that may end in a wrong token; past it the client gets 429 with {@code Retry-After}.</li>
 *   <li>{@code cachedVerdicts} (default 10000): verdicts remembered, so a known token costs no bcrypt.</li>
 *   <li>{@code cheapLaneMaxCost} (default 10): hashes of at most this cost go to the cheap lane, which has
 *       its own threads: they never wait behind a costlier hash.</li>
 *   <li>{@code cheapLaneThreads} (default 1): threads that run bcrypt for the cheap lane only.</li>
 * </ul>
 */
public record AuthSettings(
        @JsonProperty("maxCost") int maxCost,
        @JsonProperty("verifyThreads") int verifyThreads,
        @JsonProperty("verifyQueue") int verifyQueue,
        @JsonProperty("failedVerificationsPerMinute") int failedVerificationsPerMinute,
        @JsonProperty("cachedVerdicts") int cachedVerdicts,
        @JsonProperty("cheapLaneMaxCost") int cheapLaneMaxCost,
        @JsonProperty("cheapLaneThreads") int cheapLaneThreads) {

    /** bcrypt's smallest cost factor; lower ones are not bcrypt. */
    public static final int MIN_COST = 4;
    public static final AuthSettings DEFAULTS = new AuthSettings(0, 0, 0, 0, 0);

    /** The first five settings; the cheap lane gets its defaults. */
    public AuthSettings(int maxCost, int verifyThreads, int verifyQueue, int failedVerificationsPerMinute,
            int cachedVerdicts) {
        this(maxCost, verifyThreads, verifyQueue, failedVerificationsPerMinute, cachedVerdicts, 0, 0);
    }

    public AuthSettings {
        maxCost = Defaults.positiveOr(maxCost, 14);
        verifyThreads = Defaults.positiveOr(verifyThreads, 1);
        verifyQueue = Defaults.positiveOr(verifyQueue, 16);
        failedVerificationsPerMinute = Defaults.positiveOr(failedVerificationsPerMinute, 10);
        cachedVerdicts = Defaults.positiveOr(cachedVerdicts, 10_000);
        cheapLaneMaxCost = Defaults.positiveOr(cheapLaneMaxCost, 10);
        cheapLaneThreads = Defaults.positiveOr(cheapLaneThreads, 1);
    }

    /** Refuses values that cannot work: a cost cap outside bcrypt's range [4, 31], more than 64 threads. */
    void validate() {
        if (maxCost < MIN_COST || maxCost > 31) {
            throw new ConfigException("auth.maxCost: must be between 4 and 31, got " + maxCost);
        }
        if (verifyThreads > 64) {
            throw new ConfigException("auth.verifyThreads: at most 64, got " + verifyThreads);
        }
        if (cheapLaneMaxCost < MIN_COST || cheapLaneMaxCost > 31) {
            throw new ConfigException("auth.cheapLaneMaxCost: must be between 4 and 31, got " + cheapLaneMaxCost);
        }
        if (cheapLaneThreads > 64) {
            throw new ConfigException("auth.cheapLaneThreads: at most 64, got " + cheapLaneThreads);
        }
    }
}
