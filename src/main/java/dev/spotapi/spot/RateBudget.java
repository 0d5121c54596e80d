package dev.spotapi.spot;

import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.shared.SharedState;
import java.time.Duration;

/**
 * The Spot rate budget, shared by every replica through {@link SharedState}: Spot counts calls per
 * organization, route and HTTP method over a 60 s window and keeps blocking a client that keeps
 * sending while blocked (contract section 9.2). So each call first takes one unit from the budget of
 * its account (its config name with its Spot account id: deployments of several orgs on one Redis may give
 * different Spot accounts the same name in their configs, and must not hold each other's routes), route template (ids replaced by {@code {id}}) and method, and after Spot answers 429 or
 * {@code X-RateLimit-Remaining: 0} the route is held for the window (or Spot's {@code Retry-After}):
 * calls in that time fail at once with {@link SpotException.Kind#RATE_LIMITED} and never reach Spot.
 */
public final class RateBudget {
    private final SharedState state;
    private final long perWindow;
    private final Duration window;

    public RateBudget(SharedState state, SpotClientSettings settings) {
        this.state = state;
        this.perWindow = settings.rateBudgetPerMinute();
        this.window = settings.rateWindow();
    }

    /** Takes one call for {@code call}; returns {@link Duration#ZERO} when it may go, else the wait. */
    Duration take(String account, SpotCall call) {
        return state.tryTake(bucket(account, call), perWindow, window);
    }

    /** Spot said this route's budget is spent: hold it for {@code retryAfter}, or the whole window. */
    void spent(String account, SpotCall call, Duration retryAfter) {
        Duration hold = retryAfter == null || retryAfter.isZero() ? window : retryAfter;
        state.hold(bucket(account, call), hold);
    }

    /** The shared state the budget lives in (also holds the write marks and fence leases). */
    SharedState shared() {
        return state;
    }

    /** The window length (for messages). */
    Duration window() {
        return window;
    }

    /** {@code name/spotAccountId METHOD /route/{id}/...}: the unit Spot counts by. */
    static String bucket(String account, SpotCall call) {
        return account + ' ' + call.method() + ' ' + template(call.path());
    }

    /** The path with every Spot id segment ({@code sig-...}, {@code smi-...}, ...) replaced by {@code {id}}. */
    static String template(String path) {
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (isId(segments[i])) {
                segments[i] = "{id}";
            }
        }
        return String.join("/", segments);
    }

    private static boolean isId(String segment) {
        return SpotIds.isGroupId(segment) || SpotIds.isManagedInstanceId(segment);
    }
}
