package dev.spotapi.api;

import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.idempotency.Idempotency;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;

/**
 * Runs before routing for every request, matched or not: assigns the request id, answers CORS
 * preflights on any path, and refuses (403) any non-public request without a valid {@code X-Auth-Token}.
 * Running before routing means unknown routes answer 403 too, so the route table cannot be probed.
 */
final class AccessControl {
    static final String TOKEN_HEADER = "X-Auth-Token";

    private final TokenVerifier verifier;
    private final Routes.PublicPaths publicPaths;
    private final ErrorMapper errors;

    AccessControl(TokenVerifier verifier, Routes.PublicPaths publicPaths, ErrorMapper errors) {
        this.verifier = verifier;
        this.publicPaths = publicPaths;
        this.errors = errors;
    }

    void before(Context ctx) {
        RequestIds.assign(ctx);
        ctx.header("Access-Control-Allow-Origin", "*");
        ctx.header("Access-Control-Expose-Headers", Idempotency.REPLAYED + ", Retry-After");
        if (HandlerType.OPTIONS.equals(ctx.method())) {
            ctx.header("Access-Control-Allow-Headers", TOKEN_HEADER + ", " + Idempotency.HEADER)
               .header("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
               .status(200);
            ctx.skipRemainingHandlers();
            return;
        }
        if (publicPaths.contains(ctx.path())) {
            return;
        }
        if (!verifier.check(ctx.header(TOKEN_HEADER)).allowed()) {
            errors.write(ctx, 403, "forbidden: missing or invalid " + TOKEN_HEADER);
            ctx.skipRemainingHandlers();
        }
    }
}
