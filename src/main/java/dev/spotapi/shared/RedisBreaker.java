package dev.spotapi.shared;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The circuit breaker in front of one Redis connection (Resilience4j): after 2 failed commands out of the
 * last 4 (a timeout, a refused connection, a refused password) it opens and every command fails at once,
 * without waiting for Redis, for {@value #OPEN_MS} ms; then one trial command decides whether it closes.
 * So a stuck (paused) Redis costs one timeout every {@value #OPEN_MS} ms, not one per call.
 *
 * <p>Logs once per transition: WARN when it opens (with the failure), INFO when it closes. It also keeps the
 * last failure for the health check ({@link #health}). Auth failures (wrong password) are told apart: a
 * replica whose password Redis refuses is misconfigured, not merely cut off.
 */
public final class RedisBreaker {
    private static final Logger LOG = LoggerFactory.getLogger(RedisBreaker.class);
    static final long OPEN_MS = 2_000;

    private final String name;
    private final CircuitBreaker breaker;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private volatile boolean authRefused;
    /** Whether the last failure was Redis answering a setting of this replica's that it cannot serve. */
    private volatile boolean misconfigured;
    private volatile Instant openedAt;

    /** @param name what the connection is for: {@code sharedState} or {@code taskStore} (logs, metrics, health) */
    public RedisBreaker(String name) {
        this.name = name;
        this.breaker = CircuitBreaker.of("redis-" + name, CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(4)
                .minimumNumberOfCalls(2)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofMillis(OPEN_MS))
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordException(RedisBreaker::unavailable)
                .build());
        breaker.getEventPublisher().onStateTransition(e -> {
            switch (e.getStateTransition().getToState()) {
                case OPEN -> {
                    if (e.getStateTransition().getFromState() != CircuitBreaker.State.HALF_OPEN) {
                        openedAt = Instant.now();
                        LOG.atWarn().addKeyValue("component", name).addKeyValue("error", lastError)
                                .log("Redis ({}) failing: circuit open, commands fail at once until a trial"
                                        + " command every {} ms succeeds", name, OPEN_MS);
                    }
                }
                case CLOSED -> {
                    openedAt = null;
                    authRefused = false;
                    misconfigured = false;
                    LOG.atInfo().addKeyValue("component", name).log("Redis ({}) answers again: circuit closed", name);
                }
                default -> { }
            }
        });
    }

    /** Redis's error replies that say it cannot serve now (its other errors are a command's own: Redis is up). */
    private static final java.util.List<String> UNAVAILABLE = java.util.List.of("NOAUTH", "WRONGPASS", "NOPERM",
            "LOADING", "BUSY", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN", "OOM", "MISCONF");

    /**
     * Whether a command's failure says Redis cannot serve (it counts towards opening the breaker): anything but an
     * error reply of Redis's to that one command (a script's error such as {@code NOGROUP} for a stream lost with
     * Redis's data, {@code WRONGTYPE}), which says Redis is up (attack round 11: one such error opened the breaker
     * and failed every task's writes).
     */
    static boolean unavailable(Throwable e) {
        if (!(e instanceof RuntimeException)) {
            return false;
        }
        if (e instanceof io.lettuce.core.RedisCommandExecutionException) {
            String message = e.getMessage() == null ? "" : e.getMessage();
            return UNAVAILABLE.stream().anyMatch(message::startsWith);
        }
        return true;
    }

    /**
     * Runs {@code command} through the breaker.
     *
     * @throws RedisUnavailable when the breaker is open (the command was not sent)
     * @throws RuntimeException what the command threw (recorded as a failure)
     */
    public <T> T call(Supplier<T> command) {
        try {
            return breaker.executeSupplier(() -> {
                try {
                    return command.get();
                } catch (RuntimeException e) {
                    failed(e);
                    throw e;
                }
            });
        } catch (CallNotPermittedException e) {
            throw new RedisUnavailable("Redis (" + name + ") is failing, circuit open; last error: " + lastError);
        }
    }

    private void failed(RuntimeException e) {
        String text = describe(e);
        lastError = text;
        lastErrorAt = Instant.now();
        authRefused = isAuthError(text);
        misconfigured = !authRefused && isConfigurationError(text);
    }

    /** Whether the breaker lets commands through (closed or trying). */
    public boolean closed() {
        return breaker.getState() != CircuitBreaker.State.OPEN && breaker.getState() != CircuitBreaker.State.FORCED_OPEN;
    }

    /** 0 closed, 1 half open (trying), 2 open: the {@code spotapi_redis_circuit_state} gauge. */
    public int stateCode() {
        return switch (breaker.getState()) {
            case CLOSED, DISABLED, METRICS_ONLY -> 0;
            case HALF_OPEN -> 1;
            default -> 2;
        };
    }

    /** Commands refused while open (never sent), since the start. */
    public long refusedCalls() {
        return breaker.getMetrics().getNumberOfNotPermittedCalls();
    }

    /** Whether the last failure was Redis refusing the password (WRONGPASS, NOAUTH, NOPERM). */
    public boolean authRefused() {
        return authRefused;
    }

    /**
     * The component's health from what the breaker has seen, plus {@code reachable} (one PING through the
     * breaker: immediate while open): UP, or DOWN with the reason ({@code auth_refused} or {@code unreachable}),
     * when the last error was seen and since when. Never the error's text: /health is public, and Redis's
     * messages name hosts and users; the text is in the WARN line logged when the circuit opens.
     */
    public dev.spotapi.health.Health health(boolean reachable) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("type", "redis");
        details.put("circuit", switch (stateCode()) {
            case 0 -> "closed";
            case 1 -> "half_open";
            default -> "open";
        });
        if (reachable) {
            return dev.spotapi.health.Health.up(details);
        }
        if (lastError != null) {
            details.put("errorAt", String.valueOf(lastErrorAt));
        }
        if (openedAt != null) {
            details.put("downSince", openedAt.toString());
        }
        details.put("reason", authRefused ? "auth_refused" : misconfigured ? "misconfigured" : "unreachable");
        return dev.spotapi.health.Health.of(dev.spotapi.health.Health.Status.DOWN, details);
    }

    /**
     * Whether Redis answered, but refused a setting of this replica's connection: a database index it does not have
     * ({@code ERR DB index is out of range}), TLS ({@code rediss://}) against a Redis without it, or the reverse
     * (attack round 17: such a replica was ready, every keyed request 503). Like a refused password, a fault of the
     * replica, not of Redis.
     */
    static boolean isConfigurationError(String text) {
        return text != null && (text.contains("DB index") || text.contains("invalid DB index")
                || text.contains("SSL") || text.contains("Ssl") || text.contains("TLS record"));
    }

    static boolean isAuthError(String text) {
        return text != null && (text.contains("WRONGPASS") || text.contains("NOAUTH") || text.contains("NOPERM")
                || text.contains("invalid password") || text.contains("without any password configured"));
    }

    /** The innermost cause, as {@code Type: message}. */
    public static String describe(Throwable e) {
        Throwable root = e;
        StringBuilder auth = null;
        while (root.getCause() != null && root.getCause() != root) {
            if (root.getMessage() != null && isAuthError(root.getMessage())) {
                auth = new StringBuilder(root.getMessage());
            }
            root = root.getCause();
        }
        String message = root.getMessage();
        String text = root.getClass().getSimpleName() + (message == null ? "" : ": " + message);
        return auth != null && !isAuthError(text) ? text + " (" + auth + ")" : text;
    }

    /** A command refused by the open breaker. */
    public static final class RedisUnavailable extends RuntimeException {
        RedisUnavailable(String message) {
            super(message, null, false, false);
        }
    }
}
