package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (round after issue 27): without Redis (the default single replica, and the sandbox) the
 * {@code Idempotency-Key} records live only in the process. Creates survive a restart (the retry looks for
 * the correlation tag in Spot), but actions do not: a keyed scale answered 200, then a graceful restart of
 * spot-api (a deploy), then the client's retry with the same key and body scales the group a second time,
 * where docs/api.md promises "the action never runs twice". (Two services in one JVM share the embedded
 * state, so this needs a real second process.)
 *
 * <p>Expected: the retry after the restart is the replay (or at least does not act again); the group is
 * scaled once. Fix: {@code idempotency.stateFile} (the sandbox sets {@code .sandbox/idempotency.jsonl}) keeps
 * the records in a file, each change flushed to the disk before the answer leaves: after a graceful stop and
 * after a SIGKILL right after the 200, the retry is the replay ({@code Idempotency-Replayed: true}).
 */
class IdempotencyRestartAttackTest {
    @TempDir
    Path dir;

    @Test
    void aKeyedScaleRetriedAfterARestartRunsOnce() throws Exception {
        retriedAfterARestartRunsOnce(false);
    }

    @Test
    void aKeyedScaleRetriedAfterAKillRightAfterTheAnswerRunsOnce() throws Exception {
        retriedAfterARestartRunsOnce(true);
    }

    private void retriedAfterARestartRunsOnce(boolean kill) throws Exception {
        try (SpotSimulator sim = TestService.simulator()) {
            int port = ServiceProcess.freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, ServiceProcess.config(port, sim.baseUrl(),
                    "\"idempotency\": {\"stateFile\": \"" + dir.resolve("state").resolve("idempotency.jsonl") + "\"}"));
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            String key = UUID.randomUUID().toString();
            String scale = "{\"direction\": \"up\", \"adjustment\": 1}";
            String group;
            HttpResponse<String> once;
            Process first = ServiceProcess.start(config, dir.resolve("first.log"));
            try {
                ServiceProcess.awaitUp(first, base, dir.resolve("first.log"));
                HttpResponse<String> created = ServiceProcess.send("POST", base + "/main/elastigroups",
                        groupOfTargetTwoUpToFive(), Map.of());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
                group = TestService.JSON.readTree(created.body()).path("id").asText();
                once = ServiceProcess.send("PUT", base + "/main/elastigroups/" + group
                        + "/scale", scale, Map.of("Idempotency-Key", key));
                assertThat(once.statusCode()).as(once.body()).isEqualTo(200);
                if (kill) {
                    first.destroyForcibly(); // SIGKILL right after the caller got its answer
                } else {
                    first.destroy(); // SIGTERM: a graceful stop, as a deploy does
                }
                assertThat(first.waitFor(20, TimeUnit.SECONDS)).isTrue();
            } finally {
                first.destroyForcibly();
            }
            Process second = ServiceProcess.start(config, dir.resolve("second.log"));
            try {
                ServiceProcess.awaitUp(second, base, dir.resolve("second.log"));
                HttpResponse<String> retry = ServiceProcess.send("PUT", base + "/main/elastigroups/" + group
                        + "/scale", scale, Map.of("Idempotency-Key", key));
                assertThat(retry.statusCode()).as("the retry after the restart: %s", retry.body()).isEqualTo(200);
                assertThat(retry.headers().firstValue("Idempotency-Replayed")).as("the retry is the replay")
                        .hasValue("true");
                assertThat(retry.body()).as("the replayed answer").isEqualTo(once.body());
                int target = TestService.JSON.readTree(ServiceProcess.send("GET", base + "/main/elastigroups/"
                        + group, null, Map.of()).body()).path("capacity").path("target").asInt();
                assertThat(target).as("target after one keyed scale up from 2 (the retry after the restart: %d %s)",
                        retry.statusCode(), retry.body()).isEqualTo(3);
            } finally {
                second.destroyForcibly();
                second.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** A group of target 2 whose bounds (0..5) leave room for a second scale up by 1. */
    private static String groupOfTargetTwoUpToFive() {
        var body = Harness.groupBody(Harness.uniqueName("restart"));
        body.with("capacity").put("minimum", 0).put("maximum", 5).put("target", 2);
        return body.toString();
    }
}
