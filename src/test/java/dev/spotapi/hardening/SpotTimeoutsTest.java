package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.SpotApi;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
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
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, "Timeouts: connect and per-attempt timeouts and an overall deadline per client request, all
 * configurable, with sane defaults" and "deadline exceeded → 504". Slowness is a {@code delay} fault.
 */
@org.junit.jupiter.api.parallel.Execution(org.junit.jupiter.api.parallel.ExecutionMode.CONCURRENT) // each test waits on its own service
@Order(7) // long: started first
class SpotTimeoutsTest {

    @Test
    void deadlineExceededIs504BeforeSpotAnswers() {
        // attempts of 10 s, but the whole call may take 1.5 s; Spot takes 6 s
        try (Harness h = Harness.start(new SpotClientSettings(1_000, 10_000, 1_500, 3, 20, 100, 0, 100))) {
            String id = h.createGroup();
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":6000}");

            long start = System.nanoTime();
            Reply r = h.get("/main/elastigroups/" + id);
            long millis = Harness.millisSince(start);

            String message = assertJsonError(r, 504);
            assertThat(message).startsWith("failed to get elastigroup").contains("no answer from Spot");
            assertThat(millis).as("answered at the deadline, not when Spot would have").isBetween(1_400L, 5_000L);
        }
    }

    @Test
    void attemptTimeoutsUseUpTheDeadlineThen504() {
        // attempts of 600 ms retried until the 2.5 s deadline
        try (Harness h = Harness.start(new SpotClientSettings(1_000, 600, 2_500, 10, 20, 100, 0, 100))) {
            String id = h.createGroup();
            h.clearRequestLog();
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":5000}");

            long start = System.nanoTime();
            Reply r = h.get("/main/elastigroups/" + id);
            long millis = Harness.millisSince(start);

            assertJsonError(r, 504);
            assertThat(millis).isLessThan(5_000);
            assertThat(h.countSpotRequests("GET", GROUPS + "/" + id)).as("timed-out attempts were retried")
                    .isBetween(2, 10);
        }
    }

    @Test
    void aTimedOutGetAttemptIsRetried() {
        try (Harness h = Harness.start(new SpotClientSettings(1_000, 800, 10_000, 3, 20, 100, 0, 100))) {
            String id = h.createGroup();
            h.clearRequestLog();
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":2500,\"count\":1}");

            Reply r = h.get("/main/elastigroups/" + id);

            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(h.countSpotRequests("GET", GROUPS + "/" + id)).isEqualTo(2);
        }
    }

    @Test
    void aTimedOutPostIsNotRetriedAnd504() throws InterruptedException {
        try (Harness h = Harness.start(new SpotClientSettings(1_000, 800, 10_000, 3, 20, 100, 0, 100))) {
            String name = Harness.uniqueName("slowpost");
            h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"delay\",\"delayMs\":2000}");

            Reply r = h.call("POST", "/main/instances", Harness.instanceBody(name));

            assertJsonError(r, 504);
            assertThat(h.countSpotRequests("POST", INSTANCES)).as("never retried after a timeout").isEqualTo(1);
            // Spot finishes the slow create after we gave up: exactly one exists, no duplicate
            h.clearFaults();
            List<JsonNode> named = List.of();
            for (int i = 0; i < 50 && named.isEmpty(); i++) {
                Thread.sleep(100);
                named = h.storedAll(INSTANCES).stream().filter(it -> name.equals(Harness.nameOf(it))).toList();
            }
            h.awaitSimulatorIdle(); // nothing still on its way to Spot could add a second one
            named = h.storedAll(INSTANCES).stream().filter(it -> name.equals(Harness.nameOf(it))).toList();
            assertThat(named).as("one instance for one timed-out create").hasSize(1);
            assertThat(h.countSpotRequests("POST", INSTANCES)).isEqualTo(1);
        }
    }

    @Test
    void connectTimeoutIsConfigurableAndShorterThanTheAttemptTimeout() throws IOException {
        // A listener whose accept queue is full: Linux drops further SYNs, so connecting hangs.
        try (ServerSocket full = new ServerSocket()) {
            full.bind(new InetSocketAddress("127.0.0.1", 0), 1);
            List<Socket> fillers = new ArrayList<>();
            boolean hangs = false;
            try {
                for (int i = 0; i < 16 && !hangs; i++) {
                    Socket s = new Socket();
                    fillers.add(s);
                    try {
                        s.connect(new InetSocketAddress("127.0.0.1", full.getLocalPort()), 300);
                    } catch (IOException timedOut) {
                        hangs = true;
                    }
                }
                Assumptions.assumeTrue(hangs, "this kernel does not leave connects to a full backlog hanging");

                // connect timeout 400 ms, attempt 20 s, deadline 25 s, one attempt
                SpotClientSettings settings = new SpotClientSettings(400, 20_000, 25_000, 1, 20, 100, 0, 100);
                try (SpotApi api = SpotApi.start(TestService.config("http://127.0.0.1:" + full.getLocalPort(), settings))) {
                    long start = System.nanoTime();
                    HttpResponse<String> r = send(api.port(), "/main/instances");
                    long millis = Harness.millisSince(start);

                    assertThat(millis).as("the connect timeout, not the 20 s attempt timeout, ends the call")
                            .isLessThan(8_000);
                    Reply reply = new Reply(r.statusCode(), r.body(), r.headers().map());
                    assertThat(reply.status()).as(reply.body()).isIn(502, 504);
                    assertJsonError(reply, reply.status());
                }
            } finally {
                for (Socket s : fillers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void defaultsAreSane() {
        SpotClientSettings d = SpotClientSettings.DEFAULTS;

        assertThat(d.connectTimeoutMs()).isEqualTo(5_000);
        assertThat(d.attemptTimeoutMs()).isEqualTo(30_000);
        assertThat(d.deadlineMs()).isEqualTo(60_000);
        assertThat(d.maxAttempts()).isEqualTo(4);
        assertThat(d.initialBackoffMs()).isEqualTo(200);
        assertThat(d.maxBackoffMs()).isEqualTo(5_000);
        assertThat(d.rateBudgetPerMinute()).as("rate budget off by default").isZero();
        assertThat(d.rateBudgeted()).isFalse();
        assertThat(d.rateWindowMs()).as("Spot's window").isEqualTo(60_000);
        assertThat(d.orphanSearchMs()).as("one attempt timeout, at most 10 s").isEqualTo(10_000);
        assertThat(new SpotClientSettings(0, 4_000, 0, 0, 0, 0, 0).orphanSearchMs()).isEqualTo(4_000);
        assertThat(d.connectTimeoutMs()).isLessThan(d.attemptTimeoutMs());
        assertThat(d.attemptTimeoutMs()).isLessThan(d.deadlineMs());
        assertThat(d.initialBackoffMs()).isLessThan(d.maxBackoffMs());
    }

    @Test
    void everySpotSettingIsReadFromTheConfigFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, """
                {"listenAddress": "127.0.0.1:0", "token": "a-key-long-enough-42", "org": "o", "maxBodyBytes": 4096,
                 "accounts": {"a": {"id": "act-12345678", "token": "t", "endpoint": "http://127.0.0.1:1"}},
                 "spot": {"connectTimeoutMs": 111, "attemptTimeoutMs": 222, "deadlineMs": 3333, "maxAttempts": 7,
                          "initialBackoffMs": 44, "maxBackoffMs": 555, "rateBudgetPerMinute": 6,
                          "rateWindowMs": 30000, "orphanSearchMs": 77}}""");

        ServiceConfig config = new ConfigLoader(Map.of()).load(file);

        assertThat(config.spot()).isEqualTo(new SpotClientSettings(111, 222, 3_333, 7, 44, 555, 6, 30_000, 77));
    }

    @Test
    void theOldServicesConfigFileGetsTheDefaults(@TempDir Path dir) throws IOException {
        // exactly the Go service's file format: no "spot" section, no "maxBodyBytes"
        Path file = dir.resolve("config.json");
        Files.writeString(file, """
                {"listenAddress": ":8080",
                 "accounts": {"someaccount": {"region": "us-east-1", "id": "act-12345678", "token": "spot_api_token",
                                              "defaultVPC": "vpc-1234567890", "endpoint": ""}},
                 "token": "the-pre-shared-key", "logLevel": "info", "org": "localdev"}""");

        ServiceConfig config = new ConfigLoader(Map.of()).load(file);

        assertThat(config.spot()).isEqualTo(SpotClientSettings.DEFAULTS);
    }

    @Test
    void aPartialSpotSectionKeepsTheOtherDefaults(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, """
                {"listenAddress": "127.0.0.1:0", "token": "a-key-long-enough-42", "org": "o", "maxBodyBytes": 4096,
                 "accounts": {"a": {"id": "act-12345678", "token": "t", "endpoint": "http://127.0.0.1:1"}},
                 "spot": {"deadlineMs": 9000}}""");

        ServiceConfig config = new ConfigLoader(Map.of()).load(file);

        assertThat(config.spot()).isEqualTo(new SpotClientSettings(0, 0, 9_000, 0, 0, 0, 0));
        assertThat(config.spot().attemptTimeoutMs()).isEqualTo(30_000);
    }

    private static HttpResponse<String> send(int port, String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/v1/spot" + path))
                    .timeout(Duration.ofSeconds(40)).header("X-Auth-Token", TestService.TOKEN).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
