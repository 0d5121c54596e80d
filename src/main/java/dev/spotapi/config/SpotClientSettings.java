package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * How spot-api talks to Spot: timeouts, retries and the rate budget.
 * Every field is optional in the config file ({@code "spot": {...}}); zero or absent means the default.
 *
 * <p>{@code rateBudgetPerMinute}: calls per account, Spot route and method that every replica together
 * may send in one window of {@code rateWindowMs} (default 60000: Spot counts over 60 s, contract section 9.2);
 * 0 = no budget. Whatever the budget, a route that Spot answered 429 or {@code X-RateLimit-Remaining: 0}
 * is held for the window (or Spot's {@code Retry-After}).
 *
 * <p>{@code orphanSearchMs}: after a create that Spot may have carried out without spot-api seeing the reply,
 * how long spot-api keeps looking for the object by its correlation tag before answering 502/504
 * (default: one attempt timeout, at most 10 s; Spot finishing the call late).
 */
public record SpotClientSettings(
        @JsonProperty("connectTimeoutMs") long connectTimeoutMs,
        @JsonProperty("attemptTimeoutMs") long attemptTimeoutMs,
        @JsonProperty("deadlineMs") long deadlineMs,
        @JsonProperty("maxAttempts") int maxAttempts,
        @JsonProperty("initialBackoffMs") long initialBackoffMs,
        @JsonProperty("maxBackoffMs") long maxBackoffMs,
        @JsonProperty("rateBudgetPerMinute") int rateBudgetPerMinute,
        @JsonProperty("rateWindowMs") long rateWindowMs,
        @JsonProperty("orphanSearchMs") long orphanSearchMs) {

    public static final SpotClientSettings DEFAULTS = new SpotClientSettings(0, 0, 0, 0, 0, 0, 0);

    /** Settings with Spot's 60 s window. */
    public SpotClientSettings(long connectTimeoutMs, long attemptTimeoutMs, long deadlineMs, int maxAttempts,
            long initialBackoffMs, long maxBackoffMs, int rateBudgetPerMinute) {
        this(connectTimeoutMs, attemptTimeoutMs, deadlineMs, maxAttempts, initialBackoffMs, maxBackoffMs,
                rateBudgetPerMinute, 0, 0);
    }

    /** Settings with the default orphan search (one attempt timeout, at most 10 s). */
    public SpotClientSettings(long connectTimeoutMs, long attemptTimeoutMs, long deadlineMs, int maxAttempts,
            long initialBackoffMs, long maxBackoffMs, int rateBudgetPerMinute, long rateWindowMs) {
        this(connectTimeoutMs, attemptTimeoutMs, deadlineMs, maxAttempts, initialBackoffMs, maxBackoffMs,
                rateBudgetPerMinute, rateWindowMs, 0);
    }

    public SpotClientSettings {
        connectTimeoutMs = Defaults.positiveOr(connectTimeoutMs, 5_000);
        attemptTimeoutMs = Defaults.positiveOr(attemptTimeoutMs, 30_000);
        deadlineMs = Defaults.positiveOr(deadlineMs, 60_000);
        maxAttempts = Defaults.positiveOr(maxAttempts, 4);
        initialBackoffMs = Defaults.positiveOr(initialBackoffMs, 200);
        maxBackoffMs = Defaults.positiveOr(maxBackoffMs, 5_000);
        rateBudgetPerMinute = Math.max(0, rateBudgetPerMinute);
        rateWindowMs = Defaults.positiveOr(rateWindowMs, 60_000);
        orphanSearchMs = Defaults.positiveOr(orphanSearchMs, Math.min(attemptTimeoutMs, 10_000));
    }

    /** Whether a rate budget is set. */
    public boolean rateBudgeted() {
        return rateBudgetPerMinute > 0;
    }

    /** Spot's rate-limit window. */
    public java.time.Duration rateWindow() {
        return java.time.Duration.ofMillis(rateWindowMs);
    }

    /** How long to look for a create's object by its correlation tag after an ambiguous failure. */
    public java.time.Duration orphanSearch() {
        return java.time.Duration.ofMillis(orphanSearchMs);
    }
}
