package dev.spotapi.api;

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
     * One row of the table. {@code jsonBody}: the route takes a JSON object body, which is read and
     * checked before anything else happens (a bad body is a 400 that costs no Spot call).
     */
    record Route(HandlerType method, String path, boolean isPublic, Handler handler, boolean jsonBody) {
        Route(HandlerType method, String path, boolean isPublic, Handler handler) {
            this(method, path, isPublic, handler, false);
        }
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
                withBody(HandlerType.POST, "/{account}/elastigroups", groups::create),
                auth(HandlerType.GET, "/{account}/elastigroups/{elastigroup}", groups::get),
                withBody(HandlerType.PUT, "/{account}/elastigroups/{elastigroup}", groups::update),
                auth(HandlerType.DELETE, "/{account}/elastigroups/{elastigroup}", groups::delete),

                auth(HandlerType.GET, "/{account}/instances", instances::list),
                withBody(HandlerType.POST, "/{account}/instances", instances::create),
                auth(HandlerType.GET, "/{account}/instances/{instance}", instances::summary),
                withBody(HandlerType.PUT, "/{account}/instances/{instance}", instances::update),
                auth(HandlerType.DELETE, "/{account}/instances/{instance}", instances::delete),
                auth(HandlerType.GET, "/{account}/instances/{instance}/costs", instances::costs),
                auth(HandlerType.GET, "/{account}/instances/{instance}/status", instances::status),

                auth(HandlerType.GET, "/{account}/volumes", system::notImplemented));
    }

    static void register(RoutesConfig config, List<Route> table) {
        table.forEach(r -> config.addHttpHandler(r.method(), r.path(), r.handler()));
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
        return new Route(method, PREFIX + path, true, handler);
    }

    private static Route auth(HandlerType method, String path, Handler handler) {
        return new Route(method, PREFIX + path, false, handler);
    }

    /** A route behind the token that takes a JSON object body. */
    private static Route withBody(HandlerType method, String path, Handler handler) {
        return new Route(method, PREFIX + path, false, handler, true);
    }

    /** "METHOD template" of every route that takes a JSON object body. */
    static Set<String> bodyRoutes(List<Route> table) {
        return table.stream().filter(Route::jsonBody).map(r -> r.method().name() + ' ' + r.path())
                .collect(Collectors.toUnmodifiableSet());
    }
}
