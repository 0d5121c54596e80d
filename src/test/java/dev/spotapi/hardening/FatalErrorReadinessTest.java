package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, kind 1 (honest health): a replica that hit a fatal {@link Error} while serving (here an
 * {@link OutOfMemoryError}: a small heap, no {@code -XX:+ExitOnOutOfMemoryError}, and bodies whose JSON
 * trees do not fit) says so: {@code /ready} and {@code /ping} (the readiness and liveness probes of
 * deploy/k8s) answer 503 from then on, so the orchestrator stops routing to it and restarts it. Before, it
 * answered 500 to the request that hit the error and went on reporting itself ready and alive.
 */
class FatalErrorReadinessTest {
    @Test
    void anOutOfMemoryErrorOnARequestPathMakesTheReplicaNotReadyAndNotLive(@TempDir Path dir) throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, List.of("-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"))) {
            // {"a":[{},{},...]}: 1 MB of JSON, some 30 MB of tree
            StringBuilder json = new StringBuilder("{\"a\":[{}");
            while (json.length() < 990_000) {
                json.append(",{}");
            }
            byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
            List<CompletableFuture<RawHttp.Answer>> sent = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                sent.add(CompletableFuture.supplyAsync(() -> RawHttp.send(jvm.port, "POST",
                        "/v1/spot/main/instances".getBytes(StandardCharsets.UTF_8),
                        Map.of("X-Auth-Token", TestService.TOKEN, "Content-Type", "application/json"), body, 30_000)));
            }
            List<Integer> statuses = sent.stream().map(f -> f.join().status()).toList();
            assertThat(jvm.tailContaining("OutOfMemoryError")).as("the bodies caused an OutOfMemoryError (statuses %s)", statuses)
                    .contains("OutOfMemoryError");
            RawHttp.Answer ready = null;
            RawHttp.Answer ping = null;
            long until = System.nanoTime() + 15_000_000_000L;
            while (System.nanoTime() < until) {
                ready = jvm.get("/v1/spot/ready", null, 5_000);
                ping = jvm.get("/v1/spot/ping", null, 5_000);
                if (ready.status() == 503 && ping.status() == 503) {
                    break;
                }
                Thread.sleep(200);
            }
            assertThat(ready.status()).as("/ready after the error: %s", ready).isEqualTo(503);
            assertThat(ready.body()).contains("OutOfMemoryError");
            assertThat(ping.status()).as("/ping (liveness) after the error: %s", ping).isEqualTo(503);
        }
    }
}
