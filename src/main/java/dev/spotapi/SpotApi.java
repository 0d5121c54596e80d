package dev.spotapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.account.Account;
import dev.spotapi.account.AccountRegistry;
import dev.spotapi.api.ApiServer;
import dev.spotapi.trace.Telemetry;
import dev.spotapi.api.InFlight;
import dev.spotapi.api.Readiness;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.cost.CostLedger;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ListenAddress;
import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.shared.EmbeddedSharedState;
import dev.spotapi.shared.RedisSharedState;
import dev.spotapi.shared.SharedState;
import dev.spotapi.spot.RateBudget;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.json.ExactJson;
import dev.spotapi.org.Ownership;
import dev.spotapi.task.Tasks;
import dev.spotapi.task.TaskStores;
import dev.spotapi.metrics.MetricLimits;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotHttp;
import org.eclipse.jetty.client.HttpClient;
import dev.spotapi.spot.SpotMetrics;
import dev.spotapi.api.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The running service: wires config → accounts and Spot clients → services → HTTP server. */
public final class SpotApi implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SpotApi.class);

    private final HttpServer server;
    private final List<ExecutorService> executors;
    /** The Spot HTTP client ({@link SpotHttp}), stopped after the server. */
    private final HttpClient spotHttp;
    private final JvmGcMetrics gcMetrics;
    private final Readiness readiness;
    private final long shutdownDelayMs;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SharedState shared;
    private final Tasks tasks;

    private final long stopTimeoutMs;
    private final InFlight inFlight;
    private final TokenVerifier verifier;

    private final CostLedger costLedger;

    private SpotApi(HttpServer server, List<ExecutorService> executors, HttpClient spotHttp, JvmGcMetrics gcMetrics,
            Readiness readiness, long shutdownDelayMs, long stopTimeoutMs, InFlight inFlight, TokenVerifier verifier,
            SharedState shared, Tasks tasks, CostLedger costLedger) {
        this.costLedger = costLedger;
        this.spotHttp = spotHttp;
        this.shared = shared;
        this.tasks = tasks;
        this.server = server;
        this.executors = executors;
        this.gcMetrics = gcMetrics;
        this.readiness = readiness;
        this.shutdownDelayMs = shutdownDelayMs;
        this.stopTimeoutMs = stopTimeoutMs;
        this.inFlight = inFlight;
        this.verifier = verifier;
    }

    /**
     * Starts the service; spans are exported over OTLP when OpenTelemetry's environment variables name an
     * endpoint ({@link Telemetry#fromEnvironment}), else tracing is off.
     */
    public static SpotApi start(ServiceConfig config) {
        return start(config, Telemetry.fromEnvironment(System.getenv()));
    }

    /** Starts the service recording its spans with {@code telemetry} (closed when the service stops). */
    public static SpotApi start(ServiceConfig config, Telemetry telemetry) {
        ObjectMapper mapper = ExactJson.mapper();
        ObjectMapper spotReplies = SpotClient.replyMapper();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        MetricLimits.install(registry);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemonThreads("spot-retry"));
        // TLS (the CA certificates and ~400 classes) only when an endpoint is https: SpotTls
        HttpClient http = SpotHttp.start(config.spot().connectTimeoutMs(), SpotTls.needed(config));
        SpotMetrics spotMetrics = new SpotMetrics(registry);
        SharedState shared = config.sharedState().usesRedis() ? sharedState(config)
                : EmbeddedSharedState.forService(config.idempotency().statePath()); // org-adopt: never the file
        RateBudget budget = new RateBudget(shared, config.spot());
        String userAgent = BuildInfo.current().userAgent();
        Ownership ownership = new Ownership(config.org(), config.orgIsolationEnforced());
        Map<String, Account> accounts = new LinkedHashMap<>();
        // a read of another org's group or instance counts as not found on the public /metrics (Ownership#countedAsFound)
        config.accounts().forEach((name, account) -> accounts.put(name, new Account(name, account,
                new SpotClient(name, account.effectiveEndpoint(), account.id(), account.token(), http,
                        config.spot(), spotMetrics, scheduler, spotReplies, userAgent, budget)
                        .countedFoundOnlyIf(ownership::countedAsFound))));
        accounts.keySet().forEach(spotMetrics::account);

        Readiness readiness = new Readiness();
        HealthChecks.sharedState(readiness, shared, registry);
        readiness.add("spot", spotMetrics::health, false);
        CostLedger costLedger = new CostLedger(ownership, shared);
        // the tick only hands the flush to the common pool: a slow Redis must not hold the Spot retries' scheduler
        scheduler.scheduleWithFixedDelay(() -> java.util.concurrent.CompletableFuture.runAsync(costLedger::flushPending),
                10, 10, java.util.concurrent.TimeUnit.SECONDS);
        if (!ownership.enforced()) {
            LOG.warn("orgIsolation is off: every elastigroup and managed instance of the configured Spot accounts,"
                    + " of any org, is visible and can be changed or deleted through this service");
        }
        TokenVerifier verifier = new TokenVerifier(config.token(), config.auth());
        InFlight inFlight = new InFlight();
        AccountRegistry accountRegistry = new AccountRegistry(accounts);
        HealthChecks.verification(readiness, verifier, registry);
        Tasks tasks = TaskStores.tasks(config, accountRegistry, registry,
                (name, check) -> readiness.add(name, check, HealthChecks::authRefused));
        HttpServer server = ApiServer.create(new ApiServer.Parts(
                ListenAddress.parse(config.listenAddress()),
                config.maxBodyBytes(),
                config.http(),
                verifier,
                accountRegistry,
                new ElastigroupService(ownership, costLedger),
                instanceService(ownership, registry, accounts.keySet(), costLedger),
                registry,
                mapper,
                readiness,
                inFlight,
                ownership,
                config.corsOrigins(),
                new Idempotency(shared, config.idempotency().ttl(), leaseMs(config), config.org()),
                tasks, config.org(), costLedger), telemetry);
        server.start();
        // After the start: the JVM binders cost ~100 ms of start-up and nothing scrapes metrics before then.
        JvmGcMetrics gc = bindJvmMetrics(registry);
        HealthChecks.jetty(server.jetty(), registry);
        return new SpotApi(server, List.of(scheduler), http, gc, readiness, config.shutdownDelayMs(),
                config.http().stopTimeoutMs(), inFlight, verifier, shared, tasks, costLedger);
    }

    /**
     * Redis when {@code sharedState.redisUrl} is set (password from the environment), else in this process;
     * also used by the {@code org-adopt} command, so that its writes queue behind the service's (write fence).
     */
    public static SharedState sharedState(ServiceConfig config) {
        if (!config.sharedState().usesRedis()) {
            return new EmbeddedSharedState();
        }
        LOG.info("shared state: Redis at {}", config.sharedState().redisUrlForLogs());
        return new RedisSharedState(config.sharedState().redisUrl(), config.sharedState().redisUsername(),
                System.getenv(ConfigLoader.ENV_REDIS_PASSWORD),
                Duration.ofMillis(config.sharedState().timeoutMs()));
    }

    /** Longer than any request can run: the Spot deadline, the orphan search after it, and a margin. */
    /** The instance service, its per-account counters registered at zero. */
    private static InstanceService instanceService(Ownership ownership, io.micrometer.core.instrument.MeterRegistry registry,
            java.util.Collection<String> accounts, CostLedger ledger) {
        InstanceService service = new InstanceService(ownership, registry, ledger);
        accounts.forEach(service::countersAtZero);
        return service;
    }

    private static long leaseMs(ServiceConfig config) {
        return config.spot().deadlineMs() + Math.min(config.spot().attemptTimeoutMs(), 10_000) + 10_000;
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        java.util.concurrent.atomic.AtomicInteger n = new java.util.concurrent.atomic.AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static JvmGcMetrics bindJvmMetrics(PrometheusMeterRegistry registry) {
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        return gc;
    }

    public int port() {
        return server.port();
    }

    /** "METHOD /path" of every HTTP route the server serves, for checking documentation against it. */
    public List<String> routes() {
        return server.routes();
    }

    /**
     * Graceful stop: readiness turns 503 at once; after {@code shutdownDelayMs} (time for a load balancer
     * to notice) the server stops accepting and lets in-flight requests finish, bounded by the stop timeout
     * ({@code http.stopTimeoutMs}). Shortly before that timeout, requests still waiting are answered with a
     * JSON 503 carrying their request id (and access-logged), so none is cut off without an answer. Never
     * throws: a shutdown hook must not fail.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            readiness.shutdownBegun();
            LOG.info("shutting down: readiness is now 503");
            if (shutdownDelayMs > 0) {
                Thread.sleep(shutdownDelayMs);
            }
            long margin = Math.min(1_000, stopTimeoutMs / 4);
            Thread abandon = new Thread(() -> {
                try {
                    Thread.sleep(stopTimeoutMs - margin);
                    inFlight.abandon();
                } catch (InterruptedException stopped) {
                    // the server stopped in time: nothing to abandon
                }
            }, "stop-timeout");
            abandon.setDaemon(true);
            abandon.start();
            try {
                server.stop();
            } finally {
                abandon.interrupt();
                inFlight.abandon();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("shutdown interrupted");
        } catch (RuntimeException | Error e) {
            LOG.warn("error while stopping the HTTP server (ignored, shutting down anyway): {}", e.toString());
        } finally {
            quietly(verifier::close);
            quietly(tasks::close);
            executors.forEach(e -> quietly(e::shutdownNow));
            quietly(() -> {
                try {
                    spotHttp.stop();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            quietly(gcMetrics::close);
            quietly(costLedger::close);
            quietly(shared::close);
            LOG.info("stopped");
        }
    }

    private static void quietly(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            LOG.warn("error during shutdown (ignored): {}", e.toString());
        }
    }
}
