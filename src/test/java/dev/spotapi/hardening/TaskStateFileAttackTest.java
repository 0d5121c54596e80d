package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (round after issue 27): without Redis, a task answered 202 is durable only once the next periodic
 * save of {@code tasks.stateFile} has run (every second, {@code TaskStores}); the 202 goes out before it. A
 * process killed (SIGKILL, the OOM killer, a node loss) in that window loses the task for good: after the
 * restart {@code GET /flywheel?task=<id>} answers {@code {}} (unknown), although Spot acted on the request
 * (the sandbox, which sets {@code .sandbox/tasks.json}, does the same).
 *
 * <p>Expected, as the docs promise ("tasks saved to this JSON file and resumed after a restart"): a task
 * whose id was answered to the caller is found again after a restart and finishes.
 */
class TaskStateFileAttackTest {
    @TempDir
    Path dir;

    @Test
    void aTaskAnswered202SurvivesAKillRightAfterTheAnswer() throws Exception {
        try (SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start()) {
            int port = ServiceProcess.freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, ServiceProcess.config(port, sim.baseUrl(),
                    "\"tasks\": {\"pollMs\": 50, \"stateFile\": \"" + dir.resolve("tasks.json") + "\"}"));
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            Process first = ServiceProcess.start(config, dir.resolve("first.log"));
            String task;
            try {
                ServiceProcess.awaitUp(first, base, dir.resolve("first.log"));
                HttpResponse<String> accepted = ServiceProcess.send("POST", base + "/main/instances", Harness.instanceBody(
                        Harness.uniqueName("kill")).toString(), Map.of("Prefer", "respond-async"));
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                task = accepted.headers().firstValue("X-Flywheel-Task").orElseThrow();
                first.destroyForcibly(); // SIGKILL right after the caller got its task id
                assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                first.destroyForcibly();
            }
            Process second = ServiceProcess.start(config, dir.resolve("second.log"));
            try {
                ServiceProcess.awaitUp(second, base, dir.resolve("second.log"));
                JsonNode answer = TestService.JSON.readTree(ServiceProcess.send("GET", base + "/flywheel?task=" + task, null, Map.of()).body());
                assertThat(answer.has(task)).as("task %s after the restart: %s", task, answer).isTrue();
            } finally {
                second.destroyForcibly();
                second.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }
}
