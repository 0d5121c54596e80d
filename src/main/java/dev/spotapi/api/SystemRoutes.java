package dev.spotapi.api;

import dev.spotapi.BuildInfo;
import io.javalin.http.Context;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The public routes: liveness, readiness, version and metrics. */
final class SystemRoutes {
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Replies replies;
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;

    SystemRoutes(Replies replies, PrometheusMeterRegistry registry, Readiness readiness) {
        this.replies = replies;
        this.registry = registry;
        this.readiness = readiness;
        BuildInfo build = BuildInfo.current();
        // build_info{version,githash} 1: which build each replica runs, joinable to any other series
        Gauge.builder("build.info", () -> 1)
                .description("The running build: version and git commit; always 1")
                .tag("version", build.version())
                .tag("githash", build.githash())
                .strongReference(true)
                .register(registry);
    }

    /** Liveness: 200 {@code pong}; 503 once a fatal error was seen ({@link Readiness}), so that the pod is restarted. */
    void ping(Context ctx) {
        if (!readiness.alive()) {
            throw new ApiException(503, "not alive: fatal error (" + readiness.fatalError() + "), restart needed");
        }
        replies.text(ctx, "pong");
    }

    /**
     * 200 while serving, 503 once shutdown has begun, so that Kubernetes drains the pod first, and 503 once a
     * fatal error was seen.
     */
    void ready(Context ctx) {
        if (!readiness.alive()) {
            throw new ApiException(503, "not serving: fatal error (" + readiness.fatalError() + ")");
        }
        if (!readiness.serving()) {
            throw new ApiException(503, "shutting down");
        }
        replies.text(ctx, "ready");
    }

    void version(Context ctx) {
        replies.json(ctx, BuildInfo.current());
    }

    /** The Prometheus scrape, written without a thread ({@link StaticBodies}): a client that never reads holds none. */
    void metrics(Context ctx) {
        StaticBodies.send(ctx, PROMETHEUS_TEXT,
                java.nio.ByteBuffer.wrap(registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    void notImplemented(Context ctx) {
        throw new ApiException(501, "not implemented");
    }
}
