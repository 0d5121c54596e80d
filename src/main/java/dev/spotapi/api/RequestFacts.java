package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;
import java.util.List;
import java.util.Queue;

/** What the HTTP layer learned about a request, for cross-cutting handlers outside this package (audit). */
public final class RequestFacts {
    private RequestFacts() {
    }

    /** The request id (also sent back as {@code X-Request-Id}). */
    public static String requestId(Exchange ctx) {
        return RequestIds.of(ctx);
    }

    /** The account name from the path, once it was resolved; else null. */
    public static String account(Exchange ctx) {
        return ctx.attribute(AccountLookup.ATTRIBUTE);
    }

    /** Spot's request ids of the calls made for this request, in order of their replies. */
    public static List<String> spotRequestIds(Exchange ctx) {
        Queue<String> ids = ctx.attribute(AccountLookup.SPOT_REQUEST_IDS);
        return ids == null ? List.of() : List.copyOf(ids);
    }

    /** {@code METHOD /v1/spot/...template} of the matched route, or null when none matched. */
    public static String routeKey(Exchange ctx) {
        String route = RequestObserver.routeOf(ctx);
        return RequestObserver.UNMATCHED.equals(route) ? null : ctx.method().name() + " " + route;
    }
}
