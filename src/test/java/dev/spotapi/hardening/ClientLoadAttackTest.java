package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.SpotApi;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spot-api's HTTP client (spot.SpotHttp) with many slow Spot calls at once, and stopped while they are in
 * flight: a raw loopback Spot ({@link RawSpot}) that never answers.
 */
// alone: it counts the JVM's spot-http threads, which every service started by a class running beside it has too
@org.junit.jupiter.api.parallel.Isolated
class ClientLoadAttackTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static CompletableFuture<HttpResponse<String>> get(int port, String path) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/spot" + path))
                .timeout(Duration.ofSeconds(60)).header("X-Auth-Token", TestService.TOKEN).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static long threadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
    }

    @Test
    void manyMoreSlowCallsThanConnectionsAllEndAtTheirDeadlineWithBoundedThreadsAndNoConnectionLeft()
            throws Exception {
        // attempt 1.5 s, deadline 3 s, one attempt: every call is one Spot request that never gets an answer
        SpotClientSettings settings = new SpotClientSettings(2_000, 1_500, 3_000, 1, 20, 200, 0, 100, 300);
        try (RawSpot raw = new RawSpot((r, out, s) -> RawSpot.hold(s));
                SpotApi api = SpotApi.start(TestService.config(raw.endpoint(), settings))) {
            // the test token's verdict cached first (a burst of first-time verifications is refused 429 by design)
            assertThat(get(api.port(), "/main/elastigroups/not-an-id").join().statusCode()).isEqualTo(404);
            int calls = 300; // more than SpotHttp.MAX_CONNECTIONS (256): some wait in the queue
            long start = System.nanoTime();
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            List<Long> ended = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < calls; i++) {
                inFlight.add(get(api.port(), "/main/elastigroups/sig-" + String.format("%08d", i))
                        .whenComplete((r, e) -> ended.add(Harness.millisSince(start))));
            }
            long maxThreads = 0;
            while (!inFlight.stream().allMatch(CompletableFuture::isDone) && Harness.millisSince(start) < 30_000) {
                maxThreads = Math.max(maxThreads, threadsNamed("spot-http"));
                Thread.sleep(50);
            }
            // a connection opened for a request that timed out in the queue may stay in the pool, idle (closed
            // after SpotHttp.IDLE_CONNECTION_MS): a few such are fine, one per timed-out call is a leak
            long established = Sockets.establishedTo(raw.port());
            for (int i = 0; i < 40 && established > 4; i++) {
                Thread.sleep(100);
                established = Sockets.establishedTo(raw.port());
            }

            List<Integer> statuses = inFlight.stream().map(f -> f.join().statusCode()).toList();
            assertThat(statuses).as("every caller is answered 504").containsOnly(504);
            long slowest = ended.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertThat(slowest).as("the last answer comes near the 3 s deadline (loaded machine: +4 s)")
                    .isLessThan(settings.deadlineMs() + 4_000L);
            assertThat(raw.requests().size()).as("one request per call at most").isLessThanOrEqualTo(calls);
            assertThat(maxThreads).as("the client's threads stay bounded (32 + its timer)").isLessThanOrEqualTo(40);
            assertThat(established).as("no timed-out call's connection to Spot left open (%d made)",
                    raw.connections()).isLessThanOrEqualTo(4);
        }
    }

    @Test
    void sigtermWithSpotCallsInFlightThatSpotNeverAnswersEndsWithinTheStopTimeout(@TempDir Path dir) throws Exception {
        try (RawSpot raw = new RawSpot((r, out, s) -> {
            if (r.is("POST") && r.path().endsWith("/group")) {
                RawSpot.write(out, RawSpot.ok("{\"request\":{\"id\":\"r1\"},\"response\":{\"status\":{\"code\":200},"
                        + "\"kind\":\"spotinst:aws:ec2:group\",\"items\":[{\"id\":\"sig-0000aaaa\",\"name\":\"x\"}],\"count\":1}}"));
                return true;
            }
            return RawSpot.hold(s);
        })) {
            int port = ServiceProcess.freePort();
            Path output = dir.resolve("spot-api.log");
            Process process = ServiceProcess.startUp(dir, port, raw.endpoint(),
                    "\"shutdownDelayMs\": 0, \"http\": {\"stopTimeoutMs\": 2000},"
                            + " \"spot\": {\"connectTimeoutMs\": 2000, \"attemptTimeoutMs\": 30000, \"deadlineMs\": 40000,"
                            + " \"maxAttempts\": 1}", output);
            try {
                String base = "http://127.0.0.1:" + port + "/v1/spot";
                assertThat(get(port, "/main/elastigroups/not-an-id").join().statusCode()).isEqualTo(404);
                List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
                for (int i = 0; i < 12; i++) {
                    inFlight.add(get(port, "/main/elastigroups/sig-" + String.format("%08d", i)));
                }
                for (int i = 0; i < 3; i++) {
                    inFlight.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/main/elastigroups/sig-0000aaa" + i))
                            .timeout(Duration.ofSeconds(60)).header("X-Auth-Token", TestService.TOKEN)
                            .method("DELETE", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString()));
                }
                long wait = System.nanoTime();
                while (raw.requests().size() < 15 && Harness.millisSince(wait) < 10_000) {
                    Thread.sleep(20);
                }
                assertThat(raw.requests().size()).as("%s", raw.requests()).isGreaterThanOrEqualTo(12);

                long sigterm = System.nanoTime();
                process.destroy(); // SIGTERM
                boolean exited = process.waitFor(15, TimeUnit.SECONDS);
                long millis = Harness.millisSince(sigterm);

                assertThat(exited).as("exited after SIGTERM; output:%n%s", String.join("\n", Files.readAllLines(output)))
                        .isTrue();
                assertThat(millis).as("within the 2 s stop timeout (+ JVM exit, loaded machine)").isLessThan(8_000);
                for (CompletableFuture<HttpResponse<String>> f : inFlight) {
                    try {
                        int status = f.get(5, TimeUnit.SECONDS).statusCode();
                        assertThat(status).as("answered by the stop (or the service's own inbound limit)").isIn(503, 504, 502, 429);
                    } catch (java.util.concurrent.ExecutionException closed) {
                        // the connection closed with the process: allowed
                    }
                }
            } finally {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aReplyCutInItsHeadersEndsTheCallHonestlyInAJvmWithoutAssertions(@TempDir Path dir) throws Exception {
        // the test JVM runs with -ea, where Jetty's own assert fails on this reply: the service runs without
        String group = "{\"request\":{\"id\":\"r1\"},\"response\":{\"status\":{\"code\":200},"
                + "\"kind\":\"spotinst:aws:ec2:group\",\"items\":[{\"id\":\"sig-0000aaaa\",\"name\":\"x\",\"compute\":"
                + "{\"launchSpecification\":{\"tags\":[{\"tagKey\":\"spinup:org\",\"tagValue\":\"" + TestService.ORG
                + "\"}]}}}],\"count\":1}}";
        try (RawSpot raw = new RawSpot((r, out, s) -> {
            if (r.path().endsWith("/sig-0000aaaa") && r.is("GET") && r.headerLines().stream().noneMatch(h -> h.startsWith("X-Cut"))) {
                RawSpot.write(out, RawSpot.ok(group));
                return true;
            }
            RawSpot.write(out, "HTTP/1.1 200 OK\r\nContent-Ty");
            return false;
        })) {
            int port = ServiceProcess.freePort();
            Process process = ServiceProcess.startUp(dir, port, raw.endpoint(),
                    "\"spot\": {\"connectTimeoutMs\": 2000, \"attemptTimeoutMs\": 2000, \"deadlineMs\": 6000,"
                            + " \"maxAttempts\": 3, \"initialBackoffMs\": 20, \"maxBackoffMs\": 200}",
                    dir.resolve("spot-api.log"));
            try {
                String base = "http://127.0.0.1:" + port + "/v1/spot";

                long start = System.nanoTime();
                HttpResponse<String> read = ServiceProcess.send("GET", base + "/main/elastigroups/sig-0000bbbb", null, Map.of());
                long readMillis = Harness.millisSince(start);
                long reads = raw.count("GET");
                raw.clear();
                HttpResponse<String> write = ServiceProcess.send("DELETE", base + "/main/elastigroups/sig-0000aaaa", null, Map.of());

                assertThat(read.statusCode()).as(read.body()).isEqualTo(502);
                assertThat(readMillis).isLessThan(6_000);
                assertThat(reads).isBetween(1L, 3L);
                assertThat(write.statusCode()).as(write.body()).isEqualTo(502);
                assertThat(write.body()).contains("may have been applied in Spot");
                assertThat(raw.count("DELETE")).isEqualTo(1);
                assertThat(ServiceProcess.send("GET", base + "/ready", null, Map.of()).statusCode())
                        .isEqualTo(200);
            } finally {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }
}
