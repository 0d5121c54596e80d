package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * W3C traceparent: a valid one is continued (its trace id in the access log and on every Spot call,
 * with spot-api's own span id as the parent), an invalid one starts a new trace.
 */
class TracePropagationTest extends ApiTestSupport {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CALLER_SPAN = "00f067aa0ba902b7";

    @Test
    void aValidTraceparentIsLoggedAndPassedOnToSpotWithOurSpanId() {
        clearSpotRequests();
        ListAppender<ILoggingEvent> access = capture();
        try {
            String id = createInstance();
            clearSpotRequests();
            Reply r = svc.call("GET", "/main/instances/" + id, null, Map.of("X-Auth-Token", TestService.TOKEN,
                    "traceparent", "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01", "tracestate", "vendor=abc"));
            assertThat(r.status()).isEqualTo(200);
            List<JsonNode> spot = allSpotRequests();
            assertThat(spot).isNotEmpty().allSatisfy(e -> {
                String sent = e.path("headers").path("traceparent").asText();
                assertThat(sent).matches("00-" + TRACE_ID + "-[0-9a-f]{16}-01")
                        .doesNotContain(CALLER_SPAN).isNotEqualTo("00-" + TRACE_ID + "-0000000000000000-01");
                assertThat(e.path("headers").path("tracestate").asText()).isEqualTo("vendor=abc");
            });
            assertThat(traceIds(access, r.header("X-Request-Id"))).containsExactly(TRACE_ID);
        } finally {
            release(access);
        }
    }

    @Test
    void anInvalidTraceparentStartsANewTrace() {
        for (String invalid : List.of("00-" + TRACE_ID.toUpperCase() + "-" + CALLER_SPAN + "-01",
                "00-00000000000000000000000000000000-" + CALLER_SPAN + "-01",
                "00-" + TRACE_ID + "-0000000000000000-01", "ff-" + TRACE_ID + "-" + CALLER_SPAN + "-01",
                "00-" + TRACE_ID + "-" + CALLER_SPAN + "-01-extra", "garbage")) {
            clearSpotRequests();
            Reply r = svc.call("GET", "/main/elastigroups", null,
                    Map.of("X-Auth-Token", TestService.TOKEN, "traceparent", invalid, "tracestate", "vendor=abc"));
            assertThat(r.status()).as(invalid).isEqualTo(200);
            JsonNode sent = allSpotRequests().get(0).path("headers");
            assertThat(sent.path("traceparent").asText()).as(invalid)
                    .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00").doesNotContain(TRACE_ID.substring(0, 16));
            assertThat(sent.has("tracestate")).as("tracestate dropped with an invalid traceparent").isFalse();
        }
    }

    /**
     * Issue 25: a request whose token is new (its bcrypt check runs off the request thread before the handler)
     * passes the caller's trace on to Spot like any other, for reads and for writes with a body.
     */
    @Test
    void aNewTokensFirstRequestPassesItsTraceOnToSpot() {
        for (int i = 0; i < 4; i++) {
            String token = dev.spotapi.auth.TokenVerifier.hash(TestService.KEY, 4); // a new hash: not in the verdict cache
            String trace = java.util.UUID.randomUUID().toString().replace("-", "");
            Map<String, String> headers = Map.of("X-Auth-Token", token, "traceparent", "00-" + trace + "-" + CALLER_SPAN + "-01",
                    "Content-Type", "application/json");
            clearSpotRequests();
            Reply r = i % 2 == 0 ? svc.call("GET", "/main/elastigroups", null, headers)
                    : svc.call("POST", "/main/instances", instanceBody().toString(), headers);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(allSpotRequests()).as("request %d", i).isNotEmpty().allSatisfy(e ->
                    assertThat(e.path("headers").path("traceparent").asText()).startsWith("00-" + trace + "-"));
        }
    }

    @Test
    void withoutATraceparentSpotStillGetsOne() {
        clearSpotRequests();
        assertThat(get("/main/elastigroups").status()).isEqualTo(200);
        assertThat(allSpotRequests().get(0).path("headers").path("traceparent").asText())
                .matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
    }

    private static ListAppender<ILoggingEvent> capture() {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        ((Logger) LoggerFactory.getLogger("dev.spotapi.access")).addAppender(appender);
        return appender;
    }

    private static void release(ListAppender<ILoggingEvent> appender) {
        ((Logger) LoggerFactory.getLogger("dev.spotapi.access")).detachAppender(appender);
    }

    /** The traceId of the access lines of this request id (polling: the line follows the reply). */
    private static List<String> traceIds(ListAppender<ILoggingEvent> appender, String requestId) {
        for (int i = 0; i < 100; i++) {
            List<String> ids = List.copyOf(appender.list).stream()
                    .filter(e -> e.getKeyValuePairs() != null && e.getKeyValuePairs().stream()
                            .anyMatch(kv -> kv.key.equals("requestId") && Objects.equals(kv.value, requestId)))
                    .flatMap(e -> e.getKeyValuePairs().stream()).filter(kv -> kv.key.equals("traceId"))
                    .map(kv -> String.valueOf(kv.value)).toList();
            if (!ids.isEmpty()) {
                return ids;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return List.of();
    }
}
