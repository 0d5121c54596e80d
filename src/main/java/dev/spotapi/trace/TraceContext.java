package dev.spotapi.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A W3C Trace Context (https://www.w3.org/TR/trace-context/) as spot-api takes part in it, read and written
 * by OpenTelemetry's {@link W3CTraceContextPropagator}: the trace id (from the caller's {@code traceparent},
 * else a new one), the span of spot-api's own work (a span id of ours), the sampled flag and the caller's
 * {@code tracestate}.
 *
 * <p>With tracing on ({@link Telemetry}), the span is an OpenTelemetry SDK span that is exported when it
 * ends; with tracing off it only carries the ids (nothing is recorded, the SDK is not loaded).
 *
 * <p>The context of the request being served is held in a thread-local ({@link #current()}), set by the
 * HTTP layer around every handler and carried by the Spot client onto the threads where its replies
 * complete, so that each Spot call sends {@code traceparent: 00-<trace id>-<span id>-<flags>}.
 */
public final class TraceContext {
    /** The request header (and the header sent to Spot). */
    public static final String TRACEPARENT = "traceparent";
    /** The vendor-specific companion header, passed on (as OpenTelemetry re-writes it). */
    public static final String TRACESTATE = "tracestate";

    private static final ThreadLocal<TraceContext> CURRENT = new ThreadLocal<>();
    private static final TextMapGetter<Map<String, String>> GETTER = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Map<String, String> carrier) {
            return carrier.keySet();
        }

        @Override
        public String get(Map<String, String> carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Span span;
    private final Tracer tracer;
    private final boolean continued;

    private TraceContext(Span span, Tracer tracer, boolean continued) {
        this.span = span;
        this.tracer = tracer;
        this.continued = continued;
    }

    /**
     * The context for a request carrying these headers (either may be null), with tracing off: the caller's
     * trace when its {@code traceparent} is valid per the W3C rules (as OpenTelemetry's propagator checks
     * them), else a new trace; either way with a new span id of our own. {@code tracestate} is kept only with
     * a valid {@code traceparent}.
     */
    public static TraceContext fromHeaders(String traceparent, String tracestate) {
        return start(null, traceparent, tracestate, null, null);
    }

    /**
     * A new span of kind SERVER named {@code name} (recorded when {@code tracer} is an SDK tracer; null: ids
     * only), child of the caller's valid {@code traceparent} or the root of a new trace.
     */
    static TraceContext start(Tracer tracer, String traceparent, String tracestate, String name, String method) {
        SpanContext parent = parent(traceparent, tracestate);
        boolean continued = parent.isValid();
        if (tracer == null) {
            String traceId = continued ? parent.getTraceId() : randomHex(16);
            SpanContext own = SpanContext.create(traceId, randomHex(8),
                    continued && parent.isSampled() ? TraceFlags.getSampled() : TraceFlags.getDefault(),
                    parent.getTraceState());
            return new TraceContext(Span.wrap(own), null, continued);
        }
        Span span = tracer.spanBuilder(name)
                .setSpanKind(SpanKind.SERVER)
                .setParent(continued ? Context.root().with(Span.wrap(parent)) : Context.root())
                .setAttribute(AttributeKey.stringKey("http.request.method"), method)
                .startSpan();
        return new TraceContext(span, tracer, continued);
    }

    /** The caller's span context (invalid when the header is missing or not valid). */
    private static SpanContext parent(String traceparent, String tracestate) {
        if (traceparent == null) {
            return SpanContext.getInvalid();
        }
        Map<String, String> headers = new HashMap<>(2);
        headers.put(TRACEPARENT, traceparent.strip());
        if (tracestate != null) {
            headers.put(TRACESTATE, tracestate.strip());
        }
        SpanContext extracted = Span.fromContext(W3CTraceContextPropagator.getInstance()
                .extract(Context.root(), headers, GETTER)).getSpanContext();
        byte flags = extracted.getTraceFlags().asByte();
        if (!extracted.isValid() || flags == 0 || flags == 1) {
            return extracted;
        }
        // a later version may define other flags: only the sampled bit is carried on
        return SpanContext.createFromRemoteParent(extracted.getTraceId(), extracted.getSpanId(),
                extracted.getTraceFlags().isSampled() ? TraceFlags.getSampled() : TraceFlags.getDefault(),
                extracted.getTraceState());
    }

    /**
     * A child span of kind CLIENT (a call made on behalf of this request) named {@code name}; with tracing off,
     * this same context (no span of its own: the call's {@code traceparent} names the request's span). It carries
     * this context's {@link #requestId}.
     */
    public TraceContext child(String name) {
        if (tracer == null) {
            return this;
        }
        Span child = tracer.spanBuilder(name).setSpanKind(SpanKind.CLIENT)
                .setParent(Context.root().with(span)).startSpan();
        TraceContext c = new TraceContext(child, tracer, true);
        c.requestId = requestId;
        c.openWrites = openWrites;
        return c;
    }

    /** The id of the request this context traces (its {@code X-Request-Id}), or null (work of no request). */
    private volatile String requestId;
    /** The Spot writes made for this request (each: the exchange's end), shared with its children. */
    private java.util.Queue<java.util.concurrent.CompletableFuture<?>> openWrites =
            new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * Records a Spot write made for this request: {@code ended} completes when Spot has answered it, closed its
     * connection or it was given up on; until then Spot may still act on it, whatever the request answered.
     */
    public void writeSent(java.util.concurrent.CompletableFuture<?> ended) {
        openWrites.removeIf(java.util.concurrent.CompletableFuture::isDone); // a long-lived context keeps only open ones
        openWrites.add(ended);
    }

    /** The Spot writes made for this request that have not ended yet (Spot may still act on them). */
    public java.util.List<java.util.concurrent.CompletableFuture<?>> writesStillOpen() {
        return openWrites.stream().filter(f -> !f.isDone()).toList();
    }

    /** Names the request this context traces (its {@code X-Request-Id}), for log lines written outside its steps. */
    public TraceContext requestId(String id) {
        this.requestId = id;
        return this;
    }

    /** The id of the request this context traces, or null. */
    public String requestId() {
        return requestId;
    }

    /** Whether this span is recorded (tracing on and sampled). */
    public boolean recording() {
        return span.isRecording();
    }

    /** Sets a string attribute of the span (nothing when not recorded; null values are left out). */
    public TraceContext attribute(String key, String value) {
        if (value != null && span.isRecording()) {
            span.setAttribute(key, value);
        }
        return this;
    }

    /** Sets a number attribute of the span (nothing when not recorded). */
    public TraceContext attribute(String key, long value) {
        if (span.isRecording()) {
            span.setAttribute(key, value);
        }
        return this;
    }

    /** Renames the span (e.g. to its route template once the route is matched). */
    public void rename(String name) {
        if (span.isRecording()) {
            span.updateName(name);
        }
    }

    /** Ends the span, as an error when {@code error} is not null (its message is the status description). */
    public void end(String error) {
        if (!span.isRecording()) {
            return;
        }
        if (error != null) {
            span.setStatus(StatusCode.ERROR, error);
        }
        span.end();
    }

    /** The 32 lowercase hex digits of the trace id. */
    public String traceId() {
        return span.getSpanContext().getTraceId();
    }

    /** The 16 lowercase hex digits of spot-api's span id for this request (or call). */
    public String spanId() {
        return span.getSpanContext().getSpanId();
    }

    /** Whether the trace came from the caller's valid {@code traceparent} (false: a trace started here). */
    public boolean continued() {
        return continued;
    }

    /** The {@code traceparent} for calls made on behalf of this span: our span id as their parent. */
    public String traceparent() {
        return headers().get(TRACEPARENT);
    }

    /** The {@code tracestate} to pass on, or null. */
    public String tracestate() {
        return headers().get(TRACESTATE);
    }

    /** The W3C headers for a call made within this span, as OpenTelemetry's propagator writes them. */
    public Map<String, String> headers() {
        Map<String, String> headers = new HashMap<>(2);
        W3CTraceContextPropagator.getInstance().inject(Context.root().with(span), headers, Map::put);
        return headers;
    }

    /** The header names this context reads and writes. */
    public static List<String> fields() {
        return List.of(TRACEPARENT, TRACESTATE);
    }

    /** The context of the request being handled on this thread, or null. */
    public static TraceContext current() {
        return CURRENT.get();
    }

    /** Makes {@code context} the current one on this thread (null clears it). */
    public static void setCurrent(TraceContext context) {
        if (context == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(context);
        }
    }

    /** The logging MDC key that holds the current context's trace id (JSON log lines carry it). */
    public static final String MDC_KEY = "traceId";

    /**
     * Runs {@code action} with {@code context} current and its trace id in the logging MDC ({@link #MDC_KEY}), so
     * that what the action logs, or runs synchronously (a request's steps resumed by the completion of a Spot call),
     * carries it; restores both after ({@link #enter}).
     */
    public static void runWith(TraceContext context, Runnable action) {
        Runnable leave = enter(context);
        try {
            action.run();
        } finally {
            leave.run();
        }
    }

    /**
     * Makes {@code context} (null: none) current on this thread, with its trace id in the logging MDC; the action
     * returned puts back what was there. The MDC key is only ever set together with the current context, so a
     * thread without one needs no MDC read. Each thread-local look-up is a native call under C1: at most two here.
     */
    public static Runnable enter(TraceContext context) {
        TraceContext previous = CURRENT.get();
        String previousId = previous == null ? null : org.slf4j.MDC.get(MDC_KEY);
        if (context != previous) {
            setCurrent(context);
        }
        String id = context == null ? null : context.traceId();
        if (!java.util.Objects.equals(id, previousId)) {
            mdc(id);
        }
        return previous == null ? LEAVE_CLEAN : () -> {
            setCurrent(previous);
            mdc(previousId);
        };
    }

    /** Leaves a thread that had no context: clears whatever was made current meanwhile, with its MDC key. */
    private static final Runnable LEAVE_CLEAN = () -> {
        if (CURRENT.get() != null) {
            CURRENT.remove();
            org.slf4j.MDC.remove(MDC_KEY);
        }
    };

    /**
     * A future completed after {@code delayMillis} (a timer thread), whose dependents, chained before then, run with
     * the context current now (and its trace id in the MDC): a pause between two steps of a request (a retry, a
     * search again) keeps the request's trace for the Spot calls and log lines after it.
     */
    public static java.util.concurrent.CompletableFuture<Void> pause(long delayMillis) {
        TraceContext context = current();
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture.delayedExecutor(delayMillis, java.util.concurrent.TimeUnit.MILLISECONDS)
                .execute(() -> runWith(context, () -> done.complete(null)));
        return done;
    }

    private static void mdc(String traceId) {
        if (traceId == null) {
            org.slf4j.MDC.remove(MDC_KEY);
        } else {
            org.slf4j.MDC.put(MDC_KEY, traceId);
        }
    }

    private static String randomHex(int bytes) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        byte[] hex = new byte[bytes * 2];
        boolean zero = true;
        while (zero) { // never all zeros (invalid per the spec)
            for (int i = 0; i < hex.length; i += 2) {
                int b = r.nextInt(256);
                zero &= b == 0;
                hex[i] = HEX[b >> 4];
                hex[i + 1] = HEX[b & 15];
            }
        }
        return new String(hex, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static final byte[] HEX = "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);

    @Override
    public String toString() {
        return traceparent();
    }
}
