package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Attack round 5: the request's trace (TraceContext and the logging MDC {@code traceId}) is made current once per
 * stretch of steps ({@code Tracing.enter}). Found (fixed since): a stretch resumed after a Spot call ran inside the
 * Spot client's completion, which made the request's TraceContext current but not the MDC, so lines logged in that
 * stretch (the audit line) carried no traceId; a pause between Spot calls (a retry) lost the trace; and a GET shared
 * by two concurrent requests completed inside the first request's trace, so what the second chained on it ran in
 * the first one's trace.
 */
class TraceContextAttackTest extends HarnessPerClass {

    private static String traceId(int i) {
        return String.format("%08x%024x", 0x5a5a0000 + i, 0xabcdefL + i);
    }

    private static Map<String, String> traced(String traceId, String requestId) {
        return Map.of("X-Auth-Token", TestService.TOKEN, "X-Request-Id", requestId,
                "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01");
    }

    private static String kv(ILoggingEvent e, String key) {
        if (e.getKeyValuePairs() == null) {
            return null;
        }
        return e.getKeyValuePairs().stream().filter(p -> key.equals(p.key)).map(p -> String.valueOf(p.value))
                .findFirst().orElse(null);
    }

    /** An audited change that calls Spot: its audit line carries the request's trace id (JSON lines show MDC fields). */
    @Test
    void theAuditLineOfAChangeThatCalledSpotCarriesTheRequestsTraceId() throws Exception {
        try (LogCapture logs = LogCapture.start()) {
            String trace = traceId(1);
            String requestId = "audit-trace-" + System.nanoTime();
            Reply r = h.svc.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("trace")),
                    traced(trace, requestId));
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            ILoggingEvent audit = logs.await(e -> "dev.spotapi.audit".equals(e.getLoggerName())
                    && requestId.equals(kv(e, "requestId")), 5_000);
            assertThat(audit).as("the audit line of request %s", requestId).isNotNull();
            assertThat(audit.getMDCPropertyMap().get("traceId")).as("traceId of the audit line %s (thread %s)",
                    audit.getFormattedMessage(), audit.getThreadName()).isEqualTo(trace);
        }
    }

    /**
     * Many concurrent requests with distinct traceparents, each calling Spot (reads of the same list, which the
     * client shares, then a write per request): every Spot call carries its own request's trace id, and every log
     * line naming a request id carries that request's trace id (never another's).
     */
    @Test
    void concurrentRequestsNeverCarryAnotherRequestsTrace() throws Exception {
        String a = h.createInstance();
        String b = h.createInstance();
        h.clearRequestLog();
        int n = 24;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try (LogCapture logs = LogCapture.start()) {
            List<CompletableFuture<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Map<String, String> headers = traced(traceId(100 + i), "trace-mix-" + i);
                replies.add(CompletableFuture.supplyAsync(() -> h.svc.call("PUT", "/main/instances-power",
                        "{\"instances\": [\"" + a + "\", \"" + b + "\"], \"state\": \"stop\"}", headers), pool));
            }
            for (CompletableFuture<Reply> f : replies) {
                Reply r = f.join();
                assertThat(r.status()).as(r.body()).isEqualTo(200);
            }
            List<String> wrong = new ArrayList<>();
            java.util.Set<String> expected = new java.util.TreeSet<>();
            for (int i = 0; i < n; i++) {
                expected.add(traceId(100 + i));
            }
            // each request sends at least one write of its own (Spot calls carry no request id: their trace is all
            // that tells whose they are); a write in another request's trace leaves its own trace without a write
            java.util.Map<String, Integer> writesByTrace = new java.util.TreeMap<>();
            for (JsonNode req : h.spotRequests()) {
                String sent = req.path("headers").path("traceparent").asText("");
                if ("PUT".equals(req.path("method").asText()) && sent.length() >= 35) {
                    writesByTrace.merge(sent.substring(3, 35), 1, Integer::sum);
                }
            }
            assertThat(writesByTrace.keySet()).as("trace ids of the Spot writes (count each): %s", writesByTrace)
                    .containsExactlyInAnyOrderElementsOf(expected);
            Thread.sleep(300);
            for (ILoggingEvent e : logs.events()) {
                String rid = kv(e, "requestId");
                String mdc = e.getMDCPropertyMap().get("traceId");
                if (rid != null && rid.startsWith("trace-mix-") && mdc != null) {
                    String want = traceId(100 + Integer.parseInt(rid.substring("trace-mix-".length())));
                    if (!want.equals(mdc)) {
                        wrong.add(e.getLoggerName() + " line of " + rid + " carries " + mdc);
                    }
                }
            }
            assertThat(wrong).as("Spot calls / log lines with another request's trace").isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Many concurrent requests with distinct traceparents (audited creates, shared list reads, reads of an account
     * Spot fails for): no log line naming one request's id carries another request's trace id (in the MDC or as a
     * field), and no line at all carries a trace id while naming another request.
     */
    @Test
    void noLogLineCarriesAnotherRequestsTraceId() throws Exception {
        int n = 30;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try (LogCapture logs = LogCapture.start()) {
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group\",\"action\":\"status\",\"status\":500,\"count\":1000}");
            List<CompletableFuture<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Map<String, String> headers = traced(traceId(300 + i), "trace-log-" + i);
                int kind = i % 3;
                replies.add(CompletableFuture.supplyAsync(() -> switch (kind) {
                    case 0 -> h.svc.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("tl")), headers);
                    case 1 -> h.svc.call("GET", "/main/instances", null, headers);
                    default -> h.svc.call("GET", "/main/elastigroups", null, headers);
                }, pool));
            }
            replies.forEach(CompletableFuture::join);
            h.clearFaults();
            Thread.sleep(500);
            java.util.Set<String> ours = new java.util.HashSet<>();
            for (int i = 0; i < n; i++) {
                ours.add(traceId(300 + i));
            }
            List<String> wrong = new ArrayList<>();
            int checked = 0;
            for (ILoggingEvent e : logs.events()) {
                String rid = kv(e, "requestId");
                if (rid == null) {
                    rid = e.getMDCPropertyMap().get("requestId");
                }
                for (String t : new String[] {e.getMDCPropertyMap().get("traceId"), kv(e, "traceId")}) {
                    if (t == null || !ours.contains(t)) {
                        continue;
                    }
                    if (rid == null || !rid.startsWith("trace-log-")) {
                        continue;
                    }
                    String want = traceId(300 + Integer.parseInt(rid.substring("trace-log-".length())));
                    checked++;
                    if (!want.equals(t)) {
                        wrong.add(e.getLoggerName() + " [" + e.getThreadName() + "] line of " + rid + " carries " + t
                                + ": " + e.getFormattedMessage());
                    }
                }
            }
            assertThat(checked).as("lines naming a request and carrying a trace id").isGreaterThanOrEqualTo(n);
            assertThat(wrong).as("log lines with another request's trace").isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The operator's ERROR line of an import left untagged (the tag write failed every attempt, "run org-adopt"),
     * logged on the Spot client's thread while the request waits: it carries the request's trace id.
     */
    @Test
    void theUntaggedImportErrorLineCarriesTheRequestsTraceId() throws Exception {
        String original = h.ec2Instance();
        String trace = traceId(2);
        try (LogCapture logs = LogCapture.start()) {
            h.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"status\",\"status\":500,\"count\":1000}");
            Reply r;
            try {
                r = h.svc.call("POST", "/main/imports", "{\"originalInstanceId\": \"" + original
                        + "\", \"region\": \"us-east-1\"}", traced(trace, "untagged-" + System.nanoTime()));
            } finally {
                h.clearFaults();
            }
            assertThat(r.status()).as(r.body()).isEqualTo(502);
            // the line names the instance the 502 names
            ILoggingEvent error = logs.await(e -> e.getFormattedMessage().startsWith(
                    "imported managed instance could not be tagged") && e.getArgumentArray() != null
                    && e.getArgumentArray().length > 1 && r.body().contains(String.valueOf(e.getArgumentArray()[1])),
                    5_000);
            assertThat(error).as("the untagged import's ERROR line").isNotNull();
            String carried = traceOf(error);
            assertThat(carried).as("trace id of %s (thread %s)", error.getFormattedMessage(), error.getThreadName())
                    .isEqualTo(trace);
        }
    }

    /** The trace id a JSON line would show: the MDC's, else a traceId field. */
    private static String traceOf(ILoggingEvent event) {
        String mdc = event.getMDCPropertyMap().get("traceId");
        return mdc != null ? mdc : kv(event, "traceId");
    }
}
