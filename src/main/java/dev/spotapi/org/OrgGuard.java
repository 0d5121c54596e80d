package dev.spotapi.org;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.account.Account;
import dev.spotapi.api.ApiException;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotIds;
import dev.spotapi.spot.SpotResource;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Method;
import dev.spotapi.api.http.Endpoint;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Org isolation of every per-resource route: any route whose template has an {@code {instance}} or
 * {@code {elastigroup}} path parameter, including routes added later, without code in its handler.
 *
 * <p>Before the handler, the guard reads the object from Spot and checks its {@code spinup:org} tag
 * ({@link Ownership}). A missing object, one of another org and an untagged one all answer the same
 * 404 after the same single read. Other methods than GET wait for the check (read, check, then act: no
 * mutating call reaches Spot for a refused object). A GET runs its handler in parallel with the check
 * (one round trip: the check starts when the handler asks for the object, see {@link #resource}) and
 * the guard replaces its answer with the refusal after the handler, so nothing of a foreign object
 * leaves. The checked object is offered to the handler ({@link #resource}) so it
 * need not read it again. Every 404 of the check, missing, foreign or untagged alike, is counted in
 * {@code spotapi.org.refused} (by account and route template; the check's read of a foreign object counts as
 * {@code not_found} in the Spot call metrics, {@link Ownership#countedAsFound}: {@code /metrics} is public and must
 * not tell them apart either, attack round 22); refusals of existing foreign or untagged objects are logged (INFO) with the request id.
 */
public final class OrgGuard {
    private static final Logger LOG = LoggerFactory.getLogger(OrgGuard.class);
    private static final String CHECK = "spot-api.org.check";
    private static final String REFUSED_LOCALLY = "spot-api.org.refusedLocally";

    /** A kind of per-resource route: its path parameter, how ids look, and the Spot object behind it. */
    public record Kind(String param, Predicate<String> isId, SpotResource resource, String malformedMessage) {
    }

    /** Managed instances: {@code {instance}}. */
    public static Kind instances(SpotResource resource) {
        return new Kind("instance", SpotIds::isManagedInstanceId, resource,
                "managed instance not found: not a managed instance id");
    }

    /** Elastigroups: {@code {elastigroup}}. */
    public static Kind elastigroups(SpotResource resource) {
        return new Kind("elastigroup", SpotIds::isGroupId, resource, "elastigroup not found: not an elastigroup id");
    }

    private final Ownership ownership;
    private final Map<String, Kind> kinds;
    /** The kind each route template names (a path parameter of the kind's name), found once per template. */
    private final Map<String, Optional<Kind>> kindsByTemplate = new ConcurrentHashMap<>();
    private final Function<Exchange, Account> accounts;
    private final Function<Exchange, String> requestIds;
    private final MeterRegistry registry;
    private final BiConsumer<Exchange, CompletableFuture<?>> later;
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();

    /**
     * @param kinds      the per-resource kinds, keyed by path parameter name
     * @param accounts   resolves the {@code {account}} path parameter (throws for an unknown account)
     * @param requestIds the request id of a request, for the log line
     * @param later      makes the request wait for a future (as {@code ctx.future}, cut short with the
     *                   server's 503 when a stop runs out of time)
     */
    public OrgGuard(Ownership ownership, Map<String, Kind> kinds, Function<Exchange, Account> accounts,
            Function<Exchange, String> requestIds, MeterRegistry registry, BiConsumer<Exchange, CompletableFuture<?>> later) {
        this.ownership = ownership;
        this.kinds = Map.copyOf(kinds);
        this.accounts = accounts;
        this.requestIds = requestIds;
        this.registry = registry;
        this.later = later;
    }

    /**
     * The checked object of this request, when the guard read it; the handler may use it instead of
     * reading the object itself. Empty when isolation is off or the route has no resource parameter.
     */
    public static CompletableFuture<JsonNode> resource(Exchange ctx, Supplier<CompletableFuture<JsonNode>> orRead) {
        Check check = ctx.attribute(CHECK);
        return check != null ? check.start() : orRead.get();
    }

    /**
     * Marks a request that spot-api refused by itself (bad query, bad id) before its GET handler asked
     * for the object: such an answer says nothing about the object, so it stands and no check is made.
     */
    public static void refusedLocally(Exchange ctx) {
        ctx.attribute(REFUSED_LOCALLY, Boolean.TRUE);
    }

    /**
     * The before-matched handler. Other methods than GET wait for the check before their handler runs;
     * a GET's check starts when its handler asks for the object (or, at the latest, after the handler).
     */
    public void before(Exchange ctx) {
        if (!ownership.enforced()) {
            return;
        }
        Endpoint endpoint = ctx.endpoint();
        Kind kind = endpoint == null ? null : kindOf(endpoint.path);
        if (kind == null) {
            return;
        }
        Account account = accounts.apply(ctx);
        String id = ctx.pathParam(kind.param());
        if (!kind.isId().test(id)) {
            throw ApiException.notFound(kind.malformedMessage());
        }
        String route = endpoint.path;
        Check check = new Check(() -> kind.resource().read(account.spot(), id).handle((object, failure) -> {
            if (failure != null) {
                Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                        ? failure.getCause() : failure;
                if (cause instanceof SpotException s && s.kind() == SpotException.Kind.NOT_FOUND) {
                    refusedCounter(account.name(), route).increment();
                    throw notFound(kind, id);
                }
                throw failure instanceof CompletionException c ? c : new CompletionException(failure);
            }
            if (!ownership.owns(object)) {
                refuse(ctx, account, route, kind, id, object);
                throw notFound(kind, id);
            }
            return object;
        }));
        ctx.attribute(CHECK, check);
        if (!isRead(ctx)) {
            later.accept(ctx, check.start());
        }
    }

    /**
     * The after-matched handler of a GET: waits for the check (starting it if the handler never asked)
     * and lets a refusal replace whatever the handler answered, through the exception mappers.
     */
    public void after(Exchange ctx) {
        Check check = ctx.attribute(CHECK);
        if (check == null || !isRead(ctx)) {
            return;
        }
        if (!check.started() && Boolean.TRUE.equals(ctx.attribute(REFUSED_LOCALLY))) {
            return;
        }
        later.accept(ctx, check.start());
    }

    /**
     * The object of this per-resource request: the org check's read when there is one, else a read of it (isolation
     * off); on a {@code {resource}} route the object if it is this org's, else null in the future; null (no future)
     * when the route names no elastigroup or managed instance.
     */
    public CompletableFuture<JsonNode> object(Exchange ctx) {
        Endpoint endpoint = ctx.endpoint();
        if (endpoint == null) {
            return null;
        }
        Kind kind = kindOf(endpoint.path);
        if (kind != null) {
            return resource(ctx, () -> kind.resource().read(accounts.apply(ctx).spot(), ctx.pathParam(kind.param())));
        }
        if (!endpoint.path.contains("{" + ANY_RESOURCE + "}")) {
            return null;
        }
        // the expiry service's /{account}/{resource}/...: the kind told by the id; its handler makes the org check,
        // so an object of another org (or untagged) is answered as missing here too: nothing about it is told
        String id = ctx.pathParam(ANY_RESOURCE);
        for (Kind k : kinds.values()) {
            if (k.isId().test(id)) {
                return k.resource().read(accounts.apply(ctx).spot(), id)
                        .handle((o, failure) -> failure == null && ownership.owns(o) ? o : null);
            }
        }
        return null;
    }

    /**
     * The Spot object a per-resource request names: its write fence's name ({@link SpotResource#path}, as
     * {@link dev.spotapi.spot.SpotCall#objectPath()} names the object of a write to it) and a read of it through a given
     * client (a missing object fails NOT_FOUND).
     */
    public record Target(String path, Function<dev.spotapi.spot.SpotClient, CompletableFuture<JsonNode>> read) {
    }

    /**
     * The object of this request ({@link Target}): on an {@code {instance}} or {@code {elastigroup}} route, or a
     * {@code {resource}} route whose id is of either kind; null for other routes and for an id of no kind.
     */
    public Target target(Exchange ctx) {
        Endpoint endpoint = ctx.endpoint();
        if (endpoint == null) {
            return null;
        }
        Kind kind = kindOf(endpoint.path);
        String id = kind != null ? ctx.pathParam(kind.param())
                : endpoint.path.contains("{" + ANY_RESOURCE + "}") ? ctx.pathParam(ANY_RESOURCE) : null;
        if (kind == null && id != null) {
            kind = kinds.values().stream().filter(k -> k.isId().test(id)).findFirst().orElse(null);
        }
        if (kind == null || id == null || !kind.isId().test(id)) {
            return null;
        }
        SpotResource resource = kind.resource();
        return new Target(resource.path(id), spot -> resource.read(spot, id));
    }

    /** The path parameter of routes whose id may name either kind ({@code /{account}/{resource}/tags}). */
    public static final String ANY_RESOURCE = "resource";

    private static boolean isRead(Exchange ctx) {
        return Method.GET.equals(ctx.method()) || Method.HEAD.equals(ctx.method());
    }

    /** The read-and-check of one request, started at most once. */
    private static final class Check {
        private final Supplier<CompletableFuture<JsonNode>> read;
        private CompletableFuture<JsonNode> started;

        Check(Supplier<CompletableFuture<JsonNode>> read) {
            this.read = read;
        }

        synchronized CompletableFuture<JsonNode> start() {
            if (started == null) {
                started = read.get();
            }
            return started;
        }

        synchronized boolean started() {
            return started != null;
        }
    }

    private Kind kindOf(String template) {
        return kindsByTemplate.computeIfAbsent(template, t -> {
            for (Map.Entry<String, Kind> e : kinds.entrySet()) {
                if (t.contains("{" + e.getKey() + "}")) {
                    return Optional.of(e.getValue());
                }
            }
            return Optional.empty();
        }).orElse(null);
    }

    /** The one answer for a missing, foreign or untagged object: the caller cannot tell them apart. */
    static ApiException notFound(Kind kind, String id) {
        return ApiException.notFound(kind.resource().noun() + " '" + id + "' does not exist");
    }

    /**
     * Registers {@code spotapi_org_refused_total} at zero for each of {@code accounts} and each per-resource
     * route template among {@code templates} (when isolation is enforced), so that every series exists before
     * its first refusal (Prometheus's rule for labels known up front).
     */
    public void countersAtZero(java.util.Collection<String> accounts, java.util.Collection<String> templates) {
        if (!ownership.enforced()) {
            return;
        }
        for (String template : templates) {
            if (kindOf(template) != null) {
                accounts.forEach(a -> refusedCounter(a, template));
            }
        }
    }

    private Counter refusedCounter(String account, String route) {
        return refused.computeIfAbsent(account + ' ' + route, k -> Counter.builder("spotapi.org.refused")
                .description("Requests answered 404 by the org check: the Spot resource is missing, another org's or"
                        + " untagged (not told apart: the metrics are public)")
                .tag("account", account)
                .tag("route", route)
                .register(registry));
    }

    private void refuse(Exchange ctx, Account account, String route, Kind kind, String id, JsonNode object) {
        refusedCounter(account.name(), route).increment();
        String owner = Ownership.tag(object, Ownership.ORG_TAG);
        // answered 404 (a client error, counted in spotapi_org_refused_total): INFO, not a warning
        LOG.info("org isolation refused a request requestId={} account={} method={} route={} {}={} owner={}",
                requestIds.apply(ctx), account.name(), ctx.method().name(), route, kind.param(), id,
                owner == null ? "(untagged)" : owner);
    }
}
