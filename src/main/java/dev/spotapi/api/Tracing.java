package dev.spotapi.api;

import dev.spotapi.trace.Telemetry;
import dev.spotapi.trace.TraceContext;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Handler;

/**
 * W3C trace context and the request's span: before routing, the caller's {@code traceparent} (when valid, as
 * OpenTelemetry's propagator reads it) or a new trace becomes the request's {@link TraceContext}: a SERVER span
 * when tracing is on ({@link Telemetry}), ids only when off. It is current, and in the logging MDC as
 * {@code traceId} (JSON log lines carry it), during every step of the request ({@link #enter}), so that the
 * Spot client passes it on; the access line carries it too. When the request is done ({@link #finish}) the span
 * gets its route template, account and status and ends.
 */
final class Tracing {
    static final String ATTRIBUTE = "spot-api.trace";
    static final String MDC_KEY = TraceContext.MDC_KEY;

    private final Telemetry telemetry;

    Tracing(Telemetry telemetry) {
        this.telemetry = telemetry;
    }

    void before(Exchange ctx) {
        String method = ctx.method().name();
        TraceContext trace = telemetry.startRequest(ctx.header(TraceContext.TRACEPARENT),
                ctx.header(TraceContext.TRACESTATE), method, method).requestId(RequestIds.of(ctx));
        ctx.attribute(ATTRIBUTE, trace);
        TraceContext.enter(trace); // current from now on; the stretch's scope (enter) puts the thread back after
    }

    /**
     * The request's step scope ({@link dev.spotapi.api.http.Router.StepScope}): every stretch of its steps, on
     * whichever thread runs it (also after an asynchronous step such as a token verification resumed it on
     * another thread), runs with its trace current and in the MDC, from {@link #before} on; the thread is then
     * left as it was found ({@link TraceContext#enter}). Once per stretch, not per step: each thread-local look-up
     * is a native call under C1.
     */
    static Runnable enter(Exchange ctx) {
        return TraceContext.enter(ctx.attribute(ATTRIBUTE));
    }

    /**
     * Once the answer is complete (a request logger): names the span {@code <method> <route template>} and
     * sets {@code http.route}, {@code http.response.status_code} and {@code spot.account}; a 5xx is an error.
     */
    static void finish(Exchange ctx, Float millis) {
        TraceContext trace = ctx.attribute(ATTRIBUTE);
        if (trace == null || !trace.recording()) {
            return;
        }
        String route = RequestObserver.routeOf(ctx);
        int status = ctx.statusCode();
        trace.rename(ctx.method().name() + " " + route);
        trace.attribute("http.route", route)
                .attribute("http.response.status_code", status)
                .attribute("spot.account", ctx.<String>attribute(AccountLookup.ATTRIBUTE));
        trace.end(status >= 500 ? Integer.toString(status) : null);
    }

    /** The trace id of the request, or null when it never got one. */
    static String traceId(Exchange ctx) {
        TraceContext trace = ctx.attribute(ATTRIBUTE);
        return trace == null ? null : trace.traceId();
    }
}
