package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 4, "SIGTERM during in-flight requests: they complete, new ones are refused cleanly, exit is prompt."
 * spot-api runs as its own JVM ({@code dev.spotapi.cli.Main -config FILE}) against a simulator in this JVM
 * that makes creates slow; {@link Process#destroy()} sends SIGTERM on Linux.
 */
@Order(13) // long: started first
class GracefulShutdownTest {
    /** Figures for the reader, in the test JVM's log (target/surefire-reports/test-jvm.log). */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(GracefulShutdownTest.class);
    private static final long SLOW_MS = 4_000;
    private static final int IN_FLIGHT = 3;
    private static SpotSimulator sim;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    static Path dir;

    @BeforeAll
    static void startSimulator() {
        sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start();
    }

    @AfterAll
    static void stopSimulator() {
        if (sim != null) {
            sim.close();
        }
    }

    /** What a new connection got once SIGTERM was sent. */
    enum Probe { SERVED, REFUSED, UNAVAILABLE_503, HUNG, OTHER }

    @Test
    void sigtermLetsInFlightRequestsFinishRefusesNewOnesAndExitsPromptly() throws Exception {
        int port = freePort();
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"listenAddress": "127.0.0.1:%d", "token": "%s", "logLevel": "info", "org": "testorg",
                 "maxBodyBytes": 1048576, "shutdownDelayMs": 0,
                 "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token",
                                       "defaultVPC": "vpc-default0001", "endpoint": "%s"}},
                 "spot": {"connectTimeoutMs": 2000, "attemptTimeoutMs": 15000, "deadlineMs": 20000, "maxAttempts": 2,
                          "initialBackoffMs": 50, "maxBackoffMs": 500, "rateBudgetPerMinute": 0}}"""
                .formatted(port, TestService.KEY, TestService.MAIN_ID, sim.baseUrl()));
        Path output = dir.resolve("spot-api.log");
        List<String> command = new java.util.ArrayList<>(dev.spotapi.support.ChildJvm.command("256m"));
        command.addAll(List.of("dev.spotapi.cli.Main", "-config", config.toString()));
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true).redirectOutput(output.toFile()).start();
        try {
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            awaitUp(process, base, output);
            admin("POST", "/_sim/reset", null);
            admin("POST", "/_sim/faults", "{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"delay\","
                    + "\"delayMs\":" + SLOW_MS + "}");

            List<String> names = new ArrayList<>();
            List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
            for (int i = 0; i < IN_FLIGHT; i++) {
                String name = Harness.uniqueName("sigterm");
                names.add(name);
                inFlight.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create(base + "/main/instances"))
                        .timeout(Duration.ofSeconds(60)).header("X-Auth-Token", TestService.TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofByteArray(
                                TestService.JSON.writeValueAsBytes(Harness.instanceBody(name)))).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            awaitPostsInSpot(IN_FLIGHT);

            long sigterm = System.nanoTime();
            process.destroy(); // SIGTERM

            Probe refusalWhileInFlight = null;
            List<String> probes = new ArrayList<>();
            while (process.isAlive() && Harness.millisSince(sigterm) < 20_000) {
                boolean pending = inFlight.stream().anyMatch(f -> !f.isDone());
                Probe p = probe(port);
                probes.add(p + "@" + Harness.millisSince(sigterm) + "ms" + (pending ? "" : "(after in-flight)"));
                if (pending && refusalWhileInFlight == null && (p == Probe.REFUSED || p == Probe.UNAVAILABLE_503)) {
                    refusalWhileInFlight = p;
                }
                Thread.sleep(100);
            }
            boolean exited = process.waitFor(Math.max(1, 20_000 - Harness.millisSince(sigterm)), TimeUnit.MILLISECONDS);
            long exitMillis = Harness.millisSince(sigterm);
            LOG.info("after SIGTERM: probes " + probes + ", exited=" + exited + " after " + exitMillis + " ms");

            for (int i = 0; i < IN_FLIGHT; i++) {
                HttpResponse<String> r = inFlight.get(i).get(30, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as("in-flight create %d after SIGTERM: %s", i, r.body()).isEqualTo(200);
                assertThat(TestService.JSON.readTree(r.body()).asText()).matches("smi-[0-9a-f]{8}");
            }
            assertThat(refusalWhileInFlight).as("a new request was refused while the in-flight ones finished; probes %s",
                    probes).isNotNull();
            assertThat(probes).as("no new connection hung or got a broken answer")
                    .noneMatch(p -> p.startsWith("HUNG") || p.startsWith("OTHER"));
            assertThat(exited).as("the process exited after SIGTERM; output:%n%s", tail(output)).isTrue();
            assertThat(exitMillis).as("exit is prompt").isLessThan(15_000);
            List<String> stored = new ArrayList<>();
            JsonNode items = TestService.JSON.readTree(spot("/aws/ec2/managedInstance?accountId=" + TestService.MAIN_ID))
                    .path("response").path("items");
            items.forEach(i -> stored.add(Harness.nameOf(i)));
            assertThat(stored).as("the in-flight creates exist in Spot").containsAll(names);
        } finally {
            if (process.isAlive()) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A fresh connection asking for /v1/spot/ping, bounded at 2 s. */
    private static Probe probe(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            s.setSoTimeout(2_000);
            OutputStream out = s.getOutputStream();
            out.write("GET /v1/spot/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] head = in.readNBytes(12);
            if (head.length == 0) {
                return Probe.REFUSED; // accepted by the kernel, closed by the stopping server without a reply
            }
            String status = new String(head, StandardCharsets.ISO_8859_1);
            if (status.startsWith("HTTP/1.1 200")) {
                return Probe.SERVED;
            }
            return status.startsWith("HTTP/1.1 503") ? Probe.UNAVAILABLE_503 : Probe.OTHER;
        } catch (ConnectException refused) {
            return Probe.REFUSED;
        } catch (SocketTimeoutException hung) {
            return Probe.HUNG;
        } catch (IOException reset) {
            return Probe.REFUSED; // reset by the closing listener: refused, not hung
        }
    }

    private static void awaitUp(Process process, String base, Path output) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("spot-api exited with " + process.exitValue() + ":\n" + tail(output));
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/ping"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(200);
        }
        throw new AssertionError("spot-api did not start within 60 s:\n" + tail(output));
    }

    private static void awaitPostsInSpot(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            JsonNode log = TestService.JSON.readTree(admin("GET", "/_sim/requests", null)).path("requests");
            int posts = 0;
            for (JsonNode e : log) {
                if ("POST".equals(e.path("method").asText())) {
                    posts++;
                }
            }
            if (posts >= n) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the creates did not reach Spot within 20 s");
    }

    private static String admin(String method, String path, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
        return r.body();
    }

    private static String spot(String pathAndQuery) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + pathAndQuery))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer main-spot-token").build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String tail(Path output) {
        try {
            List<String> lines = Files.readAllLines(output);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }
}
