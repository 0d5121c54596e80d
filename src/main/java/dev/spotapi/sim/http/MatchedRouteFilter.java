package dev.spotapi.sim.http;

import dev.spotapi.sim.faults.RateLimiter;
import dev.spotapi.sim.SpotException;

import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.router.Endpoint;
import java.util.List;
import java.util.Set;

/**
 * Runs after {@link SpotApiFilter} for every Spot API request that matched a route (a
 * {@code beforeMatched} handler), so it knows the route template:
 * <ul>
 *   <li>a segment that is one of Spot's own route names (e.g. {@code state} in
 *       {@code PUT /aws/ec2/managedInstance/state}, Spot's bulk pause/resume) is never read as an
 *       id: 404 {@code NOT_FOUND} (contract §9.12);</li>
 *   <li>rate limiting per account, route template and method (contract §9.2, {@link RateLimiter}):
 *       {@code X-RateLimit-Remaining} on the reply, 429 when blocked.</li>
 * </ul>
 * New routes get both by being registered; a literal route (like {@code .../state}) must be
 * registered before the {@code {id}} route it would otherwise match.
 */
public final class MatchedRouteFilter implements Handler {
    /** Literal segments of Spot's routes where an id could stand (spot-aws.yaml path list). */
    static final Set<String> RESERVED_SEGMENTS = Set.of("instance", "autoScalingGroup", "state", "migration");
    static final String REMAINING_HEADER = "X-RateLimit-Remaining";

    private final RateLimiter rateLimiter;

    public MatchedRouteFilter(RateLimiter rateLimiter) {
        this.rateLimiter = rateLimiter;
    }

    @Override
    public void handle(Context ctx) {
        if (AdminRoutes.isAdminPath(ctx.path())) {
            return;
        }
        Endpoint endpoint = ctx.endpoints().matchedHttpEndpoint();
        String route = endpoint == null ? ctx.path() : endpoint.path;
        for (String value : List.copyOf(ctx.pathParamMap().values())) {
            if (RESERVED_SEGMENTS.contains(value)) {
                throw notFound(ctx);
            }
        }
        RateLimiter.Decision decision = rateLimiter.admit(SpotApiFilter.account(ctx), ctx.method().name(), route);
        ctx.header(REMAINING_HEADER, Integer.toString(decision.remaining()));
        if (!decision.allowed()) {
            throw new SpotException(429, "RATE_LIMIT", "Too many " + ctx.method().name() + " requests to " + route
                    + " in the last 60 seconds; every request while blocked restarts the 60 s", null);
        }
    }

    /** The same 404 as an unmatched route. */
    public static SpotException notFound(Context ctx) {
        return new SpotException(404, "NOT_FOUND", "Endpoint " + ctx.method().name() + " " + ctx.path() + " not found", null);
    }
}
