package dev.spotapi.api;

import dev.spotapi.BuildInfo;
import dev.spotapi.api.http.Exchange;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** The public routes: liveness, readiness, version and metrics. */
final class SystemRoutes {
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final Replies replies;
    private final PrometheusMeterRegistry registry;
    private final Readiness readiness;
    /** The version document, encoded once: the build does not change while the process runs. */
    private final byte[] version;

    SystemRoutes(Replies replies, PrometheusMeterRegistry registry, Readiness readiness) {
        this.replies = replies;
        this.registry = registry;
        this.readiness = readiness;
        BuildInfo build = BuildInfo.current();
        this.version = replies.bytes(build);
        // build_info{version,githash} 1: which build each replica runs, joinable to any other series
        Gauge.builder("spotapi.build.info", () -> 1)
                .description("The running build: version and git commit; always 1")
                .tag("version", build.version())
                .tag("githash", build.githash())
                .strongReference(true)
                .register(registry);
    }

    /** Liveness: 200 {@code pong}; 503 once a fatal error was seen ({@link Readiness}), so that the pod is restarted. */
    void ping(Exchange ctx) {
        if (!readiness.alive()) {
            throw new ApiException(503, "not alive: fatal error (" + readiness.fatalType() + "), restart needed");
        }
        replies.text(ctx, "pong");
    }

    /**
     * 200 while ready; 503 once shutdown has begun (so that Kubernetes drains the pod first), once a fatal
     * error was seen, or while a component the replica cannot serve without is DOWN (see {@link Readiness}).
     */
    void ready(Exchange ctx) {
        String reason = readiness.notReadyReason();
        if (reason != null) {
            throw new ApiException(503, reason);
        }
        replies.text(ctx, "ready");
    }

    /**
     * The health report, Spring Boot Actuator's shape: {@code {"status":"UP|DEGRADED|DOWN","components":{...}}};
     * 200 unless DOWN (503). Public, like /ready and /metrics: details never carry a password or token.
     */
    void health(Exchange ctx) {
        dev.spotapi.health.Health health = readiness.health();
        ctx.status(health.status() == dev.spotapi.health.Health.Status.DOWN ? 503 : 200);
        replies.json(ctx, health);
    }

    void version(Exchange ctx) {
        replies.jsonBytes(ctx, version);
    }

    /**
     * The Prometheus scrape, written without a thread ({@link StaticBodies}): a client that never reads holds none.
     * Callers that arrive while a scrape is being made, at most {@link #SCRAPE_JOIN_NANOS} after it began, share it;
     * a finished scrape is never reused. Unauthenticated scrapers on hundreds of connections each made their own
     * (~55 KB of text, ~1 ms of CPU): a new caller's {@code /ping} took 1-4.7 s and the sandbox ran out of heap (attack
     * round 13). A slow scrape (a stalled Redis: its health PINGs wait for their timeout) is not waited for by callers
     * that come later than that: they make the next one.
     */
    void metrics(Exchange ctx) {
        StaticBodies.send(ctx, PROMETHEUS_TEXT, java.nio.ByteBuffer.wrap(scrape()));
    }

    /** How long after a scrape began a new caller may still share it (ns): metrics a second old are current enough. */
    static final long SCRAPE_JOIN_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    private final Object scrapes = new Object();
    /** The scrape being made (or the last one made) and when it began ({@link System#nanoTime}); guarded by {@link #scrapes}. */
    private java.util.concurrent.CompletableFuture<byte[]> scrape;
    private long scrapeStarted;

    private byte[] scrape() {
        long arrived = System.nanoTime();
        java.util.concurrent.CompletableFuture<byte[]> mine;
        boolean make = false;
        synchronized (scrapes) {
            if (scrape != null && !scrape.isDone() && arrived - scrapeStarted <= SCRAPE_JOIN_NANOS) {
                mine = scrape;
            } else {
                mine = new java.util.concurrent.CompletableFuture<>();
                scrape = mine;
                scrapeStarted = System.nanoTime();
                make = true;
            }
        }
        if (make) {
            try {
                mine.complete(registry.scrape().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (RuntimeException | Error e) {
                mine.completeExceptionally(e);
            }
        }
        try {
            return mine.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    void notImplemented(Exchange ctx) {
        throw new ApiException(501, "not implemented");
    }
}
