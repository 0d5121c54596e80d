package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A stop waits for what is in flight, not for what is idle: the service closes idle keep-alive connections
 * at once (as Go's {@code Server.Shutdown} does; Jetty's default gave each one 1 s), and the simulator ends
 * a {@code delay} fault it still holds (Jetty waited half its 5 s stop timeout for it). Every test service
 * and simulator is stopped this way, so the whole suite depends on it.
 */
class PromptStopTest {

    @Test
    void aStopDoesNotWaitASecondForAnIdleKeepAliveConnection() throws Exception {
        try (SpotSimulator sim = TestService.simulator()) {
            TestService svc = TestService.replica(sim, TestService.fastSettings(), c -> c);
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", svc.api.port()), 5_000);
                s.setSoTimeout(10_000);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                out.write("GET /v1/spot/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                assertThat(readUntil(in, "pong")).as("answered; the connection stays open").startsWith("HTTP/1.1 200");

                long start = System.nanoTime();
                svc.close();
                long millis = (System.nanoTime() - start) / 1_000_000;

                assertThat(millis).as("stop with one idle keep-alive connection open (Jetty's default: >= 1000 ms)")
                        .isLessThan(900);
                assertThat(in.read()).as("the server closed the idle connection").isEqualTo(-1);
            } finally {
                svc.close();
            }
        }
    }

    @Test
    void aSimulatorStopEndsADelayItStillHolds() throws Exception {
        SpotSimulator sim = TestService.simulator();
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            admin(client, sim, "POST", "/_sim/faults",
                    "{\"method\":\"GET\",\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":60000}");
            CompletableFuture<HttpResponse<String>> held = client.sendAsync(HttpRequest.newBuilder(
                            URI.create(sim.baseUrl() + "/aws/ec2/group?accountId=" + TestService.MAIN_ID))
                    .header("Authorization", "Bearer main-spot-token").timeout(Duration.ofSeconds(90)).build(),
                    HttpResponse.BodyHandlers.ofString());
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (TestService.JSON.readTree(admin(client, sim, "GET", "/_sim/requests?limit=1", null))
                    .path("inProgress").asInt() < 1) {
                assertThat(System.nanoTime()).as("the delayed request reached the simulator").isLessThan(until);
                Thread.sleep(20);
            }

            long start = System.nanoTime();
            sim.close();
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(millis).as("stop while a 60 s delay is held (Jetty alone: >= 2500 ms)").isLessThan(2_000);
            held.cancel(true);
        } finally {
            sim.close();
        }
    }

    private static String admin(HttpClient client, SpotSimulator sim, String method, String path, String body)
            throws Exception {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .header("Authorization", "Bearer main-spot-token").timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
        return r.body();
    }

    private static String readUntil(InputStream in, String end) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (sb.indexOf(end) < 0) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }
}
