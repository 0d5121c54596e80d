package dev.spotapi.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.account.AccountRegistry;
import dev.spotapi.audit.AuditLog;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.config.HttpSettings;
import dev.spotapi.config.ListenAddress;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.org.OrgGuard;
import dev.spotapi.org.Ownership;
import dev.spotapi.trace.Telemetry;
import dev.spotapi.task.Tasks;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import dev.spotapi.api.http.ApiHandler;
import dev.spotapi.api.http.Router;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.component.LifeCycle;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** Assembles the HTTP server: Jetty settings, access control, routes, error mapping and observation. */
public final class ApiServer {
    /** Pending connections the kernel keeps for the acceptor (the listen backlog; Linux caps it at somaxconn). */
    static final int ACCEPT_QUEUE = 1024;
    /**
     * Open connections at most; past it Jetty stops accepting (new ones wait in the listen backlog) until
     * one closes. Each connection costs at most an input buffer while its request arrives and an output
     * buffer while its answer is written, so this bounds the server's network buffers whatever the clients do.
     */
    static final int MAX_CONNECTIONS = 512;
    /**
     * How long a worker thread above the pool's minimum (4) may stay idle before it ends, in ms (Jetty's default
     * is 60 s): after a burst the extra threads' stacks are given back within seconds (~20 threads after the
     * benchmark's load; issue 27), and a new burst starts threads again in microseconds.
     */
    static final int IDLE_THREAD_MS = 10_000;
    /** Idle timeout of each connection once a stop has begun (Jetty's default is 1 s), in ms. */
    static final long SHUTDOWN_IDLE_MS = 100;

    /** Everything the HTTP layer needs; built by {@link dev.spotapi.SpotApi}. */
    public record Parts(ListenAddress listen, int maxBodyBytes, HttpSettings http, TokenVerifier verifier,
            AccountRegistry accounts, ElastigroupService groups, InstanceService instances,
            PrometheusMeterRegistry registry, ObjectMapper mapper, Readiness readiness, InFlight inFlight,
            Ownership ownership, List<String> corsOrigins, Idempotency idempotency, Tasks tasks, String org,
            dev.spotapi.cost.CostLedger costLedger) {
    }

    /**
     * Names no account may have: the first path segment of every public route ({@code /v1/spot/ping},
     * {@code /v1/spot/docs/...}, ...), lower case. An account named like one would have its routes shadowed
     * by, or confused with, a public route. Checked against the route table at every start.
     */
    public static final Set<String> RESERVED_ACCOUNT_NAMES = Set.of("ping", "version", "metrics", "ready", "health",
            "openapi.json", "docs");

    private ApiServer() {
    }

    /** The server with tracing off (W3C trace ids only). */
    public static HttpServer create(Parts p) {
        return create(p, Telemetry.off());
    }

    /** The server; {@code telemetry} records the requests' spans (closed when the server stops). */
    public static HttpServer create(Parts p, Telemetry telemetry) {
        Tracing tracing = new Tracing(telemetry);
        Replies replies = new Replies(p.mapper(), p.inFlight());
        ErrorMapper errors = new ErrorMapper(replies);
        RequestObserver observer = new RequestObserver(p.registry());
        AccountLookup lookup = new AccountLookup(p.accounts());
        RequestBodies bodies = new RequestBodies();
        AsyncTasks async = new AsyncTasks(p.tasks(), replies, bodies, p.org(), p.idempotency().ttl());
        var table = new java.util.ArrayList<>(Routes.table(
                new SystemRoutes(replies, p.registry(), p.readiness()),
                new DocsRoutes(replies, p.mapper()),
                new ElastigroupRoutes(p.groups(), lookup, bodies, replies),
                new InstanceRoutes(p.instances(), lookup, bodies, replies),
                async,
                new RollRoutes(p.groups(), lookup, bodies, replies),
                new StatefulRoutes(new dev.spotapi.stateful.StatefulService(p.ownership(), p.instances()), lookup,
                        bodies, replies)));
        table.addAll(Routes.portalRows(new AccountListRoute(p.accounts(), replies),
                new TagRoutes(new dev.spotapi.tags.TagService(p.ownership()), lookup, bodies, replies),
                new CostRollupRoutes(new dev.spotapi.cost.CostRollup(p.ownership(), p.idempotency().state(), p.costLedger()), lookup, bodies, replies)));
        Set<String> publicSegments = Routes.reservedSegments(table);
        if (!RESERVED_ACCOUNT_NAMES.containsAll(publicSegments)) {
            throw new IllegalStateException("public routes " + publicSegments + " must all be reserved account names");
        }
        p.accounts().all().keySet().stream().filter(n -> RESERVED_ACCOUNT_NAMES.contains(n.toLowerCase(Locale.ROOT)))
                .findFirst().ifPresent(n -> {
                    throw new IllegalArgumentException("account name '" + n + "' is the name of a public route");
                });
        OrgGuard orgGuard = new OrgGuard(p.ownership(), Map.of(
                "instance", OrgGuard.instances(InstanceService.INSTANCES),
                "elastigroup", OrgGuard.elastigroups(ElastigroupService.GROUPS)),
                lookup::of, RequestIds::of, p.registry(), replies::later);
        orgGuard.countersAtZero(p.accounts().all().keySet(), table.stream().map(Routes.Route::path).distinct().toList());
        Cors cors = new Cors(p.corsOrigins());
        AuditLog audit = new AuditLog(Routes.auditedOperations(table));

        Router router = new Router();
        AccessControl access = new AccessControl(p.verifier(), errors, replies);
        router.stepScope(Tracing::enter);
        router.before(tracing::before);
        router.before(cors::before);
        router.before(access::before);
        router.beforeMatched(QueryParameters.refuseRepeatedAndUnread(Routes.listParameters(), Routes.changeParameters()));
        router.beforeMatched(bodies.checkFirst(Routes.bodyRoutes(table), Routes.spotObjectBodies(table)));
        router.beforeMatched(p.idempotency().claimFirst(Routes.keyedRoutes(table)));
        router.beforeMatched(orgGuard::before);
        Preconditions preconditions = new Preconditions(orgGuard::object, orgGuard::target, replies);
        router.beforeMatched(preconditions::prefetch);
        router.beforeMatched(async::before);
        router.afterMatched(orgGuard::after);
        Routes.register(router, table, h -> preconditions.evaluatedFirst(async.roomFirst(h)));
        router.after(async::after);
        router.after(p.idempotency()::after);
        router.after(new DeletedRecently(p.idempotency().state(), p.accounts(), p.ownership().org(), replies)::after);
        errors.register(router);
        router.after(audit::after);
        router.requestLogger(observer::observe);
        router.requestLogger(Tracing::finish);

        Server server = new Server(threadPool(p.http().maxThreads()));
        HttpConfiguration httpConfig = new HttpConfiguration();
        // ambiguous path segments reach the router, which answers them (as under Javalin, whose setting this was)
        httpConfig.setUriCompliance(UriCompliance.LEGACY);
        httpConfig.setSendServerVersion(false);
        // no per-connection cache of header fields: Jetty's default (1,024) builds one trie per persistent connection,
        // ~80-100 KiB of heap each, so 480 idle keep-alive connections (under MAX_CONNECTIONS, no token needed) held
        // ~45 MiB of a 64 MiB heap (attack round 13; docs/performance.md measures the parse without it)
        httpConfig.setHeaderCacheSize(0);
        // one selector thread per CPU (Jetty's default is one on 2 CPUs): the selectors answer liveness and the
        // version themselves (WorkerDispatch), so one selector would hold them to one CPU (docs/performance.md)
        ServerConnector connector = new ServerConnector(server, 1, Runtime.getRuntime().availableProcessors(),
                new ParsedHeads(httpConfig));
        connector.setHost(p.listen().host());
        connector.setPort(p.listen().port());
        connector.setIdleTimeout(p.http().idleTimeoutMs());
        // Java's default listen backlog is 50: under a burst of new connections (floods of bogus tokens, slow
        // bodies) the kernel drops further SYNs and a client waits 1 s for its retransmit (StarvationLatencyTest
        // saw /ping take 1,029 ms)
        connector.setAcceptQueueSize(ACCEPT_QUEUE);
        // a stop closes idle keep-alive connections at once (as Go's Server.Shutdown does), not after Jetty's
        // default 1 s; in-flight requests still get the stop timeout
        connector.setShutdownIdleTimeout(SHUTDOWN_IDLE_MS);
        ConnectionGuard connectionGuard = new ConnectionGuard(p.http().bodyTimeoutMs(), MAX_CONNECTIONS);
        connector.addBean(connectionGuard.listener());
        server.addConnector(connector);

        // outermost first: WorkerDispatch (liveness and the version on the selector thread, the rest on a worker)
        // -> ConnectionGuard (header deadline, idle connections closed near the limit) -> Graceful -> SizeLimit
        // -> FatalErrorGuard -> BodyGate (token verified, body budget) -> SlowBodyGuard -> HeapBodyLoader (async
        // body read into the heap) -> HeadAsGet -> the router (ApiHandler)
        server.setHandler(new ApiHandler(router, (ctx, error) -> {
            p.readiness().fatal(error);
            errors.fatal(ctx, error);
        }));
        server.insertHandler(new HeadAsGet());
        server.insertHandler(new HeapBodyLoader(p.maxBodyBytes()));
        server.insertHandler(new SlowBodyGuard(p.http().bodyTimeoutMs(), p.http().minBodyBytesPerSecond()));
        BodyBudget budget = new BodyBudget(BodyBudget.defaultCapacity(Runtime.getRuntime().maxMemory(),
                p.maxBodyBytes()));
        org.slf4j.LoggerFactory.getLogger(ApiServer.class).info(
                "request bodies buffered at once: at most {} bytes", budget.capacity());
        server.insertHandler(new BodyGate(p.verifier(), router, Routes.bodyRoutes(table), budget, p.maxBodyBytes()));
        server.insertHandler(new FatalErrorGuard(p.readiness()));
        server.insertHandler(new SizeLimitHandler(p.maxBodyBytes(), -1));
        server.insertHandler(new GracefulHandler());
        server.insertHandler(connectionGuard);
        server.insertHandler(new WorkerDispatch(Routes.answeredFromMemory()));
        server.setStopTimeout(p.http().stopTimeoutMs());
        server.setErrorHandler(new JettyErrors(p.mapper(), cors, observer));
        // every connection holds an input buffer while its request arrives: a bounded number of them
        server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, server));
        server.addEventListener(new LifeCycle.Listener() {
            @Override
            public void lifeCycleStopped(LifeCycle event) {
                telemetry.close();
            }
        });
        return new HttpServer(server, connector, router);
    }

    private static QueuedThreadPool threadPool(int maxThreads) {
        QueuedThreadPool pool = new QueuedThreadPool(maxThreads, 4, IDLE_THREAD_MS);
        // every idle thread above the minimum may end in the same idle period (Jetty's default: one thread per
        // period, so ~20 threads of a burst took 20 periods to go)
        pool.setMaxEvictCount(maxThreads);
        pool.setName("http");
        return pool;
    }
}
