package dev.spotapi.trace;

import io.opentelemetry.api.trace.Tracer;
import java.util.Map;

/**
 * Whether spot-api records spans, and where they go. Off by default: then requests and Spot calls only carry
 * W3C trace ids (logs' {@code traceId}, the {@code traceparent} sent to Spot) and the OpenTelemetry SDK is not
 * even loaded. On when an OTLP endpoint is configured by OpenTelemetry's standard environment variables
 * ({@link #fromEnvironment}): a span per request (kind SERVER) and per Spot call (kind CLIENT), exported in
 * batches over OTLP/HTTP (protobuf) with the JDK's HttpClient.
 */
public final class Telemetry implements AutoCloseable {
    /** The instrumentation scope name of spot-api's spans. */
    public static final String SCOPE = "dev.spotapi";
    private static final Telemetry OFF = new Telemetry(null, () -> { });

    private final Tracer tracer;
    private final Runnable shutdown;

    Telemetry(Tracer tracer, Runnable shutdown) {
        this.tracer = tracer;
        this.shutdown = shutdown;
    }

    /** No spans: ids only. */
    public static Telemetry off() {
        return OFF;
    }

    /**
     * From OpenTelemetry's environment variables: on when {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} (the full
     * URL, e.g. {@code http://collector:4318/v1/traces}) or {@code OTEL_EXPORTER_OTLP_ENDPOINT} (the base URL,
     * {@code /v1/traces} is appended) is set and {@code OTEL_TRACES_EXPORTER} is not {@code none}; also read:
     * {@code OTEL_SERVICE_NAME} (default {@code spot-api}), {@code OTEL_EXPORTER_OTLP_HEADERS} /
     * {@code OTEL_EXPORTER_OTLP_TRACES_HEADERS} ({@code key=value,...}, e.g. an API key) and
     * {@code OTEL_TRACES_SAMPLER_ARG} (the share of new traces recorded, 0..1, default 1; a caller's sampled
     * flag is followed).
     *
     * @throws IllegalArgumentException when a value is malformed (the service refuses to start)
     */
    public static Telemetry fromEnvironment(Map<String, String> env) {
        String traces = blankToNull(env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"));
        String base = blankToNull(env.get("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if ("none".equalsIgnoreCase(String.valueOf(env.get("OTEL_TRACES_EXPORTER")).strip())
                || traces == null && base == null) {
            return off();
        }
        String endpoint = traces != null ? traces : base.replaceAll("/+$", "") + "/v1/traces";
        return OtlpTracing.start(endpoint, env);
    }

    /** Whether spans are recorded and exported. */
    public boolean enabled() {
        return tracer != null;
    }

    /**
     * The context of a new request: a SERVER span named {@code name} (a child of the caller's valid
     * {@code traceparent}, else a new trace) with its {@code http.request.method} attribute.
     */
    public TraceContext startRequest(String traceparent, String tracestate, String name, String method) {
        return TraceContext.start(tracer, traceparent, tracestate, name, method);
    }

    /** Exports what is buffered (waits up to 5 s) and stops exporting. */
    @Override
    public void close() {
        shutdown.run();
    }

    static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }
}
