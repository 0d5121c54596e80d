package dev.spotapi.api;

import dev.spotapi.BuildInfo;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The public routes: liveness, version and metrics. */
final class SystemRoutes {
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Replies replies;
    private final PrometheusMeterRegistry registry;

    SystemRoutes(Replies replies, PrometheusMeterRegistry registry) {
        this.replies = replies;
        this.registry = registry;
    }

    void ping(Context ctx) {
        replies.text(ctx, "pong");
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
