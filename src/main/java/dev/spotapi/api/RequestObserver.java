package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import dev.spotapi.metrics.MetricLimits;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After every request: one access-log line and the request timer by method, route template and status.
 * Every label comes from a bounded set (see {@link MetricLimits}): the method as sent on the request line
 * when it is a known one (HEAD too, though {@link HeadAsGet} hands it on as a GET), else OTHER; the matched route
 * template, else UNMATCHED (also for every request Jetty answered itself, {@link #observeJettyAnswer}), PREFLIGHT for
 * a CORS preflight (REFUSED in the timer for every request access control refused: the access line keeps its route).
 */
final class RequestObserver {
    private static final Logger ACCESS = LoggerFactory.getLogger("dev.spotapi.access");
    static final String UNMATCHED = "UNMATCHED";
    /** The route label of every CORS preflight ({@link Cors} answers them before routing, on any path). */
    static final String PREFLIGHT = "PREFLIGHT";
    /** The route label of every request access control refused (see {@link AccessControl#REFUSED}). */
    static final String REFUSED = "REFUSED";

    private final MeterRegistry registry;
    /** Timers by method, route and status: looked up once, not rebuilt on every request. */
    private final Map<TimerKey, Timer> timers = new ConcurrentHashMap<>();

    /**
     * A timer's labels (no string built per request to find it); equals and hashCode written out, as in
     * {@code api.http.Method} (one lookup per request).
     */
    private record TimerKey(String method, String route, int status) {
        @Override
        public boolean equals(Object o) {
            return this == o || o instanceof TimerKey k && status == k.status && method.equals(k.method)
                    && route.equals(k.route);
        }

        @Override
        public int hashCode() {
            return (method.hashCode() * 31 + route.hashCode()) * 31 + status;
        }
    }

    RequestObserver(MeterRegistry registry) {
        this.registry = registry;
    }

    void observe(Exchange ctx, float millis) {
        String route = ctx.attribute(Cors.PREFLIGHT) != null ? PREFLIGHT : routeOf(ctx);
        String timed = ctx.attribute(AccessControl.REFUSED) == null ? route : REFUSED;
        String method = ctx.attribute(HeadAsGet.HEAD) != null ? "HEAD" : ctx.method().name();
        record(method, ctx.path(), route, timed, ctx.statusCode(), millis, ACCESS.isInfoEnabled() ? RequestIds.of(ctx) : null,
                RequestIds.callerOf(ctx), ctx.attribute(AccountLookup.ATTRIBUTE), Tracing.traceId(ctx));
    }

    /**
     * A request Jetty answered itself, before the router ({@link JettyErrors}: a malformed request, headers over the
     * limit, a declared body over {@code maxBodyBytes}): the same access line and timer ({@value #UNMATCHED}) as every
     * other request. {@code method} and {@code path} are null when the request line itself could not be read.
     */
    void observeJettyAnswer(String method, String path, int status, float millis, String requestId, String caller) {
        record(method == null ? "-" : method, path == null ? "-" : path, UNMATCHED, UNMATCHED, status, millis, requestId,
                caller, null, null);
    }

    private void record(String method, String path, String route, String timed, int status, float millis,
            String requestId, String caller, String account, String traceId) {
        String methodLabel = MetricLimits.methodLabel(method);
        timers.computeIfAbsent(new TimerKey(methodLabel, timed, status), k -> timer(methodLabel, timed, status))
                .record((long) (millis * 1_000_000L), TimeUnit.NANOSECONDS);
        if (ACCESS.isInfoEnabled()) {
            double duration = Math.round(millis * 10) / 10.0;
            // key-value pairs, not MDC: text lines ignore them, JSON lines carry them as fields (numbers
            // as JSON numbers: status an integer, durationMs milliseconds with one decimal)
            var line = ACCESS.atInfo()
                    .addKeyValue("requestId", requestId)
                    .addKeyValue("route", route)
                    .addKeyValue("status", status)
                    .addKeyValue("durationMs", duration);
            if (account != null) {
                line = line.addKeyValue("account", account);
            }
            if (caller != null) {
                line = line.addKeyValue("callerRequestId", caller);
            }
            if (traceId != null) {
                // one traceId key: the MDC has it too while the request's steps run (Tracing.enter), and JSON
                // lines carry both; the access line is the request's last, so drop it from the MDC
                org.slf4j.MDC.remove(Tracing.MDC_KEY);
                line = line.addKeyValue("traceId", traceId);
            }
            // the text written out, not a "{}" pattern: SLF4J's formatter parses the pattern on every request
            line.log(new StringBuilder(96).append(clip(method, MAX_METHOD_CHARS)).append(' ')
                    .append(clip(path, MAX_PATH_CHARS)).append(' ').append(status).append(' ').append(duration)
                    .append("ms requestId=").append(requestId)
                    .append(caller == null ? "" : " callerRequestId=\"")
                    .append(caller == null ? "" : caller.replace("\\", "\\\\").replace("\"", "\\\""))
                    .append(caller == null ? "" : "\"").toString());
        }
    }

    /**
     * The most characters of the method and the path an access line carries: a request without a token could write
     * its whole 8 KiB request line into the log, a byte of log per byte sent (attack round 14); the rest is counted.
     */
    static final int MAX_METHOD_CHARS = 32;
    static final int MAX_PATH_CHARS = 512;

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...(" + s.length() + " chars)";
    }

    private Timer timer(String method, String route, int status) {
        return MetricLimits.latencyTimer("spotapi.http.server.requests")
                .description("HTTP requests served, by method (unknown methods: OTHER), route template"
                        + " (no route: UNMATCHED) and status")
                .tag("method", method)
                .tag("route", route)
                .tag("status", Integer.toString(status))
                .register(registry);
    }

    /**
     * The route template the request matched, also when it was answered before its handler ran (a bad body,
     * a refused key: {@code matchedHttpEndpoint}); {@value #UNMATCHED} only when no route matched.
     */
    static String routeOf(Exchange ctx) {
        Endpoint e = ctx.endpoint();
        if (e == null) {
            e = ctx.endpoint();
        }
        return e == null ? UNMATCHED : e.path;
    }
}
