package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.spotapi.SpotApi;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10 item 9, "bound what one object may cost": a group with capacity.target 300000 or a 900 KB field
 * is refused (by the simulator as Spot, passed on as 400/413), and a reply from Spot of any size cannot make
 * spot-api hold more than {@code BoundedBody.MAX_REPLY_BYTES} of it: it is abandoned and answered 502.
 */
class ObjectCostLimitsTest extends HarnessPerClass {
    @Test
    void aGroupWithAHugeCapacityIsRefusedAndNothingIsCreated() {
        ObjectNode body = Harness.groupBody(Harness.uniqueName("huge"));
        ((ObjectNode) body.get("capacity")).put("minimum", 300_000).put("target", 300_000).put("maximum", 300_000);

        Reply r = h.call("POST", "/main/elastigroups", body);

        assertThat(assertJsonError(r, 400)).contains("maximum");
        assertThat(h.storedAll(Harness.GROUPS)).isEmpty();
        assertThat(h.get("/ping").status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "a {0}-byte field is refused")
    @ValueSource(ints = {40_000, 300_000, 900_000})
    void aHugeFieldIsRefusedAndNothingIsCreated(int size) {
        ObjectNode body = Harness.instanceBody(Harness.uniqueName("fat"));
        body.put("description", "d".repeat(size));

        Reply r = h.call("POST", "/main/instances", body);

        assertThat(r.status()).as(r.body().length() > 300 ? r.body().substring(0, 300) : r.body()).isIn(400, 413);
        assertJsonError(r, r.status());
        assertThat(h.storedAll(Harness.INSTANCES)).isEmpty();
        assertThat(h.get("/ping").status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "a {0} reply of 200 MiB from Spot is 502 and not read")
    @ValueSource(strings = {"chunked", "declared"})
    void aHugeReplyFromSpotIsAbandonedAnd502(String how) throws Exception {
        AtomicLong written = new AtomicLong();
        HttpServer spot = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        long total = 200L * 1024 * 1024;
        spot.createContext("/", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, "chunked".equals(how) ? 0 : total);
            byte[] chunk = ("{\"request\":{},\"response\":{\"status\":{\"code\":200},\"items\":[\"" + "p".repeat(65_000))
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            try (OutputStream out = exchange.getResponseBody()) {
                while (written.get() < total) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (IOException clientWentAway) {
                // spot-api dropped the connection: what we want
            }
        });
        spot.start();
        SpotApi api = SpotApi.start(TestService.config("http://127.0.0.1:" + spot.getAddress().getPort(),
                Harness.quick()));
        try {
            HttpClient client = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + api.port() + "/v1/spot";
            long start = System.nanoTime();

            HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + "/main/instances"))
                    .header("X-Auth-Token", TestService.TOKEN).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(r.statusCode()).as(r.body()).isEqualTo(502);
            assertThat(r.body()).contains("larger than");
            assertThat(Harness.millisSince(start)).isLessThan(15_000);
            assertThat(written.get()).as("Spot was not read to the end").isLessThan(total);
            assertThat(client.send(HttpRequest.newBuilder(URI.create(base + "/ping")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        } finally {
            api.close();
            spot.stop(0);
        }
    }
}
