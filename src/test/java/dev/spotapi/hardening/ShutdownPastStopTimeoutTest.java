package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.AuthSettings;
import dev.spotapi.config.HttpSettings;
import dev.spotapi.support.TestService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, kind 7: when a stop runs out of time (stop timeout 1.5 s here) while Spot calls are still
 * running (Spot delayed 8 s), every in-flight request is answered with a JSON 503 carrying its request id,
 * every answer is access-logged, and the stop itself does not throw.
 */
class ShutdownPastStopTimeoutTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void requestsStillRunningAtTheStopTimeoutGetA503WithTheirRequestIdAndAreLogged() throws Exception {
        try (Harness h = Harness.start(new dev.spotapi.config.SpotClientSettings(2_000, 20_000, 30_000, 1, 20, 200, 0),
                c -> c.withLimits(AuthSettings.DEFAULTS, new HttpSettings(0, 0, 0, 0, 1_500)));
                LogCapture logs = LogCapture.start()) {
            String group = h.createGroup();
            h.fault("{\"path\":\"/aws/ec2/**\",\"action\":\"delay\",\"delayMs\":8000}");
            h.clearRequestLog();
            String base = "http://127.0.0.1:" + h.port() + "/v1/spot";
            List<String> ids = new ArrayList<>();
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                String requestId = "stop-" + i + "-" + System.nanoTime();
                ids.add(requestId);
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(i == 2 ? base + "/main/instances"
                                : base + "/main/elastigroups/" + group))
                        .timeout(Duration.ofSeconds(30))
                        .header("X-Auth-Token", TestService.TOKEN).header("X-Request-Id", requestId);
                b = i == 2 ? b.POST(HttpRequest.BodyPublishers.ofString(Harness.instanceBody("stop").toString()))
                        : i == 1 ? b.PUT(HttpRequest.BodyPublishers.ofString("{\"capacity\":{\"target\":1}}")) : b.GET();
                inFlight.add(HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString()));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            // the GET and the PUT's org check read the same group: the Spot client shares that one call
            while (h.spotRequests().size() < 2 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(h.spotRequests()).as("the three calls are waiting on Spot (two Spot requests)").hasSize(2);

            long start = System.nanoTime();
            assertThatCode(h.svc.api::close).as("stopping never throws").doesNotThrowAnyException();
            long stopMillis = Harness.millisSince(start);

            for (int i = 0; i < 3; i++) {
                HttpResponse<String> r = inFlight.get(i).get(10, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as("request %d: %s", i, r.body()).isEqualTo(503);
                assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
                JsonNode body = TestService.JSON.readTree(r.body());
                assertThat(body.path("requestId").asText()).isEqualTo(ids.get(i));
                assertThat(r.headers().firstValue("X-Request-Id")).contains(ids.get(i));
                assertThat(body.path("message").asText()).contains("shutting down").contains("may or may not");
                String id = ids.get(i);
                assertThat(logs.await(e -> "dev.spotapi.access".equals(e.getLoggerName())
                        && e.getFormattedMessage().contains("requestId=" + id)
                        && e.getFormattedMessage().contains(" 503 "), 5_000))
                        .as("access-log line of the 503 to %s", id).isNotNull();
            }
            assertThat(stopMillis).as("the stop ends at its timeout, not when Spot answers").isLessThan(6_000);
            assertThat(logs.events()).as("no stack trace or EofException logged by the stop")
                    .noneMatch(e -> e.getFormattedMessage().contains("EofException") || e.getThrowableProxy() != null
                            && e.getThrowableProxy().getClassName().contains("EofException"));
        }
    }
}
