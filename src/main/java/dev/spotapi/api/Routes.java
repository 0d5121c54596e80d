package dev.spotapi.api;

import dev.spotapi.idempotency.Idempotency;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** The route table: every path spot-api serves, whether it is public, and the handler behind it. */
final class Routes {
    static final String PREFIX = "/v1/spot";

    /**
     * One row of the table. {@code idempotency}: null for routes without {@code Idempotency-Key}
     * handling; every POST gets {@link Idempotency.Mode#CREATE}, every route declared with
     * {@link #action} gets {@link Idempotency.Mode#ACTION}.
     */
    record Route(HandlerType method, String path, boolean isPublic, Handler handler, Idempotency.Mode idempotency) {
    }

    private Routes() {
    }

    static List<Route> table(SystemRoutes system, DocsRoutes docs, ElastigroupRoutes groups, InstanceRoutes instances) {
        return List.of(
                open(HandlerType.GET, "/ping", system::ping),
                open(HandlerType.GET, "/version", system::version),
                open(HandlerType.GET, "/metrics", system::metrics),
                open(HandlerType.GET, "/ready", system::ready),
                open(HandlerType.GET, "/openapi.json", docs::openApi),
                open(HandlerType.GET, "/docs", docs::page),
                open(HandlerType.GET, "/docs/{asset}", docs::asset),

                auth(HandlerType.GET, "/{account}/elastigroups", groups::list),
                auth(HandlerType.POST, "/{account}/elastigroups", groups::create),
                auth(HandlerType.GET, "/{account}/elastigroups/{elastigroup}", groups::get),
                auth(HandlerType.PUT, "/{account}/elastigroups/{elastigroup}", groups::update),
                auth(HandlerType.DELETE, "/{account}/elastigroups/{elastigroup}", groups::delete),

                auth(HandlerType.GET, "/{account}/instances", instances::list),
                auth(HandlerType.POST, "/{account}/instances", instances::create),
                auth(HandlerType.GET, "/{account}/instances/{instance}", instances::summary),
                auth(HandlerType.PUT, "/{account}/instances/{instance}", instances::update),
                auth(HandlerType.DELETE, "/{account}/instances/{instance}", instances::delete),
                auth(HandlerType.GET, "/{account}/instances/{instance}/costs", instances::costs),
                auth(HandlerType.GET, "/{account}/instances/{instance}/status", instances::status),

                auth(HandlerType.GET, "/{account}/volumes", system::notImplemented));
    }

    static void register(RoutesConfig config, List<Route> table, Idempotency idempotency) {
        table.forEach(r -> config.addHttpHandler(r.method(), r.path(),
                r.idempotency() == null ? r.handler() : idempotency.wrap(r.handler(), r.idempotency())));
    }

    /** Public paths without path parameters match exactly; {@code /docs/{asset}} matches by prefix. */
    static PublicPaths publicPaths(List<Route> table) {
        Set<String> exact = table.stream().filter(Route::isPublic).map(Route::path)
                .filter(p -> !p.contains("{")).collect(Collectors.toUnmodifiableSet());
        Set<String> prefixes = table.stream().filter(Route::isPublic).map(Route::path)
                .filter(p -> p.contains("{")).map(p -> p.substring(0, p.indexOf('{')))
                .collect(Collectors.toUnmodifiableSet());
        return new PublicPaths(exact, prefixes);
    }

    /** Which request paths need no token. */
    record PublicPaths(Set<String> exact, Set<String> prefixes) {
        boolean contains(String path) {
            if (exact.contains(path)) {
                return true;
            }
            for (String prefix : prefixes) {
                if (path.startsWith(prefix) && path.indexOf('/', prefix.length()) < 0) {
                    return true;
                }
            }
            return false;
        }
    }

    private static Route open(HandlerType method, String path, Handler handler) {
        return new Route(method, PREFIX + path, true, handler, null);
    }

    /** A route behind the token; a POST takes an {@code Idempotency-Key}. */
    private static Route auth(HandlerType method, String path, Handler handler) {
        return new Route(method, PREFIX + path, false, handler,
                HandlerType.POST.equals(method) ? Idempotency.Mode.CREATE : null);
    }

    /** An action route (power, capacity, scale) behind the token: it takes an {@code Idempotency-Key}. */
    @SuppressWarnings("unused") // used by the action routes
    private static Route action(HandlerType method, String path, Handler handler) {
        return new Route(method, PREFIX + path, false, handler, Idempotency.Mode.ACTION);
    }
}
