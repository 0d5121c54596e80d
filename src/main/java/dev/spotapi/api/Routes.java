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

    /** One row of the table. */
    record Route(HandlerType method, String path, boolean isPublic, Handler handler) {
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
                open(HandlerType.GET, "/docs/assets/{asset}", docs::asset),

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

    static void register(RoutesConfig config, List<Route> table) {
        table.forEach(r -> config.addHttpHandler(r.method(), r.path(), r.handler(),
                r.isPublic() ? Access.PUBLIC : Access.TOKEN));
    }

    /**
     * The first path segments (after {@value #PREFIX}) of the public routes, lower case: an account
     * may not be named after one of them, or its routes would be shadowed by, or mistaken for, a public one.
     */
    static Set<String> reservedSegments(List<Route> table) {
        return table.stream().filter(Route::isPublic)
                .map(r -> r.path().substring(PREFIX.length() + 1).split("/")[0].toLowerCase(java.util.Locale.ROOT))
                .collect(Collectors.toUnmodifiableSet());
    }

    private static Route open(HandlerType method, String path, Handler handler) {
        return new Route(method, PREFIX + path, true, handler);
    }

    private static Route auth(HandlerType method, String path, Handler handler) {
        return new Route(method, PREFIX + path, false, handler);
    }
}
