package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.spotapi.SpotApi;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.support.TestService;
import dev.spotapi.trace.OtlpTracing;
import dev.spotapi.trace.Telemetry;
import dev.spotapi.trace.TraceContext;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Spans (issue 25): with tracing on, a SERVER span per request (route template, account, status) and a
 * CLIENT span per Spot call (method, route template, account, status, retries), the Spot call's
 * {@code traceparent} naming its span; exported over OTLP/HTTP to the configured endpoint; off by default.
 */
class SpanExportTest extends ApiTestSupport {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void aRequestAndItsSpotCallsAreSpansOfTheCallersTrace() throws Exception {
        String id = createGroup();
        // one 503 from Spot first: the call's span counts the retry
        addFault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"status\",\"status\":503,\"count\":1}");
        clearSpotRequests();
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (SpotApi api = SpotApi.start(config(), OtlpTracing.exportingTo(spans))) {
            // the first request of a new service verifies its token asynchronously: the trace must survive it
            HttpResponse<String> r = send(api, "/main/elastigroups/" + id,
                    Map.of("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);

            SpanData server = await(spans, s -> s.getKind() == SpanKind.SERVER);
            assertThat(server.getTraceId()).isEqualTo(TRACE_ID);
            assertThat(server.getParentSpanId()).isEqualTo(CALLER_SPAN);
            String route = server.getAttributes().get(AttributeKey.stringKey("http.route"));
            assertThat(route).startsWith("/v1/spot/").contains("elastigroups").doesNotContain(id);
            assertThat(server.getName()).isEqualTo("GET " + route);
            assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);
            assertThat(server.getAttributes().get(AttributeKey.stringKey("spot.account"))).isEqualTo("main");
            assertThat(server.getAttributes().get(AttributeKey.stringKey("http.request.method"))).isEqualTo("GET");

            SpanData call = await(spans, s -> s.getKind() == SpanKind.CLIENT);
            assertThat(call.getTraceId()).isEqualTo(TRACE_ID);
            assertThat(call.getParentSpanId()).isEqualTo(server.getSpanId());
            assertThat(call.getName()).isEqualTo("spot GET /aws/ec2/group/{id}");
            assertThat(call.getAttributes().get(AttributeKey.stringKey("url.template"))).isEqualTo("/aws/ec2/group/{id}");
            assertThat(call.getAttributes().get(AttributeKey.stringKey("spot.account"))).isEqualTo("main");
            assertThat(call.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(200L);
            assertThat(call.getAttributes().get(AttributeKey.longKey("spot.retries"))).isEqualTo(1L);
            assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

            // both attempts reached Spot with the call span as their parent
            List<JsonNode> sent = spotRequests("GET", "/aws/ec2/group/" + id);
            assertThat(sent).hasSize(2).allSatisfy(e -> assertThat(e.path("headers").path("traceparent").asText())
                    .isEqualTo("00-" + TRACE_ID + "-" + call.getSpanId() + "-01"));
        }
    }

    @Test
    void aFailedSpotCallIsAnErrorSpanAndANewTraceStartsWithoutATraceparent() throws Exception {
        addFault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group\",\"action\":\"status\",\"status\":400}");
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (SpotApi api = SpotApi.start(config(), OtlpTracing.exportingTo(spans))) {
            HttpResponse<String> r = send(api, "/main/elastigroups", Map.of());
            assertThat(r.statusCode()).as(r.body()).isGreaterThanOrEqualTo(400);
            SpanData server = await(spans, s -> s.getKind() == SpanKind.SERVER);
            assertThat(server.getParentSpanContext().isValid()).isFalse();
            assertThat(server.getAttributes().get(AttributeKey.longKey("http.response.status_code")))
                    .isEqualTo((long) r.statusCode());
            SpanData call = await(spans, s -> s.getKind() == SpanKind.CLIENT);
            assertThat(call.getTraceId()).isEqualTo(server.getTraceId());
            assertThat(call.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
            assertThat(call.getAttributes().get(AttributeKey.longKey("http.response.status_code"))).isEqualTo(400L);
            assertThat(call.getAttributes().get(AttributeKey.stringKey("error.type"))).isNotBlank();
        }
    }

    @Test
    void spansGoToTheConfiguredOtlpEndpoint() throws Exception {
        List<byte[]> received = new CopyOnWriteArrayList<>();
        List<String> types = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            types.add(exchange.getRequestHeaders().getFirst("Content-Type") + " " + exchange.getRequestHeaders()
                    .getFirst("X-Api-Key"));
            received.add(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            Telemetry telemetry = Telemetry.fromEnvironment(Map.of(
                    "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort() + "/",
                    "OTEL_EXPORTER_OTLP_HEADERS", "X-Api-Key=k%3D1", "OTEL_SERVICE_NAME", "spot-api-test"));
            assertThat(telemetry.enabled()).isTrue();
            TraceContext request = telemetry.startRequest("00-" + TRACE_ID + "-" + CALLER_SPAN + "-01", null,
                    "GET /v1/spot/{account}/elastigroups", "GET");
            request.child("spot GET /aws/ec2/group").end(null);
            request.end(null);
            telemetry.close(); // flushes the batch
            assertThat(received).isNotEmpty();
            byte[] all = concat(received);
            // OTLP protobuf: the trace id as its 16 bytes, names and attributes as UTF-8 strings
            assertThat(indexOf(all, HexFormat.of().parseHex(TRACE_ID))).isNotNegative();
            String text = new String(all, StandardCharsets.ISO_8859_1);
            assertThat(text).contains("GET /v1/spot/{account}/elastigroups", "spot GET /aws/ec2/group", "spot-api-test");
            assertThat(types).allMatch(t -> t.equals("application/x-protobuf k=1"));
        } finally {
            collector.stop(0);
        }
    }

    @Test
    void withTracingOffTheFirstRequestOfANewTokenStillPassesTheTraceToSpot() throws Exception {
        clearSpotRequests();
        try (SpotApi api = SpotApi.start(config(), Telemetry.off())) {
            // a new service knows no token yet: the request resumes after an asynchronous verification
            HttpResponse<String> r = send(api, "/main/elastigroups",
                    Map.of("traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01", "tracestate", "v=1"));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            List<JsonNode> sent = spotRequests("GET", "/aws/ec2/group");
            assertThat(sent).isNotEmpty().allSatisfy(e -> {
                assertThat(e.path("headers").path("traceparent").asText())
                        .matches("00-" + TRACE_ID + "-[0-9a-f]{16}-01").doesNotContain(CALLER_SPAN);
                assertThat(e.path("headers").path("tracestate").asText()).isEqualTo("v=1");
            });
        }
    }

    @Test
    void tracingIsOffUnlessAnEndpointIsConfigured() {
        assertThat(Telemetry.fromEnvironment(Map.of()).enabled()).isFalse();
        assertThat(Telemetry.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1",
                "OTEL_TRACES_EXPORTER", "none")).enabled()).isFalse();
        TraceContext off = Telemetry.off().startRequest(null, null, "GET", "GET");
        assertThat(off.recording()).isFalse();
        assertThat(off.child("spot GET /x")).isSameAs(off);
        assertThat(off.traceparent()).matches("00-[0-9a-f]{32}-" + off.spanId() + "-00");
    }

    private ServiceConfig config() {
        return ConfigLoader.validate(TestService.config(svc.simBase, TestService.fastSettings()));
    }

    private static HttpResponse<String> send(SpotApi api, String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api.port() + "/v1/spot" + path))
                .header("X-Auth-Token", TestService.TOKEN);
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The first finished span matching (polling: the request's span ends after its answer is sent). */
    private static SpanData await(InMemorySpanExporter spans, Predicate<SpanData> which) throws InterruptedException {
        for (int i = 0; i < 250; i++) {
            for (SpanData s : spans.getFinishedSpanItems()) {
                if (which.test(s)) {
                    return s;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no such span among " + spans.getFinishedSpanItems());
    }

    private static byte[] concat(List<byte[]> parts) {
        int n = parts.stream().mapToInt(p -> p.length).sum();
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
