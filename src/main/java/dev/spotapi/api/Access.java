package dev.spotapi.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.router.InternalRouter;
import io.javalin.router.ParsedEndpoint;
import io.javalin.security.RouteRole;
import io.javalin.security.Roles;
import java.util.function.Supplier;

/**
 * Who may call an endpoint, attached to each route as its Javalin route role. Access is decided from
 * the endpoint the request matches (method and path template, exactly as Javalin routes it), never from
 * a path prefix: a request that matches no endpoint, or an endpoint not marked {@link #PUBLIC}, needs a
 * valid {@code X-Auth-Token}.
 */
public enum Access implements RouteRole {
    /** Anyone: liveness, readiness, version, metrics and the API documentation. */
    PUBLIC,
    /** Callers presenting a valid X-Auth-Token. */
    TOKEN;

    /**
     * The access of the endpoint this request will be routed to, found with Javalin's own router: HEAD
     * is served by the GET endpoint (without a body), any other method by its own endpoint. Uses the
     * method on the request line, never a method-override header. {@link #TOKEN} when nothing matches.
     */
    static Access of(Context ctx, Supplier<InternalRouter> router, PublicRoutes publicRoutes) {
        HandlerType method = HandlerType.findOrDefault(ctx.req().getMethod());
        if (HandlerType.HEAD.equals(method)) {
            method = HandlerType.GET;
        }
        String path = ctx.path();
        if (!publicRoutes.anyMatches(method, path)) {
            return TOKEN; // the first match, if any, is not public either
        }
        ParsedEndpoint matched = router.get().findFirstHttpHandlerEntry(method, path);
        if (matched == null) {
            return TOKEN;
        }
        Roles roles = matched.endpoint.metadata(Roles.class);
        return roles != null && roles.getRoles().contains(PUBLIC) ? PUBLIC : TOKEN;
    }
}
