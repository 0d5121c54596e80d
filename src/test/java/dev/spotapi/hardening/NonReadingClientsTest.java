package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, kind 1 (threads): answers are never written by a worker thread blocked on a client that does
 * not read. Before: 80 clients pipelining {@code GET /v1/spot/openapi.json} (or a docs asset) and reading
 * nothing held every worker in a blocking write, and {@code /ping} timed out. The large public answers
 * (those two and the metrics scrape) are now written asynchronously (a pending write holds no thread),
 * and a connection's next pipelined request is not read until its previous answer is written.
 */
class NonReadingClientsTest {
    @Test
    void clientsThatPipelineDocsAndNeverReadHoldNoWorker() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            assertThat(RawHttp.send(h.port(), "GET", "/v1/spot/openapi.json", java.util.Map.of(), null).status())
                    .isEqualTo(200);
            try (HostileClients docs = HostileClients.nonReading(h.port(), "/v1/spot/openapi.json", 100).start(40, "openapi");
                    HostileClients assets = HostileClients.nonReading(h.port(),
                            "/v1/spot/docs/assets/swagger-ui-bundle.js", 20).start(40, "assets");
                    HostileClients metrics = HostileClients.nonReading(h.port(), "/v1/spot/metrics", 300)
                            .start(20, "metrics")) {
                long until = System.nanoTime() + 15_000_000_000L;
                while (docs.open.get() + assets.open.get() + metrics.open.get() < 100 && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                Thread.sleep(1_000); // their answers fill the socket buffers: a blocking writer would now be stuck
                List<Long> pings = new ArrayList<>();
                for (int i = 0; i < 30; i++) {
                    RawHttp.Answer ping = StarvationLatencyTest.timedGet(h.port(), "/v1/spot/ping", null);
                    assertThat(ping.status()).as("/ping #%d while 100 clients do not read: %s", i, ping).isEqualTo(200);
                    pings.add(ping.millis());
                    RawHttp.Answer read = StarvationLatencyTest.timedGet(h.port(),
                            "/v1/spot/main/instances/not-an-instance-id", TestService.TOKEN);
                    assertThat(read.status()).as("verified read #%d: %s", i, read).isEqualTo(404);
                }
                assertThat(docs.open.get() + assets.open.get() + metrics.open.get()).as("the non-reading clients are still connected")
                        .isGreaterThanOrEqualTo(90);
                assertThat(pings).allSatisfy(ms -> assertThat(ms).as("a /ping in ms").isLessThan(2_000));
            }
            // and the docs are served in full to a client that reads
            RawHttp.Answer bundle = RawHttp.send(h.port(), "GET", "/v1/spot/docs/assets/swagger-ui-bundle.js",
                    java.util.Map.of(), null);
            assertThat(bundle.status()).isEqualTo(200);
            assertThat(bundle.body().length()).isGreaterThan(1_000_000);
            assertThat(bundle.header("Content-Length")).isEqualTo(Integer.toString(bundle.body().getBytes(
                    java.nio.charset.StandardCharsets.UTF_8).length));
        }
    }
}
