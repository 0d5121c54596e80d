package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 19, helper "outside" (report-only): what the access log and the metrics tell an operator about
 * requests that never reach the router, and what an unauthenticated caller can write into the log through Jetty's
 * own warnings. Each test fails on commit f538d30 and should pass once the finding is fixed.
 */
class AttackRound19OutsideTest extends HarnessPerClass {

    private static List<ILoggingEvent> accessLinesNaming(LogCapture logs, String requestId) {
        return logs.events().stream().filter(e -> "dev.spotapi.access".equals(e.getLoggerName()))
                .filter(e -> e.getFormattedMessage().contains(requestId)).toList();
    }

    /**
     * A request Jetty refuses itself (two different {@code Content-Length}s, a tab in the path, a 9 KiB header) is
     * answered with an {@code X-Request-Id}, but that id is on no access line and the request is in no metric
     * series: the operator's "one access line per request" (operations.md) and the request counter both miss every
     * such request, and a caller's report of its request id leads nowhere. Expected: an access line carrying the id
     * and the status, and a {@code spotapi_http_server_requests} series of that status.
     */
    @Test
    void aRequestJettyRefusesItselfIsOnAnAccessLineAndInTheRequestMetric() throws Exception {
        double before400 = h.metric("spotapi_http_server_requests_seconds_count", "status", "400");
        double before431 = h.metric("spotapi_http_server_requests_seconds_count", "status", "431");
        try (LogCapture logs = LogCapture.start()) {
            Map<String, String> twoLengths = new LinkedHashMap<>();
            twoLengths.put("Content-Length", "5");
            twoLengths.put("Content-length", "6");
            RawHttp.Answer a = RawHttp.send(h.port(), "GET", "/v1/spot/ping".getBytes(StandardCharsets.US_ASCII),
                    twoLengths, "hello".getBytes(StandardCharsets.US_ASCII), 5_000);
            RawHttp.Answer b = RawHttp.send(h.port(), "GET", "/v1/spot/p\tng".getBytes(StandardCharsets.US_ASCII),
                    Map.of(), null, 5_000);
            RawHttp.Answer c = RawHttp.send(h.port(), "GET", "/v1/spot/ping".getBytes(StandardCharsets.US_ASCII),
                    Map.of("X-Big", "a".repeat(9_000)), null, 5_000);
            assertThat(a.status()).as("%s", a).isEqualTo(400);
            assertThat(b.status()).as("%s", b).isEqualTo(400);
            assertThat(c.status()).as("%s", c).isEqualTo(431);
            Thread.sleep(500);
            for (RawHttp.Answer answer : List.of(a, b, c)) {
                String id = answer.header("X-Request-Id");
                assertThat(id).as("%s", answer).isNotBlank();
                assertThat(accessLinesNaming(logs, id)).as("an access line for the %d answered with request id %s",
                        answer.status(), id).isNotEmpty();
            }
        }
        assertThat(h.metric("spotapi_http_server_requests_seconds_count", "status", "400") - before400)
                .as("requests answered 400 by Jetty, counted").isGreaterThanOrEqualTo(2);
        assertThat(h.metric("spotapi_http_server_requests_seconds_count", "status", "431") - before431)
                .as("requests answered 431 by Jetty, counted").isGreaterThanOrEqualTo(1);
    }

    /**
     * A verified caller's create whose declared {@code Content-Length} is over {@code maxBodyBytes}: 413 from Jetty's
     * error handler. Its {@code X-Request-Id} (sane: {@code portal-413}) is replaced by a random one, and there is no
     * access line, no audit line ("create instance", outcome failure) and no metric: the same body sent chunked gets
     * all four (the caller's id, the access line, the audit line and the 413 series). Expected: the same as chunked.
     */
    @Test
    void aVerifiedCreateWithADeclaredLengthOverTheLimitKeepsItsRequestIdAndIsLoggedAndCounted() throws Exception {
        double before = h.metric("spotapi_http_server_requests_seconds_count", "status", "413");
        byte[] body = new byte[3 * 1024 * 1024];
        java.util.Arrays.fill(body, (byte) 'a');
        try (LogCapture logs = LogCapture.start()) {
            Map<String, String> headers = new LinkedHashMap<>();
            headers.put("X-Auth-Token", TestService.TOKEN);
            headers.put("X-Request-Id", "portal-413");
            headers.put("Content-Type", "application/json");
            RawHttp.Answer a = RawHttp.send(h.port(), "POST", "/v1/spot/main/instances".getBytes(StandardCharsets.US_ASCII),
                    headers, body, 10_000);
            assertThat(a.status()).as("%s", a).isEqualTo(413);
            assertThat(a.header("X-Request-Id")).as("the caller's sane request id").isEqualTo("portal-413");
            Thread.sleep(500);
            assertThat(accessLinesNaming(logs, "portal-413")).as("access line of the 413").isNotEmpty();
        }
        assertThat(h.metric("spotapi_http_server_requests_seconds_count", "status", "413") - before)
                .as("the 413 counted").isGreaterThanOrEqualTo(1);
    }

    /**
     * A token-less request with a second {@code Host} header of ~7 KiB: Jetty logs a WARN line
     * ("Encountered multiple `Host` headers ... new `Host` header has appeared as `<value>`") carrying the whole
     * value, a log byte per byte sent, at WARN level, with text of the caller's choosing (the access line was bounded
     * to 512 characters of path for this reason in round 14; this line has no bound). Expected: no log line of one
     * request longer than about 1 KiB, and nothing the caller wrote at WARN.
     */
    @Test
    void anUnauthenticatedCallerCannotWriteItsHeaderIntoAWarnLineByteForByte() throws Exception {
        String forged = "Z".repeat(7_000) + " ERROR dev.spotapi.audit audit operation=\"delete instance\" outcome=success";
        try (LogCapture logs = LogCapture.start()) {
            RawHttp.Answer a = RawHttp.send(h.port(), "GET", "/v1/spot/ping".getBytes(StandardCharsets.US_ASCII),
                    Map.of("Host", forged), null, 5_000);
            assertThat(a.status()).as("%s", a).isEqualTo(400);
            Thread.sleep(500);
            List<ILoggingEvent> carrying = logs.events().stream()
                    .filter(e -> e.getFormattedMessage().contains("ZZZZZZZZZZZZZZZZZZZZ")).toList();
            assertThat(carrying.stream().mapToInt(e -> e.getFormattedMessage().length()).max().orElse(0))
                    .as("longest log line carrying the caller's Host value: %s",
                            carrying.stream().map(e -> e.getLevel() + " " + e.getLoggerName()).toList())
                    .isLessThan(1_100);
            assertThat(carrying.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)))
                    .as("WARN lines with the caller's text").isEmpty();
        }
    }

    /**
     * {@code HEAD /ping} (and HEAD of any route): the access line says {@code GET} and the request timer counts it
     * under {@code method="GET"}, although {@link dev.spotapi.metrics.MetricLimits} keeps HEAD as a known method and
     * RequestObserver's contract is "the method as sent on the request line". An operator looking for the HEAD
     * requests a monitor sends (or a GET storm) is told the wrong method. Expected: HEAD on the line and in the label.
     */
    @Test
    void aHeadIsLoggedAndCountedAsAHeadNotAGet() throws Exception {
        double before = h.metric("spotapi_http_server_requests_seconds_count", "method", "HEAD");
        try (LogCapture logs = LogCapture.start()) {
            RawHttp.Answer a = RawHttp.send(h.port(), "HEAD", "/v1/spot/ping".getBytes(StandardCharsets.US_ASCII),
                    Map.of("X-Request-Id", "head-probe-19"), null, 5_000);
            assertThat(a.status()).as("%s", a).isEqualTo(200);
            Thread.sleep(300);
            List<ILoggingEvent> lines = accessLinesNaming(logs, "head-probe-19");
            assertThat(lines).isNotEmpty();
            assertThat(lines.get(0).getFormattedMessage()).startsWith("HEAD ");
        }
        assertThat(h.metric("spotapi_http_server_requests_seconds_count", "method", "HEAD") - before)
                .as("HEAD counted under method=HEAD").isGreaterThanOrEqualTo(1);
    }
    /**
     * A browser's CORS preflight of a real route ({@code OPTIONS /main/instances}, answered 200) is timed under
     * {@code route="UNMATCHED"}, the label operations.md reserves for "no route": preflights of the portal's own
     * routes look like a scanner probing unknown paths. Expected: the route's template (or a label of its own).
     */
    @Test
    void aPreflightOfARealRouteIsNotCountedAsUnmatched() {
        double before = h.metric("spotapi_http_server_requests_seconds_count", "method", "OPTIONS", "route", "UNMATCHED");
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Origin", "https://portal.example");
        headers.put("Access-Control-Request-Method", "POST");
        RawHttp.Answer a = RawHttp.send(h.port(), "OPTIONS", "/v1/spot/main/instances".getBytes(StandardCharsets.US_ASCII),
                headers, null, 5_000);
        assertThat(a.status()).as("%s", a).isEqualTo(200);
        assertThat(h.metric("spotapi_http_server_requests_seconds_count", "method", "OPTIONS", "route", "UNMATCHED")
                - before).as("a preflight of /{account}/instances counted as UNMATCHED").isZero();
    }
    /**
     * Round 18's kind (a logfmt field forged on a text line) on the audit line: the {@code account} of a request whose
     * account is not configured is the path segment, percent-decoded and written as is. A verified caller's
     * {@code DELETE /v1/spot/x%20outcome=success%20status=200%20resourceId=smi-victim/instances/smi-12345678} (404
     * "account not found") writes {@code audit operation="delete instance" account=x outcome=success status=200
     * resourceId=smi-victim resourceId=smi-12345678 outcome=failure status=404 ...}: a logfmt reader (first value
     * wins) sees a successful delete of smi-victim. Expected: the account quoted and escaped (or cleaned as
     * resourceId is), the line's own outcome and status the only ones.
     */
    @Test
    void anUnknownAccountInThePathCannotForgeFieldsOfTheAuditLine() throws Exception {
        try (LogCapture logs = LogCapture.start()) {
            var r = h.svc.call("DELETE", "/x%20outcome=success%20status=200%20resourceId=smi-victim/instances/smi-12345678",
                    null, Map.of("X-Auth-Token", TestService.TOKEN, "X-Request-Id", "audit-forge-19"));
            assertThat(r.status()).as(r.body()).isEqualTo(404);
            ILoggingEvent audit = logs.await(e -> "dev.spotapi.audit".equals(e.getLoggerName())
                    && e.getFormattedMessage().contains("audit-forge-19"), 3_000);
            assertThat(audit).as("the audit line of the refused delete").isNotNull();
            String line = audit.getFormattedMessage();
            assertThat(line).as(line).doesNotContain(" outcome=success", " status=200", "resourceId=smi-victim");
        }
    }
}
