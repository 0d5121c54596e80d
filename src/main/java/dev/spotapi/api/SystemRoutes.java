package dev.spotapi.api;

import dev.spotapi.BuildInfo;
import io.javalin.http.Context;
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
    }

    void ping(Context ctx) {
        replies.text(ctx, "pong");
    }

    /** 200 while serving, 503 once shutdown has begun, so that Kubernetes drains the pod first. */
    void ready(Context ctx) {
        if (!readiness.serving()) {
            throw new ApiException(503, "shutting down");
        }
        replies.text(ctx, "ready");
    }

    void version(Context ctx) {
        replies.json(ctx, BuildInfo.current());
    }

    void metrics(Context ctx) {
        ctx.contentType(PROMETHEUS_TEXT).result(registry.scrape());
    }

    void notImplemented(Context ctx) {
        throw new ApiException(501, "not implemented");
    }
}
