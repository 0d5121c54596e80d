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
import io.javalin.Javalin;
import io.javalin.compression.CompressionStrategy;
import io.javalin.compression.Gzip;
import java.util.Map;
import java.util.List;
import io.javalin.config.JavalinState;
import io.javalin.json.JavalinJackson;
import java.util.Locale;
import java.util.Set;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.NetworkConnectionLimit;
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
    /** Bytes of the buffer Javalin copies an answer through (allocated per answer; Jetty's own buffer is 32 KiB). */
    static final int RESULT_COPY_BUFFER = 4096;
    /** Idle timeout of each connection once a stop has begun (Jetty's default is 1 s), in ms. */
    static final long SHUTDOWN_IDLE_MS = 100;

    /** Everything the HTTP layer needs; built by {@link dev.spotapi.SpotApi}. */
    public record Parts(ListenAddress listen, int maxBodyBytes, HttpSettings http, TokenVerifier verifier,
            AccountRegistry accounts, ElastigroupService groups, InstanceService instances,
            PrometheusMeterRegistry registry, ObjectMapper mapper, Readiness readiness, InFlight inFlight,
            Ownership ownership, List<String> corsOrigins, Idempotency idempotency, Tasks tasks, String org) {
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
    public static Javalin create(Parts p) {
        return create(p, Telemetry.off());
    }

    /** The server; {@code telemetry} records the requests' spans (closed when the server stops). */
    public static Javalin create(Parts p, Telemetry telemetry) {
        Tracing tracing = new Tracing(telemetry);
        Replies replies = new Replies(p.mapper(), p.inFlight());
        ErrorMapper errors = new ErrorMapper(replies);
        RequestObserver observer = new RequestObserver(p.registry());
        AccountLookup lookup = new AccountLookup(p.accounts());
        RequestBodies bodies = new RequestBodies();
        AsyncTasks async = new AsyncTasks(p.tasks(), replies, p.org());
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
                new CostRollupRoutes(new dev.spotapi.cost.CostRollup(p.ownership(), p.idempotency().state()), lookup, bodies, replies)));
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

        return Javalin.create(config -> {
            JavalinState state = config.unsafe;
            AccessControl access = new AccessControl(p.verifier(), () -> state.internalRouter, errors, replies);
            config.startup.showJavalinBanner = false;
            config.startup.showOldJavalinVersionWarning = false;
            config.jsonMapper(new JavalinJackson(p.mapper(), false));
            config.http.prefer405over404 = true;
            config.http.maxRequestSize = p.maxBodyBytes();
            config.http.compressionStrategy = compression();
            // Javalin copies each answer into the response through a buffer of this size, allocated per answer
            // (default: Jetty's 32 KiB output buffer, which still gathers the copy): most answers are < 1 KiB
            config.http.responseBufferSize = RESULT_COPY_BUFFER;
            // no HTTP sessions: no request has its cookies or path parameters searched for a session id
            config.jetty.modifyServletContextHandler(context -> {
                context.getSessionHandler().setUsingCookies(false);
                context.getSessionHandler().setUsingUriParameters(false);
            });
            // innermost handler, inserted before the others below: a HEAD reaches Javalin as its GET
            config.jetty.modifyServer(server -> server.insertHandler(new HeadAsGet()));
            config.jetty.host = p.listen().host();
            config.jetty.port = p.listen().port();
            config.jetty.threadPool = threadPool(p.http().maxThreads());
            config.jetty.modifyServer(server -> {
                // outermost last: HeaderDeadline -> Graceful -> SizeLimit -> FatalErrorGuard -> BodyGate (token
                // verified, body budget) -> SlowBodyGuard -> HeapBodyLoader (async body read into the heap)
                // -> StaticBodies (docs written without a thread) -> Javalin
                server.insertHandler(new StaticBodies());
                server.insertHandler(new HeapBodyLoader(p.maxBodyBytes()));
                server.insertHandler(new SlowBodyGuard(p.http().bodyTimeoutMs(), p.http().minBodyBytesPerSecond()));
                BodyBudget budget = new BodyBudget(BodyBudget.defaultCapacity(Runtime.getRuntime().maxMemory(),
                        p.maxBodyBytes()));
                org.slf4j.LoggerFactory.getLogger(ApiServer.class).info(
                        "request bodies buffered at once: at most {} bytes", budget.capacity());
                server.insertHandler(new BodyGate(p.verifier(), () -> state.internalRouter, Routes.bodyRoutes(table),
                        budget, p.maxBodyBytes()));
                server.insertHandler(new FatalErrorGuard(p.readiness()));
                server.insertHandler(new SizeLimitHandler(p.maxBodyBytes(), -1));
                server.insertHandler(new GracefulHandler());
                HeaderDeadline headerDeadline = new HeaderDeadline(p.http().bodyTimeoutMs());
                server.insertHandler(headerDeadline);
                server.setStopTimeout(p.http().stopTimeoutMs());
                long idle = p.http().idleTimeoutMs();
                server.addEventListener(new LifeCycle.Listener() {
                    @Override
                    public void lifeCycleStarting(LifeCycle event) {
                        for (Connector c : server.getConnectors()) {
                            if (c instanceof AbstractConnector connector) {
                                connector.setIdleTimeout(idle);
                            }
                            if (c instanceof ServerConnector connector) {
                                // Java's default listen backlog is 50: under a burst of new connections (floods
                                // of bogus tokens, slow bodies) the kernel drops further SYNs and a client waits
                                // 1 s for its retransmit (StarvationLatencyTest saw /ping take 1,029 ms)
                                connector.setAcceptQueueSize(ACCEPT_QUEUE);
                            }
                            if (c instanceof AbstractConnector connector) {
                                // a stop closes idle keep-alive connections at once (as Go's Server.Shutdown does),
                                // not after Jetty's default 1 s; in-flight requests still get the stop timeout
                                connector.setShutdownIdleTimeout(SHUTDOWN_IDLE_MS);
                            }
                            c.addBean(headerDeadline.listener());
                        }
                    }
                });
                server.setErrorHandler(new JettyErrors(p.mapper(), cors));
                // every connection holds an input buffer while its request arrives: a bounded number of them
                server.addBean(new NetworkConnectionLimit(MAX_CONNECTIONS, server));
            });
            config.router.javaLangErrorHandler((response, error) -> {
                p.readiness().fatal(error);
                errors.fatal(response, error);
            });
            config.router.handlerWrapper(Tracing::wrap);
            config.jetty.modifyServer(server -> server.addEventListener(new LifeCycle.Listener() {
                @Override
                public void lifeCycleStopped(LifeCycle event) {
                    telemetry.close();
                }
            }));
            config.routes.before(tracing::before);
            config.routes.before(cors::before);
            config.routes.before(access::before);
            config.routes.beforeMatched(QueryParameters.refuseRepeated(Routes.listParameters()));
            config.routes.beforeMatched(bodies.checkFirst(Routes.bodyRoutes(table), Routes.spotObjectBodies(table)));
            config.routes.beforeMatched(Idempotency.checkHeaderFirst(Routes.keyedRoutes(table)));
            config.routes.beforeMatched(orgGuard::before);
            config.routes.beforeMatched(async::before);
            config.routes.afterMatched(orgGuard::after);
            config.routes.after(Tracing::after);
            Routes.register(config.routes, table, p.idempotency());
            config.routes.after(async::after);
            config.routes.after(p.idempotency()::after);
            config.routes.after(new DeletedRecently(p.idempotency().state(), p.ownership().org(), replies)::after);
            errors.register(config.routes);
            config.routes.after(audit::after);
            config.requestLogger.http(observer::observe);
            config.requestLogger.http(Tracing::finish);
        });
    }

    /**
     * Javalin's default (gzip for answers over 1,500 bytes to callers that accept it; SVG allowed) with the
     * content types the service writes listed as allowed: the same decisions, without matching every answer's
     * type against each excluded type (a measurable part of a small answer's time).
     */
    private static CompressionStrategy compression() {
        CompressionStrategy strategy = new CompressionStrategy(null, new Gzip());
        strategy.setAllowedMimeTypes(List.of("image/svg+xml", "application/json", "application/json;charset=utf-8",
                "text/plain", "text/plain;charset=utf-8", "text/html;charset=utf-8"));
        return strategy;
    }

    private static QueuedThreadPool threadPool(int maxThreads) {
        QueuedThreadPool pool = new QueuedThreadPool(maxThreads, 4, 60_000);
        pool.setName("http");
        return pool;
    }
}
