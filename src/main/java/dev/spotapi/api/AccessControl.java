package dev.spotapi.api;

import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.auth.TokenVerifier.Result;
import dev.spotapi.api.http.Exchange;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Runs before routing for every request, matched or not (after {@link Cors}, which answers CORS
 * preflights): assigns the request id, refuses method tunnelling, and refuses any request whose endpoint is not
 * {@link Access#PUBLIC} unless it carries a valid {@code X-Auth-Token}. Unknown routes need a token
 * too, so the route table cannot be probed.
 *
 * <p>The token is checked on the verifier's own pool (bcrypt never runs on a request thread): a token
 * already known to be right passes at once; otherwise the request is suspended (no thread held) until
 * the verdict arrives. Refusals: 403 for a missing or wrong token, 429 with {@code Retry-After} when
 * this client has used up its failed verifications, 503 with {@code Retry-After} when the verify queue
 * is full. A request with a body was already verified by {@link BodyGate} (before its body was read): its
 * verdict is applied here without a second verification, and a verified body that did not fit the body
 * budget is answered 503 with {@code Retry-After}.
 */
final class AccessControl {
    /**
     * Set on a request refused here (no valid token, throttled, busy, a method override): its metrics carry one
     * route label for all of them ({@link RequestObserver#REFUSED}), never its route template, so that callers
     * without a key cannot add series at will (attack round 11: every route × method × refusal status).
     */
    static final String REFUSED = "spotapi.accessRefused";

    static final String TOKEN_HEADER = "X-Auth-Token";
    /**
     * The header the portal's scheduler (YaleSpinup/minion's instance runner) and expiry service
     * (YaleSpinup/reaper's tagger) send the token in; read when {@link #TOKEN_HEADER} is absent.
     */
    static final String PORTAL_TOKEN_HEADER = "Auth-Token";
    /**
     * Headers and query parameters that frameworks read as "serve this request as another method". None
     * is honoured here; a request carrying one is refused (400), so a read can never turn into a write.
     */
    static final Set<String> METHOD_OVERRIDES = Set.of("x-http-method-override", "x-method-override",
            "x-http-method", "x-original-method", "_method");

    private final TokenVerifier verifier;
    private final ErrorMapper errors;
    private final Replies replies;

    AccessControl(TokenVerifier verifier, ErrorMapper errors, Replies replies) {
        this.verifier = verifier;
        this.errors = errors;
        this.replies = replies;
    }

    void before(Exchange ctx) {
        RequestIds.of(ctx); // assigned by Tracing#before, which runs first
        String tunnel = methodOverride(ctx);
        if (tunnel != null) {
            refuse(ctx, 400, "method override (" + tunnel + ") is not supported: send the request with its real method");
            return;
        }
        if (Access.of(ctx) == Access.PUBLIC) {
            return;
        }
        Result early = ctx.attribute(BodyGate.VERDICT);
        if (early != null) {
            apply(ctx, early); // verified by BodyGate before the body was read
        }
        if (ctx.attribute(BodyGate.BUDGET_FULL) != null) {
            if (early == null || early.verdict().allowed()) {
                ctx.header("Retry-After", "1");
                refuse(ctx, 503, "too many request bodies in progress, retry later");
            }
            return;
        }
        if (early != null) {
            return;
        }
        String token = token(ctx.header(TOKEN_HEADER), ctx.header(PORTAL_TOKEN_HEADER));
        if (verifier.knownGood(token)) {
            return;
        }
        CompletableFuture<Result> verdict = verifier.verify(token, ctx.ip());
        if (verdict.isDone()) {
            apply(ctx, verdict.join());
        } else {
            replies.later(ctx, verdict.thenAccept(result -> apply(ctx, result)));
        }
    }

    private void apply(Exchange ctx, Result result) {
        switch (result.verdict()) {
            case OK -> {
            }
            case THROTTLED -> {
                ctx.header("Retry-After", Long.toString(result.retryAfterSeconds()));
                refuse(ctx, 429, "too many failed " + TOKEN_HEADER + " verifications from this client, retry later");
            }
            case BUSY -> {
                ctx.header("Retry-After", Long.toString(result.retryAfterSeconds()));
                refuse(ctx, 503, "too many " + TOKEN_HEADER + " verifications in progress, retry later");
            }
            default -> refuse(ctx, 403, forbidden(result.verdict(), verifier.settings().maxCost()));
        }
    }

    /**
     * The 403's message: {@code forbidden: missing or invalid X-Auth-Token} (the Go service's refusal, kept as the
     * prefix for callers that match it), then why, from the token's form alone: none sent, not a bcrypt hash at
     * all (most often the pre-shared key itself pasted instead of its hash), a cost outside 4-{@code maxCost}.
     * A well-formed hash of another key says nothing more: none of this depends on the key.
     */
    static String forbidden(TokenVerifier.Verdict verdict, int maxCost) {
        String refusal = "forbidden: missing or invalid " + TOKEN_HEADER;
        return switch (verdict) {
            case MISSING -> refusal + ": no token was sent";
            case MALFORMED -> refusal + ": it is not a bcrypt hash; send the bcrypt hash of the pre-shared key"
                    + " (`spot-api hash-token KEY` makes one), not the key itself";
            case COST_REFUSED -> refusal + ": its bcrypt cost is outside " + TokenVerifier.MIN_COST + "-" + maxCost;
            default -> refusal;
        };
    }

    private void refuse(Exchange ctx, int status, String message) {
        ctx.attribute(REFUSED, Boolean.TRUE);
        errors.write(ctx, status, message);
        ctx.skipRemainingHandlers();
    }

    /** The first method-override header or query parameter of the request, or null. */
    private static String methodOverride(Exchange ctx) {
        for (String name : ctx.headerNames()) {
            if (METHOD_OVERRIDES.contains(name.toLowerCase(Locale.ROOT))) {
                return "header " + name;
            }
        }
        String query = ctx.queryString();
        if (query != null && !query.isEmpty()) {
            for (String name : ctx.queryParamMap().keySet()) {
                if (METHOD_OVERRIDES.contains(name.toLowerCase(Locale.ROOT))) {
                    return "query parameter " + (name.length() > 40 ? name.substring(0, 40) : name);
                }
            }
        }
        return null;
    }

    /**
     * The caller's token: {@value #TOKEN_HEADER}, else {@value #PORTAL_TOKEN_HEADER}; null when neither is sent.
     * The one rule for every place that reads it ({@link BodyGate} before the body, this class after).
     */
    static String token(String authToken, String portalToken) {
        return authToken != null ? authToken : portalToken;
    }
}
