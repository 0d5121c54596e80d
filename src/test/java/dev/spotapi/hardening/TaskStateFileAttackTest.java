package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.ChildJvm;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.net.ServerSocket;
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
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    @Test
    void aTaskAnswered202SurvivesAKillRightAfterTheAnswer() throws Exception {
        try (SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start()) {
            int port = freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, """
                    {"listenAddress": "127.0.0.1:%d", "token": "%s", "logLevel": "info", "org": "testorg",
                     "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token",
                                           "defaultVPC": "vpc-default0001", "endpoint": "%s"}},
                     "tasks": {"pollMs": 50, "stateFile": "%s"}}"""
                    .formatted(port, TestService.KEY, TestService.MAIN_ID, sim.baseUrl(), dir.resolve("tasks.json")));
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            Process first = start(config, dir.resolve("first.log"));
            String task;
            try {
                awaitUp(first, base, dir.resolve("first.log"));
                HttpResponse<String> accepted = send("POST", base + "/main/instances", Harness.instanceBody(
                        Harness.uniqueName("kill")).toString(), Map.of("Prefer", "respond-async"));
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                task = accepted.headers().firstValue("X-Flywheel-Task").orElseThrow();
                first.destroyForcibly(); // SIGKILL right after the caller got its task id
                assertThat(first.waitFor(10, TimeUnit.SECONDS)).isTrue();
            } finally {
                first.destroyForcibly();
            }
            Process second = start(config, dir.resolve("second.log"));
            try {
                awaitUp(second, base, dir.resolve("second.log"));
                JsonNode answer = TestService.JSON.readTree(send("GET", base + "/flywheel?task=" + task, null, Map.of()).body());
                assertThat(answer.has(task)).as("task %s after the restart: %s", task, answer).isTrue();
            } finally {
                second.destroyForcibly();
                second.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    static Process start(Path config, Path output) throws IOException {
        List<String> command = new ArrayList<>(ChildJvm.command("256m"));
        command.addAll(List.of("dev.spotapi.cli.Main", "-config", config.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    static HttpResponse<String> send(String method, String url, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("X-Auth-Token", TestService.TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static void awaitUp(Process process, String base, Path output) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("spot-api exited with " + process.exitValue() + ":\n"
                        + String.join("\n", Files.readAllLines(output)));
            }
            try {
                if (send("GET", base + "/ping", null, Map.of()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("spot-api did not start:\n" + String.join("\n", Files.readAllLines(output)));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
