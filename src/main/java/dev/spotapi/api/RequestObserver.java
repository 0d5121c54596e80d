package dev.spotapi.api;

import io.javalin.http.Context;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** After every request: one access-log line and the request timer by method, route template and status. */
final class RequestObserver {
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.spotapi.access");
    static final String UNMATCHED = "UNMATCHED";

    private final MeterRegistry registry;

    RequestObserver(MeterRegistry registry) {
        this.registry = registry;
    }

    void observe(Context ctx, float millis) {
        String route = routeOf(ctx);
        String status = Integer.toString(ctx.statusCode());
        Timer.builder("http.server.requests")
                .description("HTTP requests served")
                .tag("method", ctx.method().name())
                .tag("route", route)
                .tag("status", status)
                .publishPercentileHistogram()
                .register(registry)
                .record((long) (millis * 1_000_000L), TimeUnit.NANOSECONDS);
        if (ACCESS.isInfoEnabled()) {
            String account = ctx.attribute(AccountLookup.ATTRIBUTE);
            try (var a = MDC.putCloseable("requestId", RequestIds.of(ctx));
                 var b = MDC.putCloseable("route", route);
                 var c = MDC.putCloseable("status", status);
                 var d = MDC.putCloseable("durationMs", String.format(java.util.Locale.ROOT, "%.1f", millis));
                 var e = account == null ? null : MDC.putCloseable("account", account)) {
                ACCESS.info("{} {} {} {}ms requestId={}", ctx.method().name(), ctx.path(), status,
                        String.format(java.util.Locale.ROOT, "%.1f", millis), RequestIds.of(ctx));
            }
        }
    }

    static String routeOf(Context ctx) {
        Endpoint e = ctx.endpoints().lastHttpEndpoint();
        return e == null ? UNMATCHED : e.path;
    }
}
