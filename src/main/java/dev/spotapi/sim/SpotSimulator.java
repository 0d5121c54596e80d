package dev.spotapi.sim;

import dev.spotapi.sim.http.Accounts;
import dev.spotapi.sim.http.AdminRoutes;
import dev.spotapi.sim.http.Ec2TagView;
import dev.spotapi.sim.http.Envelope;
import dev.spotapi.sim.faults.FaultInjector;
import dev.spotapi.sim.http.GroupRoutes;
import dev.spotapi.sim.state.GroupType;
import dev.spotapi.sim.fleet.InstanceActions;
import dev.spotapi.sim.http.InstanceRoutes;
import dev.spotapi.sim.state.ManagedInstanceType;
import dev.spotapi.sim.http.MatchedRouteFilter;
import dev.spotapi.sim.persistence.Persistence;
import dev.spotapi.sim.faults.RateLimiter;
import dev.spotapi.sim.http.RequestLog;
import dev.spotapi.sim.http.ResourceRoutes;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.http.RollRoutes;
import dev.spotapi.sim.http.SpotApiFilter;
import dev.spotapi.sim.persistence.SqlitePersistence;
import dev.spotapi.sim.state.StateSnapshot;
import dev.spotapi.sim.http.StatefulGroupRoutes;
import dev.spotapi.sim.http.StatefulRoutes;
import dev.spotapi.sim.fleet.TransitionTime;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import io.javalin.config.RoutesConfig;
import io.javalin.http.HttpResponseException;
import io.javalin.router.EndpointNotFound;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP server that speaks the Spot REST API (AWS elastigroups and managed instances) at its root
 * path, plus an admin API under {@code /_sim}. Start it with {@link #builder()}; close it to stop.
 */
public final class SpotSimulator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpotSimulator.class);
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.spotapi.sim.access");
    private static final String DEFAULT_ACCOUNT_KEY = "defaultAccount";

    private final Javalin app;
    private final Persistence persistence;
    private final SimClock clock;
    private final FaultInjector faults;
    private final Map<String, String> accounts;
    private final String bind;
    private boolean closed;

    private SpotSimulator(Builder b) {
        long started = System.nanoTime();
        this.persistence = b.dataDir == null ? Persistence.none() : SqlitePersistence.open(b.dataDir);
        try {
            Accounts configured = new Accounts(b.accounts.isEmpty() ? defaultAccount(persistence) : b.accounts);
            this.accounts = configured.asMap();
            SimClock clock = new SimClock(System::currentTimeMillis, persistence);
            this.clock = clock;
            ResourceStore store = new ResourceStore(persistence);
            Envelope envelope = new Envelope(clock);
            FaultInjector faults = new FaultInjector(envelope);
            this.faults = faults;
            RequestLog requestLog = new RequestLog();
            RateLimiter rateLimiter = new RateLimiter(clock, b.rateLimit);
            TransitionTime transitionTime = new TransitionTime(b.transitionDuration);
            StateSnapshot snapshot = new StateSnapshot(store, clock, configured);
            if (b.seed != null) {
                try {
                    snapshot.load(StateSnapshot.read(b.seed), true);
                } catch (AdminException e) {
                    throw new IllegalArgumentException("seed " + b.seed + ": " + e.getMessage(), e);
                }
            }
            InstanceActions instanceActions = new InstanceActions(store, clock, transitionTime);
            this.bind = b.bind;
            StatisticsHandler statistics = new StatisticsHandler();
            this.app = Javalin.create(config -> configure(config, b, envelope, statistics,
                    new SpotApiFilter(requestLog, faults, configured, clock), new MatchedRouteFilter(rateLimiter),
                    // Javalin serves the first route that matches: a route with a literal segment where an id
                    // could stand (e.g. PUT /aws/ec2/managedInstance/state) must come before ResourceRoutes.
                    List.of(new StatefulRoutes(store, clock, envelope, instanceActions, transitionTime, configured)::register,
                            new StatefulGroupRoutes(store, clock, envelope, transitionTime, configured)::register,
                            new ResourceRoutes(GroupType.INSTANCE, store, clock, envelope)::register,
                            new ResourceRoutes(ManagedInstanceType.INSTANCE, store, clock, envelope)::register,
                            new GroupRoutes(store, clock, envelope)::register,
                            new RollRoutes(store, clock, envelope)::register,
                            new InstanceRoutes(clock, envelope, instanceActions)::register,
                            new Ec2TagView(store)::register,
                            new AdminRoutes(store, clock, faults, requestLog, configured, persistence.durable(),
                                    rateLimiter, transitionTime, snapshot, statistics::getRequestsActive)::register)))
                    .start();
        } catch (RuntimeException e) {
            persistence.close();
            throw e;
        }
        LOG.info("Spot simulator listening on {} ({} account(s), {}) in {} ms", baseUrl(), accounts.size(),
                b.dataDir == null ? "in memory" : "data in " + b.dataDir, (System.nanoTime() - started) / 1_000_000);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The port actually bound (useful with port 0). */
    public int port() {
        return app.port();
    }

    /** {@code http://HOST:PORT}; a wildcard bind address is shown as 127.0.0.1. */
    public String baseUrl() {
        String host = bind.equals("0.0.0.0") || bind.equals("::") ? "127.0.0.1" : bind;
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port();
    }

    /** Account id → Spot API token, in the order given (or the one generated default account). */
    public Map<String, String> accounts() {
        return accounts;
    }

    /** {@code "GET /aws/ec2/group/{id}"} for every Spot API route served (not the admin API), for conformance tests. */
    List<String> spotRoutes() {
        return app.unsafe.internalRouter.allHttpHandlers().stream()
                .map(p -> p.endpoint)
                .filter(e -> e.path.startsWith("/aws/"))
                .filter(e -> List.of("GET", "POST", "PUT", "DELETE", "PATCH").contains(e.method.name()))
                .map(e -> e.method.name() + " " + e.path)
                .distinct()
                .toList();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        int port = app.port();
        try {
            faults.close(); // delays still held end now: the stop need not wait for them
            app.stop();
            clock.checkpoint();
        } finally {
            persistence.close();
        }
        LOG.info("Spot simulator on port {} stopped", port);
    }

    private static void configure(JavalinConfig config, Builder b, Envelope envelope, StatisticsHandler statistics,
                                  SpotApiFilter filter,
                                  MatchedRouteFilter matched, List<Consumer<RoutesConfig>> routeSets) {
        config.jetty.host = b.bind;
        config.jetty.port = b.port;
        config.startup.showJavalinBanner = false;
        config.startup.showOldJavalinVersionWarning = false;
        config.jetty.modifyServer(server -> server.insertHandler(statistics));
        // "/aws/ec2/group/" (an SDK call with an empty id) must not be served as the list.
        config.router.ignoreTrailingSlashes = false;
        // Spot API bodies are held to Limits.MAX_BODY_BYTES by SpotApiFilter; this bound covers /_sim/state imports
        config.http.maxRequestSize = Limits.MAX_ADMIN_BODY_BYTES;
        config.requestLogger.http((ctx, ms) -> ACCESS.info("{} {} {} {}ms",
                ctx.method().name(), ctx.path(), ctx.statusCode(), Math.round(ms)));
        config.routes.before(filter);
        config.routes.beforeMatched(matched);
        config.routes.after(filter::after);
        routeSets.forEach(r -> r.accept(config.routes));
        config.routes.after(FaultInjector::holdReply);
        config.routes.exception(SpotException.class, (e, ctx) -> envelope.error(ctx, e));
        config.routes.exception(AdminException.class, (e, ctx) -> AdminRoutes.message(ctx, 400, e.getMessage()));
        config.routes.exception(EndpointNotFound.class, (e, ctx) -> {
            String what = "Endpoint " + ctx.method().name() + " " + ctx.path() + " not found";
            if (AdminRoutes.isAdminPath(ctx.path())) {
                AdminRoutes.message(ctx, 404, what);
            } else {
                envelope.error(ctx, MatchedRouteFilter.notFound(ctx));
            }
        });
        config.routes.exception(HttpResponseException.class, (e, ctx) -> {
            if (AdminRoutes.isAdminPath(ctx.path())) {
                AdminRoutes.message(ctx, e.getStatus(), e.getMessage());
            } else {
                envelope.error(ctx, new SpotException(e.getStatus(), "HTTP_" + e.getStatus(), e.getMessage(), null));
            }
        });
        config.routes.exception(Exception.class, (e, ctx) -> {
            // the exception goes to the log only: a reply never carries Java exception text
            LOG.error("unexpected error on {} {}", ctx.method().name(), ctx.path(), e);
            if (AdminRoutes.isAdminPath(ctx.path())) {
                AdminRoutes.message(ctx, 500, "internal error (see the simulator's log)");
            } else {
                envelope.error(ctx, new SpotException(500, "INTERNAL_ERROR", "Internal error", null));
            }
        });
    }

    /** One generated account; with a data dir it is generated once and reused, so stored data stays reachable. */
    private static Map<String, String> defaultAccount(Persistence persistence) {
        String stored = persistence.meta(DEFAULT_ACCOUNT_KEY).orElse(null);
        if (stored != null && stored.indexOf('=') > 0) {
            int eq = stored.indexOf('=');
            return Map.of(stored.substring(0, eq), stored.substring(eq + 1));
        }
        String id = RandomIds.accountId();
        String token = RandomIds.hex(32);
        persistence.putMeta(DEFAULT_ACCOUNT_KEY, id + "=" + token);
        return Map.of(id, token);
    }

    /** Settings for {@link SpotSimulator}. */
    public static final class Builder {
        private String bind = "127.0.0.1";
        private int port = 0;
        private Path dataDir;
        private final Map<String, String> accounts = new LinkedHashMap<>();
        private Duration transitionDuration = TransitionTime.DEFAULT;
        private RateLimiter.Settings rateLimit = RateLimiter.Settings.OFF;
        private Path seed;

        private Builder() {
        }

        /**
         * How long (simulated time) pause, resume and recycle stay PAUSING, RESUMING, RECYCLING
         * before PAUSED or ACTIVE (contract §9.10). Default 60 s, as realistic; {@link Duration#ZERO}
         * = at once, for tests that do not test the transition itself.
         */
        public Builder transitionDuration(Duration duration) {
            Objects.requireNonNull(duration, "duration");
            if (duration.isNegative()) {
                throw new IllegalArgumentException("the transition duration must not be negative");
            }
            this.transitionDuration = duration;
            return this;
        }

        /**
         * Spot's rate limit (contract §9.2): at most {@code requestsPerMinute} requests per account,
         * route and method in any 60 s; 0 (the default) = off.
         */
        public Builder rateLimit(int requestsPerMinute) {
            if (requestsPerMinute < 0) {
                throw new IllegalArgumentException("the rate limit must not be negative");
            }
            this.rateLimit = requestsPerMinute == 0 ? RateLimiter.Settings.OFF
                    : new RateLimiter.Settings(true, requestsPerMinute, Map.of());
            return this;
        }

        /**
         * A seed or snapshot file (the JSON of {@code GET /_sim/state}, or bare objects) loaded at
         * start, replacing any stored groups and instances; null = none. A bad file fails the start
         * with an {@link IllegalArgumentException}.
         */
        public Builder seed(Path file) {
            this.seed = file;
            return this;
        }

        /** Address to listen on; default 127.0.0.1. */
        public Builder bind(String host) {
            this.bind = Objects.requireNonNull(host, "bind");
            return this;
        }

        /** Port to listen on; 0 (the default) picks a free one. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /** Keep state in SQLite in this directory (created if missing); null = in memory only. */
        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        /** Adds an account; repeatable. With none, one default account is generated. */
        public Builder account(String accountId, String token) {
            Accounts.check(accountId, token);
            if (accounts.containsKey(accountId)) {
                throw new IllegalArgumentException("account " + accountId + " is given twice");
            }
            accounts.put(accountId, token);
            return this;
        }

        public SpotSimulator start() {
            return new SpotSimulator(this);
        }
    }
}
