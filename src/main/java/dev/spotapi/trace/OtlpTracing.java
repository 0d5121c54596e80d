package dev.spotapi.trace;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry SDK side of {@link Telemetry}, in a class of its own so that the SDK's classes are loaded
 * only when tracing is on.
 */
public final class OtlpTracing {
    private OtlpTracing() {
    }

    static Telemetry start(String endpoint, Map<String, String> env) {
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder().setEndpoint(endpoint);
        String headers = Telemetry.blankToNull(env.getOrDefault("OTEL_EXPORTER_OTLP_TRACES_HEADERS",
                env.get("OTEL_EXPORTER_OTLP_HEADERS")));
        if (headers != null) {
            for (String pair : headers.split(",")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("OTEL_EXPORTER_OTLP_HEADERS: expected key=value pairs"
                            + " separated by commas");
                }
                exporter.addHeader(pair.substring(0, eq).strip(),
                        java.net.URLDecoder.decode(pair.substring(eq + 1).strip(), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        double ratio = 1.0;
        String arg = Telemetry.blankToNull(env.get("OTEL_TRACES_SAMPLER_ARG"));
        if (arg != null) {
            try {
                ratio = Double.parseDouble(arg);
            } catch (NumberFormatException e) {
                ratio = -1;
            }
            if (!(ratio >= 0 && ratio <= 1)) {
                throw new IllegalArgumentException("OTEL_TRACES_SAMPLER_ARG: expected a number from 0 to 1, got " + arg);
            }
        }
        String service = Telemetry.blankToNull(env.get("OTEL_SERVICE_NAME"));
        return with(BatchSpanProcessor.builder(exporter.build()).build(), service, ratio);
    }

    /**
     * Tracing on, every span handed to {@code exporter} as it ends (tests: the SDK's in-memory exporter).
     */
    public static Telemetry exportingTo(SpanExporter exporter) {
        return with(SimpleSpanProcessor.create(exporter), null, 1.0);
    }

    private static Telemetry with(SpanProcessor processor, String service, double ratio) {
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), service == null ? "spot-api" : service))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(ratio)))
                .addSpanProcessor(processor)
                .build();
        return new Telemetry(provider.get(Telemetry.SCOPE),
                () -> provider.shutdown().join(5, TimeUnit.SECONDS));
    }
}
