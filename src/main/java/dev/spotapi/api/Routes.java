package dev.spotapi.api;

import io.javalin.config.RoutesConfig;
import java.util.Set;

/** The route table: every path spot-api serves and the handler behind it. */
final class Routes {
    static final String PREFIX = "/v1/spot";
    static final Set<String> PUBLIC = Set.of(PREFIX + "/ping", PREFIX + "/version", PREFIX + "/metrics");

    private Routes() {
    }

    static void register(RoutesConfig r, SystemRoutes system, ElastigroupRoutes groups, InstanceRoutes instances) {
        r.get(PREFIX + "/ping", system::ping);
        r.get(PREFIX + "/version", system::version);
        r.get(PREFIX + "/metrics", system::metrics);

        r.get(PREFIX + "/{account}/elastigroups", groups::list);
        r.post(PREFIX + "/{account}/elastigroups", groups::create);
        r.get(PREFIX + "/{account}/elastigroups/{elastigroup}", groups::get);
        r.put(PREFIX + "/{account}/elastigroups/{elastigroup}", groups::update);
        r.delete(PREFIX + "/{account}/elastigroups/{elastigroup}", groups::delete);

        r.get(PREFIX + "/{account}/instances", instances::list);
        r.post(PREFIX + "/{account}/instances", instances::create);
        r.get(PREFIX + "/{account}/instances/{instance}", instances::summary);
        r.put(PREFIX + "/{account}/instances/{instance}", instances::update);
        r.delete(PREFIX + "/{account}/instances/{instance}", instances::delete);
        r.get(PREFIX + "/{account}/instances/{instance}/costs", instances::costs);
        r.get(PREFIX + "/{account}/instances/{instance}/status", instances::status);

        r.get(PREFIX + "/{account}/volumes", system::notImplemented);
    }
}
