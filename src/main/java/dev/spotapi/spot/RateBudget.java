package dev.spotapi.spot;

import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.shared.SharedState;
import java.time.Duration;

/**
 * The Spot rate budget, shared by every replica through {@link SharedState}: Spot counts calls per
 * organization, route and HTTP method over a 60 s window and keeps blocking a client that keeps
 * sending while blocked (contract section 9.2). So each call first takes one unit from the budget of
 * its account (its config name with its Spot account id: deployments of several orgs on one Redis may give
 * different Spot accounts the same name in their configs, and must not hold each other's routes), route template
 * (every segment but Spot's route words replaced by {@code {id}}: {@link #template}) and method, and after Spot
 * answers 429 or {@code X-RateLimit-Remaining: 0} the route is held for the window (or Spot's {@code Retry-After})
 * for the Spot account, under every name the config gives it (attack round 16: the other name of one Spot account
 * kept calling a route Spot was holding): calls in that time fail at once with
 * {@link SpotException.Kind#RATE_LIMITED} and never reach Spot.
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

    /**
     * Takes one call for {@code call} from {@code budget}'s budget (name/Spot account id) unless Spot holds the route
     * for {@code spotAccount} (its Spot account id); returns {@link Duration#ZERO} when it may go, else the wait.
     */
    Duration take(String budget, String spotAccount, SpotCall call) {
        return take(budget, spotAccount, call, false);
    }

    /**
     * {@link #take(String, String, SpotCall)}; a {@code background} call (a task's read) first takes from the route's
     * background share, half the budget: background work never spends more than half of a route's window.
     */
    Duration take(String budget, String spotAccount, SpotCall call, boolean background) {
        String route = route(call);
        String held = HELD + spotAccount + ' ' + route;
        if (background && perWindow > 0) {
            Duration wait = state.tryTake(budget + " background " + route, held, Math.max(1, perWindow / 2), window);
            if (!wait.isZero()) {
                return wait;
            }
        }
        return state.tryTake(budget + ' ' + route, held, perWindow, window);
    }

    /**
     * Spot said this route's budget is spent for {@code spotAccount}: hold it for {@code retryAfter} (Spot's
     * {@code Retry-After}, already bounded), or the whole window when Spot gave none. Spot's {@code Retry-After: 0}
     * (or a date passed) says a call may go now: no hold (attack round 16: the retry Spot allowed was refused here).
     */
    void spent(String spotAccount, SpotCall call, Duration retryAfter) {
        if (retryAfter != null && retryAfter.isZero()) {
            return;
        }
        state.hold(HELD + spotAccount + ' ' + route(call), retryAfter == null ? window : retryAfter);
    }

    /** Starts a hold's bucket name: none of a budget's can (a budget's starts with a config name and a '/'). */
    private static final String HELD = "spot:";

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
        return account + ' ' + route(call);
    }

    /** {@code METHOD /route/{id}/...}: a call's route, as budgets and holds name it. */
    private static String route(SpotCall call) {
        return call.method() + ' ' + template(call.path());
    }

    /**
     * The words of Spot's paths as spot-api calls them (OAS paths under {@code /aws/ec2/group} and
     * {@code /aws/ec2/managedInstance}): every other segment of a path is an id.
     */
    static final java.util.Set<String> ROUTE_WORDS = java.util.Set.of("aws", "ec2", "group", "managedInstance",
            "migration", "bulk", "search", "state", "statefulInstance", "volume", "capacity", "costs", "events", "logs",
            "status", "roll", "suspension", "detachInstances", "instanceHealthiness", "unhealthyImages", "scale", "up",
            "down", "pause", "resume", "recycle", "deallocate");

    /**
     * The path with every segment that is not one of {@link #ROUTE_WORDS} replaced by {@code {id}}: the ids a caller
     * chooses (a group's, a migration's, a roll's, a stateful instance's, a volume's) never make a budget of their
     * own (attack round 6: only {@code sig-} and {@code smi-} segments were replaced, so every made-up migration id
     * had a fresh budget, and a key of its own in Redis).
     */
    static String template(String path) {
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (!segments[i].isEmpty() && !ROUTE_WORDS.contains(segments[i])) {
                segments[i] = "{id}";
            }
        }
        return String.join("/", segments);
    }
}
