package dev.spotapi.api;

import dev.spotapi.auth.TokenVerifier;
import io.javalin.http.Context;

/**
 * Runs before routing for every request, matched or not (after {@link Cors}, which answers
 * preflights): assigns the request id, and refuses (403) any non-public request without a valid {@code X-Auth-Token}.
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
        if (publicPaths.contains(ctx.path())) {
            return;
        }
        if (!verifier.check(ctx.header(TOKEN_HEADER)).allowed()) {
            errors.write(ctx, 403, "forbidden: missing or invalid " + TOKEN_HEADER);
            ctx.skipRemainingHandlers();
        }
    }
}
