package dev.spotapi.api;

import io.javalin.http.HandlerType;
import io.javalin.router.InternalRouter;
import io.javalin.router.ParsedEndpoint;
import io.javalin.security.Roles;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link Access#PUBLIC} endpoints of the route table by method, in routing order. Javalin finds a
 * request's endpoint by trying every route's regular expression in turn; most requests (everything under
 * {@code /{account}}) match none of the few public ones, and are then known to need a token without that
 * search. Built once from the router, whose table is complete before the server starts.
 */
final class PublicRoutes {
    private final Map<HandlerType, List<ParsedEndpoint>> byMethod = new HashMap<>();

    PublicRoutes(InternalRouter router) {
        for (ParsedEndpoint e : router.allHttpHandlers()) {
            Roles roles = e.endpoint.metadata(Roles.class);
            if (roles != null && roles.getRoles().contains(Access.PUBLIC)) {
                byMethod.computeIfAbsent(e.endpoint.method, m -> new ArrayList<>()).add(e);
            }
        }
    }

    /** Whether a public endpoint of {@code method} matches {@code path} (whether or not it is the first match). */
    boolean anyMatches(HandlerType method, String path) {
        List<ParsedEndpoint> candidates = byMethod.get(method);
        if (candidates == null) {
            return false;
        }
        for (ParsedEndpoint e : candidates) {
            if (e.matches(path)) {
                return true;
            }
        }
        return false;
    }
}
