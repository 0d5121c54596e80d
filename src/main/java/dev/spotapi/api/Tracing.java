package dev.spotapi.api;

import dev.spotapi.trace.TraceContext;
import io.javalin.http.Context;
import org.slf4j.MDC;

/**
 * W3C trace context of each request: before routing, the caller's {@code traceparent} (when valid)
 * or a new trace becomes the request's {@link TraceContext}, current on the request thread (the Spot
 * client passes it on) and in the logging MDC as {@code traceId} (JSON log lines carry it); the access
 * line carries it too.
 */
final class Tracing {
    static final String ATTRIBUTE = "spot-api.trace";
    static final String MDC_KEY = "traceId";

    private Tracing() {
    }

    static void before(Context ctx) {
        TraceContext trace = TraceContext.fromHeaders(ctx.header(TraceContext.TRACEPARENT),
                ctx.header(TraceContext.TRACESTATE));
        ctx.attribute(ATTRIBUTE, trace);
        TraceContext.setCurrent(trace);
        MDC.put(MDC_KEY, trace.traceId());
    }

    static void after(Context ctx) {
        TraceContext.setCurrent(null);
        MDC.remove(MDC_KEY);
    }

    /** The trace id of the request, or null when it never got one. */
    static String traceId(Context ctx) {
        TraceContext trace = ctx.attribute(ATTRIBUTE);
        return trace == null ? null : trace.traceId();
    }
}
