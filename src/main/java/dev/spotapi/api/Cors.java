package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;
import java.util.List;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.PreEncodedHttpField;
import java.util.Set;

/**
 * CORS, before access control and before routing, for every path: answers preflights ({@code OPTIONS},
 * no token needed) allowing the request headers a browser client sends — {@code Content-Type},
 * {@code X-Auth-Token}, {@code X-Request-Id}, {@code Idempotency-Key}, {@code X-Spinup-User} and the
 * W3C trace headers — and marks every answer readable by the allowed origins, exposing
 * {@code X-Request-Id} and {@code Retry-After} to their scripts.
 *
 * <p>Origins come from the config's {@code corsOrigins}: {@code ["*"]} (the default) allows any
 * origin, as the token and not the origin guards the API; a list of origins allows only those, echoing
 * the caller's {@code Origin} with {@code Vary: Origin}. Credentials (cookies) are never allowed: the
 * API has none. Answers Jetty writes itself (413 for a body over the limit) get the same marks
 * ({@link #onJettyError}).
 *
 * <p>Not Javalin's {@code CorsPlugin} (7.2): it answers only requests carrying {@code Origin} (a preflight on
 * any path without one must still be 200 with the allowed headers, AuthAndCorsTest), echoes the requested
 * method and headers instead of listing the allowed ones (CorsTest expects GET, POST, PUT, DELETE from a
 * POST's preflight), and could not mark the answers Jetty writes before the router.
 */
final class Cors {
    /** The request headers a preflight allows. */
    static final String ALLOWED_HEADERS = "Content-Type, X-Auth-Token, Auth-Token, X-Request-Id, Idempotency-Key,"
            + " X-Spinup-User, traceparent, tracestate, Prefer, If-Match, If-None-Match, If-Unmodified-Since";
    /** The response headers scripts of an allowed origin may read. */
    static final String EXPOSED_HEADERS = "X-Request-Id, Retry-After, Idempotency-Replayed, X-Flywheel-Task,"
            + " Preference-Applied, X-Spot-Roll";
    static final String ALLOWED_METHODS = "GET, POST, PUT, DELETE, OPTIONS";
    /** Request attribute of a preflight this step answered (the access line and timer say PREFLIGHT). */
    static final String PREFLIGHT = "spot-api.preflight";
    /** How long (seconds) a browser may cache a preflight's answer. */
    static final int MAX_AGE = 600;

    private final boolean anyOrigin;
    private final Set<String> origins;
    private static final HttpField ANY_ORIGIN = new PreEncodedHttpField("Access-Control-Allow-Origin", "*");
    private static final HttpField EXPOSED = new PreEncodedHttpField("Access-Control-Expose-Headers", EXPOSED_HEADERS);

    Cors(List<String> origins) {
        this.anyOrigin = origins.contains("*");
        this.origins = Set.copyOf(origins);
    }

    void before(Exchange ctx) {
        String allowOrigin = allowOrigin(ctx.header("Origin"));
        if (!anyOrigin) {
            ctx.header("Vary", "Origin");
        }
        if (allowOrigin != null) {
            if (anyOrigin) {
                ctx.header(ANY_ORIGIN);
            } else {
                ctx.header("Access-Control-Allow-Origin", allowOrigin);
            }
        }
        if ("OPTIONS".equals(ctx.method().name())) {
            RequestIds.of(ctx);
            ctx.attribute(PREFLIGHT, Boolean.TRUE);
            if (allowOrigin != null) {
                ctx.header("Access-Control-Allow-Headers", ALLOWED_HEADERS)
                        .header("Access-Control-Allow-Methods", ALLOWED_METHODS)
                        .header("Access-Control-Max-Age", Integer.toString(MAX_AGE));
            }
            ctx.status(200);
            ctx.skipRemainingHandlers();
            return;
        }
        if (allowOrigin != null) {
            ctx.header(EXPOSED);
        }
    }

    /**
     * The same marks on an answer Jetty writes itself, before the router (e.g. 413 for a body over the hard limit,
     * {@link JettyErrors}): without them a browser script could not read the error.
     */
    void onJettyError(String origin, HttpFields.Mutable headers) {
        String allowOrigin = allowOrigin(origin);
        if (!anyOrigin) {
            headers.put("Vary", "Origin");
        }
        if (allowOrigin != null) {
            headers.put("Access-Control-Allow-Origin", allowOrigin);
            headers.put("Access-Control-Expose-Headers", EXPOSED_HEADERS);
        }
    }

    /** The Access-Control-Allow-Origin value for this Origin, or null when it is not allowed. */
    private String allowOrigin(String origin) {
        if (anyOrigin) {
            return "*";
        }
        return origin != null && origins.contains(origin) ? origin : null;
    }
}
