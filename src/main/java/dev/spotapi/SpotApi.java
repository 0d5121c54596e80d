package dev.spotapi;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.spotapi.account.Account;
import dev.spotapi.account.AccountRegistry;
import dev.spotapi.api.ApiServer;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.config.ListenAddress;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotMetrics;
import io.javalin.Javalin;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/** The running service: wires config → accounts and Spot clients → services → HTTP server. */
public final class SpotApi implements AutoCloseable {
    private final Javalin server;
    private final ScheduledExecutorService scheduler;
    private final JvmGcMetrics gcMetrics;

    private SpotApi(Javalin server, ScheduledExecutorService scheduler, JvmGcMetrics gcMetrics) {
        this.server = server;
        this.scheduler = scheduler;
        this.gcMetrics = gcMetrics;
    }

    public static SpotApi start(ServiceConfig config) {
        ObjectMapper mapper = JsonMapper.builder().build();
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JvmGcMetrics gc = bindJvmMetrics(registry);
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spot-retry");
            t.setDaemon(true);
            return t;
        });
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(config.spot().connectTimeoutMs()))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        SpotMetrics spotMetrics = new SpotMetrics(registry);
        String userAgent = BuildInfo.current().userAgent();
        Map<String, Account> accounts = new LinkedHashMap<>();
        config.accounts().forEach((name, account) -> accounts.put(name, new Account(name, account,
                new SpotClient(name, account.effectiveEndpoint(), account.id(), account.token(), http,
                        config.spot(), spotMetrics, scheduler, mapper, userAgent))));

        Javalin server = ApiServer.create(new ApiServer.Parts(
                ListenAddress.parse(config.listenAddress()),
                config.maxBodyBytes(),
                10_000,
                new TokenVerifier(config.token()),
                new AccountRegistry(accounts),
                new ElastigroupService(),
                new InstanceService(config.org()),
                registry,
                mapper));
        server.start();
        return new SpotApi(server, scheduler, gc);
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

    /** Stops accepting, lets in-flight requests finish (bounded by the stop timeout), then releases everything. */
    @Override
    public void close() {
        server.stop();
        scheduler.shutdownNow();
        gcMetrics.close();
    }
}
