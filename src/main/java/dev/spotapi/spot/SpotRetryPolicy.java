package dev.spotapi.spot;

import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.spot.SpotException.Kind;

/**
 * The one place that decides whether a failed attempt of a Spot call may be sent again (issue 10 item 5).
 *
 * <p>A <b>read</b> (GET) may be retried on 429, 502, 503, 504, a timeout or a dropped connection: sending it
 * twice changes nothing. A <b>write</b> (PUT, DELETE, POST) is retried only when the failed attempt provably
 * never reached Spot's processing: Spot answered 429 (throttled before it looked at the request), or the
 * connection could not be made (nothing was sent). After anything else (a timeout, a dropped reply, a 5xx, a
 * reply that is not Spot's envelope) Spot may have applied the change: a second copy could land after a newer
 * write from the same caller and undo it, so the caller is told instead (504/502 "may have been applied").
 *
 * <p>{@code spot.maxAttempts} bounds what Spot sees: each attempt is exactly one request; the HTTP client
 * never resends a request it has written ({@link SpotHttp}).
 */
public final class SpotRetryPolicy {
    private SpotRetryPolicy() {
    }

    /** Whether a write with this failure provably did not reach Spot (so resending it cannot apply it twice). */
    public static boolean provablyNotApplied(SpotException failure) {
        return failure.kind() == Kind.RATE_LIMITED
                || (failure.kind() == Kind.UNREACHABLE && !failure.mayHaveActed());
    }

    /** Whether the kind of failure allows another attempt of {@code call} (time and attempts aside). */
    public static boolean kindAllowsRetry(SpotCall call, SpotException failure) {
        if (!call.isRead()) {
            return provablyNotApplied(failure);
        }
        return switch (failure.kind()) {
            case RATE_LIMITED, UNREACHABLE, TIMEOUT -> true;
            case BAD_REPLY -> failure.httpStatus() == 502 || failure.httpStatus() == 503 || failure.httpStatus() == 504;
            default -> false;
        };
    }

    /**
     * The whole decision: the kind allows it, fewer than {@code maxAttempts} requests were sent (each attempt
     * is exactly one request: {@link SpotHttp}) and the wait plus a
     * useful attempt fits the remaining deadline.
     *
     * @param attemptsSent requests sent for this call so far, the failed one included
     * @param remainingMs  time left before the call's deadline
     */
    public static boolean mayRetry(SpotCall call, SpotException failure, int attemptsSent, long remainingMs,
            SpotClientSettings settings) {
        if (!kindAllowsRetry(call, failure) || attemptsSent >= settings.maxAttempts()) {
            return false;
        }
        long wait = failure.retryAfter() == null ? settings.initialBackoffMs() : failure.retryAfter().toMillis();
        return wait + Math.min(settings.attemptTimeoutMs(), 1_000) < remainingMs && wait <= settings.maxBackoffMs() * 4;
    }
}
