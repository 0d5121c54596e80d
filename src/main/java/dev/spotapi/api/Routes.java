package dev.spotapi.api;

import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.api.http.Router;
import dev.spotapi.api.http.Handler;
import dev.spotapi.api.http.Method;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The route table: every path spot-api serves, whether it is public, what it does to Spot resources
 * ({@link Effect}), its audit operation name, and the handler behind it.
 */
final class Routes {
    static final String PREFIX = "/v1/spot";

    /** What a route does to Spot resources. */
    enum Effect {
        /** Reads only. */
        READ,
        /** Creates, updates or deletes a resource (audited). */
        CHANGE,
        /** An action on a resource: power, capacity, scale (audited; Idempotency-Key applies). */
        ACTION
    }

    /**
     * One row of the table; {@code operation} names a CHANGE or ACTION in the audit log (null for reads);
     * {@code idempotency} is how the route handles {@code Idempotency-Key} (null: it takes none).
     */
    record Route(Method method, String path, boolean isPublic, Handler handler, Effect effect, String operation,
            Idempotency.Mode idempotency) {
        /** {@code METHOD /v1/spot/...template}: the key the audit and metrics see for this route. */
        String key() {
            return method.name() + " " + path;
        }
    }

    private Routes() {
    }

    /**
     * The raw paths of the routes answered from memory without ever blocking (liveness, the version), which
     * {@link WorkerDispatch} serves on Jetty's selector thread.
     */
    static Set<String> answeredFromMemory() {
        return Set.of(PREFIX + "/ping", PREFIX + "/version");
    }

    static List<Route> table(SystemRoutes system, DocsRoutes docs, ElastigroupRoutes groups, InstanceRoutes instances,
            AsyncTasks tasks, RollRoutes rolls, StatefulRoutes stateful) {
        return List.of(
                open(Method.GET, "/ping", system::ping),
                open(Method.GET, "/version", system::version),
                open(Method.GET, "/metrics", system::metrics),
                open(Method.GET, "/ready", system::ready),
                open(Method.GET, "/health", system::health),
                open(Method.GET, "/openapi.json", docs::openApi),
                open(Method.GET, "/docs", docs::page),
                open(Method.GET, "/docs/assets/{asset}", docs::asset),

                auth(Method.GET, "/{account}/elastigroups", groups::list),
                create("/{account}/elastigroups", "create elastigroup", groups::create),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}", groups::get),
                keyedChange(Method.PUT, "/{account}/elastigroups/{elastigroup}", "update elastigroup",
                        ctx -> rolls.updateWithRoll(ctx, groups)),
                change(Method.DELETE, "/{account}/elastigroups/{elastigroup}", "delete elastigroup", groups::delete),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/status", groups::status),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/costs", groups::costs),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/events", groups::events),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/logs", groups::logs),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/capacity", "set elastigroup capacity",
                        groups::capacity),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/scale", "scale elastigroup", groups::scale),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/power", "power elastigroup", groups::power),

                // issue 22: rolls and fleet operations (RollRoutes)
                keyedChange(Method.POST, "/{account}/elastigroups/{elastigroup}/rolls", "roll elastigroup", rolls::start),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/rolls", rolls::list),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/rolls/{roll}", rolls::get),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/rolls/{roll}", "stop elastigroup roll",
                        rolls::stop),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/healthiness", rolls::healthiness),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/detach", "detach elastigroup instances",
                        rolls::detach),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/suspensions", rolls::suspensions),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/suspensions",
                        "suspend elastigroup processes", rolls::suspend),
                change(Method.DELETE, "/{account}/elastigroups/{elastigroup}/suspensions/{process}",
                        "resume elastigroup process", rolls::resume),

                auth(Method.GET, "/{account}/instances", instances::list),
                create("/{account}/instances", "create instance", instances::create),
                auth(Method.GET, "/{account}/instances/{instance}", instances::summary),
                change(Method.PUT, "/{account}/instances/{instance}", "update instance", instances::update),
                change(Method.DELETE, "/{account}/instances/{instance}", "delete instance", instances::delete),
                auth(Method.GET, "/{account}/instances/{instance}/costs", instances::costs),
                auth(Method.GET, "/{account}/instances/{instance}/status", instances::status),
                action(Method.PUT, "/{account}/instances/{instance}/power", "power instance", instances::power),

                auth(Method.GET, "/{account}/volumes", system::notImplemented),

                // stateful nodes (issue 26): import, bulk power, volumes
                create("/{account}/imports", "import instance", stateful::importInstance),
                create("/{account}/bulk-imports", "import instances", stateful::bulkImport),
                auth(Method.GET, "/{account}/imports/{migration}", stateful::migration),
                action(Method.PUT, "/{account}/instances-power", "power instances", stateful::bulkPower),
                change(Method.DELETE, "/{account}/instances/{instance}/volumes/{volume}", "delete instance volume",
                        stateful::deleteVolume),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/stateful-instances", stateful::statefulInstances),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/stateful-instances/{statefulInstance}/power",
                        "power stateful instance", stateful::statefulPower),
                change(Method.DELETE, "/{account}/elastigroups/{elastigroup}/stateful-instances/{statefulInstance}",
                        "deallocate stateful instance", stateful::deallocate),
                change(Method.DELETE,
                        "/{account}/elastigroups/{elastigroup}/stateful-instances/{statefulInstance}/volumes/{volume}",
                        "delete stateful instance volume", stateful::deleteStatefulVolume),

                auth(Method.GET, "/flywheel", tasks::flywheel));
    }

    /**
     * The rows for the portal's services (issue 23): the account list, tags of instances and groups (a merge
     * is an audited, keyed ACTION), and the cost roll-up of an account.
     */
    static List<Route> portalRows(AccountListRoute accountList, TagRoutes tags, CostRollupRoutes costs) {
        return List.of(
                auth(Method.GET, "/", accountList::list),
                auth(Method.GET, "/{account}/instances/{instance}/tags", tags::readInstance),
                action(Method.PUT, "/{account}/instances/{instance}/tags", "merge instance tags", tags::mergeInstance),
                auth(Method.GET, "/{account}/elastigroups/{elastigroup}/tags", tags::readGroup),
                action(Method.PUT, "/{account}/elastigroups/{elastigroup}/tags", "merge elastigroup tags",
                        tags::mergeGroup),
                auth(Method.GET, "/{account}/costs", costs::costs),
                // the expiry service's URL: <endpoint>/<org>/<id>/tags, the kind told by the id (sig-/smi-)
                auth(Method.GET, "/{account}/{resource}/tags", tags::readAny),
                action(Method.PUT, "/{account}/{resource}/tags", "merge tags", tags::mergeAny));
    }

    /**
     * Adds every route of {@code table}: its handler inside {@code inner} (preconditions and task bounds, which a
     * replayed key never reaches: {@link Idempotency#claimFirst} answers it before).
     */
    static void register(Router config, List<Route> table, java.util.function.UnaryOperator<Handler> inner) {
        table.forEach(r -> config.add(r.method(), r.path(), r.isPublic(), inner.apply(r.handler())));
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

    /** The audit operation name of every CHANGE and ACTION route, by {@link Route#key()}. */
    static Map<String, String> auditedOperations(List<Route> table) {
        Map<String, String> out = new LinkedHashMap<>();
        table.stream().filter(r -> r.effect() != Effect.READ).forEach(r -> out.put(r.key(), r.operation()));
        return Map.copyOf(out);
    }

    private static Route open(Method method, String path, Handler handler) {
        return new Route(method, PREFIX + path, true, handler, Effect.READ, null, null);
    }

    /** A read behind the token. */
    private static Route auth(Method method, String path, Handler handler) {
        return new Route(method, PREFIX + path, false, handler, Effect.READ, null, null);
    }

    /**
     * A create that finds what it made by its correlation tag (an import: by its in-flight name), behind the token: {@code Idempotency-Key} in
     * {@link Idempotency.Mode#CREATE} (after a doubtful attempt the retry looks for the object first).
     */
    private static Route create(String path, String operation, Handler handler) {
        return new Route(Method.POST, PREFIX + path, false, handler, Effect.CHANGE, operation, Idempotency.Mode.CREATE);
    }

    /** An update or delete behind the token (idempotent by itself: no {@code Idempotency-Key}). */
    private static Route change(Method method, String path, String operation, Handler handler) {
        return new Route(method, PREFIX + path, false, handler, Effect.CHANGE, operation, null);
    }

    /**
     * A change that is not idempotent and cannot be looked up in Spot afterwards (a roll started, an update that
     * also starts a roll): {@code Idempotency-Key} in {@link Idempotency.Mode#ACTION}, so a
     * doubtful answer is stored and replayed and the change never runs twice.
     */
    private static Route keyedChange(Method method, String path, String operation, Handler handler) {
        return new Route(method, PREFIX + path, false, handler, Effect.CHANGE, operation, Idempotency.Mode.ACTION);
    }

    /** An action (power, capacity, scale) behind the token: {@code Idempotency-Key} in {@link Idempotency.Mode#ACTION}. */
    private static Route action(Method method, String path, String operation, Handler handler) {
        return new Route(method, PREFIX + path, false, handler, Effect.ACTION, operation, Idempotency.Mode.ACTION);
    }

    /**
     * "METHOD template" of every route that takes a JSON object body (the POSTs and PUTs that change
     * or act on resources): their body is read and checked before anything else happens, so a bad one
     * is a 400 that costs no Spot call.
     */
    /** "METHOD /path" of every route that takes an {@code Idempotency-Key}. */
    static Map<String, Idempotency.Mode> keyedRoutes(List<Route> table) {
        return table.stream().filter(r -> r.idempotency() != null)
                .collect(Collectors.toUnmodifiableMap(Route::key, Route::idempotency));
    }

    /**
     * "METHOD template" of the routes whose body is a Spot object (creates and updates), with the
     * schema it must fit ({@link dev.spotapi.spot.SpotSchema}); checked with the body, before anything else.
     * Each must be a body route of {@code table} (else the start fails: a renamed route must not lose its check).
     */
    static Map<String, dev.spotapi.spot.SpotSchema> spotObjectBodies(List<Route> table) {
        Map<String, dev.spotapi.spot.SpotSchema> out = Map.of(
                "POST " + PREFIX + "/{account}/elastigroups", dev.spotapi.spot.SpotSchema.GROUP,
                "PUT " + PREFIX + "/{account}/elastigroups/{elastigroup}", dev.spotapi.spot.SpotSchema.GROUP,
                "POST " + PREFIX + "/{account}/instances", dev.spotapi.spot.SpotSchema.MANAGED_INSTANCE,
                "PUT " + PREFIX + "/{account}/instances/{instance}", dev.spotapi.spot.SpotSchema.MANAGED_INSTANCE);
        if (!bodyRoutes(table).containsAll(out.keySet())) {
            throw new IllegalStateException("Spot object bodies " + out.keySet() + " must all be body routes");
        }
        return out;
    }

    static Set<String> bodyRoutes(List<Route> table) {
        return table.stream().filter(r -> r.effect() != Effect.READ)
                .filter(r -> Method.POST.equals(r.method()) || Method.PUT.equals(r.method()))
                .map(Route::key)
                .collect(Collectors.toUnmodifiableSet());
    }

    /**
     * Query parameters that a route takes as a list, repeated ({@code ?task=a&task=b}), by "METHOD template":
     * every other parameter given twice is refused ({@link QueryParameters}).
     */
    static Map<String, Set<String>> listParameters() {
        return Map.of("GET " + PREFIX + "/flywheel", Set.of("task"));
    }

    /**
     * The query parameters each route that changes something reads (or refuses with its own explanation), by
     * "METHOD template"; a change route not named here reads none. Any other parameter on such a route is a 400
     * before anything is sent ({@link QueryParameters}): a misspelt option ({@code ?Keep=volumes},
     * {@code ?keepVolumes=true}) was ignored, and the delete then deleted what the caller asked to keep (attack
     * round 12).
     */
    static Map<String, Set<String>> changeParameters() {
        return Map.of(
                "PUT " + PREFIX + "/{account}/elastigroups/{elastigroup}", Set.of("roll"),
                "DELETE " + PREFIX + "/{account}/elastigroups/{elastigroup}", Set.of("keep", "detach"),
                "DELETE " + PREFIX + "/{account}/instances/{instance}", Set.of("keep", "detach"),
                "DELETE " + PREFIX + "/{account}/elastigroups/{elastigroup}/stateful-instances/{statefulInstance}",
                Set.of("keep", "detach"));
    }
}
