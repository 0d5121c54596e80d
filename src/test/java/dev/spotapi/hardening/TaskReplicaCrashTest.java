package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.ChildJvm;
import dev.spotapi.support.RedisProcess;
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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21, durable task work: two real replicas over one real Redis. Replica A (its own JVM) answers an
 * async create with 202 and takes the task's work item; it is killed with SIGKILL while its Spot status
 * read is still in flight. Replica B claims the abandoned item after the lease (XAUTOCLAIM), resumes from
 * Spot's actual state and completes the task; Spot holds exactly one new instance.
 */
@org.junit.jupiter.api.Order(6) // long: started first
class TaskReplicaCrashTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    @Test
    void aTaskOfAReplicaKilledMidTaskIsFinishedByTheOtherWithoutADuplicate() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            int port = ServiceProcess.freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, ServiceProcess.config(port, sim.baseUrl(),
                    "\"sharedState\": {\"redisUrl\": \"" + redis.url() + "\", \"timeoutMs\": 2000},"
                    + " \"tasks\": {\"pollMs\": 50, \"leaseSeconds\": 2, \"staleSeconds\": 120}"));
            Path output = dir.resolve("replica-a.log");
            List<String> command = new ArrayList<>(ChildJvm.command("256m"));
            command.addAll(List.of("dev.spotapi.cli.Main", "-config", config.toString()));
            Process a = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
            try {
                String baseA = "http://127.0.0.1:" + port + "/v1/spot";
                ServiceProcess.awaitUp(a, baseA, output);
                // A's first status read of the new instance hangs in Spot for 12 s: A dies while waiting for it
                admin(sim, "POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\","
                        + "\"action\":\"delay\",\"delayMs\":12000,\"count\":1}");

                HttpResponse<String> accepted = ServiceProcess.send("POST", baseA + "/main/instances", Harness.instanceBody(
                        Harness.uniqueName("crash")).toString(), Map.of("Prefer", "respond-async"));
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                String task = accepted.headers().firstValue("X-Flywheel-Task").orElseThrow();
                String instance = TestService.JSON.readTree(accepted.body()).asText();
                awaitStatus(baseA, task, "running");
                awaitInProgress(sim);

                // A dies first (SIGKILL), while its read is held: B, started only then, is the one that can finish
                a.destroyForcibly();
                assertThat(a.waitFor(10, TimeUnit.SECONDS)).as("replica A is gone").isTrue();
                TaskConfig tasks = TaskConfig.DEFAULTS.with(50, 10, 100, 2, 120, Map.of());
                try (TestService b = TestService.replica(sim, TestService.fastSettings(), c -> c
                        .withSharedState(new SharedStateConfig(redis.url(), 2_000)).withTasks(tasks))) {

                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    JsonNode t = b.call("GET", "/flywheel?task=" + task, null).json().path(task);
                    while (!t.path("status").asText().matches("completed|failed") && System.nanoTime() < deadline) {
                        Thread.sleep(50);
                        t = b.call("GET", "/flywheel?task=" + task, null).json().path(task);
                    }
                    assertThat(t.path("status").asText()).as("the task, finished by replica B: %s", t)
                            .isEqualTo("completed");
                    assertThat(t.path("events").toString()).contains("taken over")
                            .contains("managed instance " + instance + " is ACTIVE");
                    assertThat(b.call("GET", "/metrics", null).body())
                            .containsPattern("spotapi_tasks_claimed_after_crash_total [1-9]");
                    JsonNode list = TestService.JSON.readTree(admin(sim, "GET",
                            "/aws/ec2/managedInstance?accountId=" + TestService.MAIN_ID, null));
                    assertThat(list.path("response").path("items").size()).as("one instance in Spot: %s", list)
                            .isEqualTo(1);
                }
            } finally {
                a.destroyForcibly();
            }
        }
    }

    /** Polls {@code GET base/flywheel?task=} (no token: a child JVM's own tests) until the task has {@code status}. */
    static void awaitStatus(String base, String task, String status) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String seen = "";
        while (System.nanoTime() < deadline) {
            HttpResponse<String> r = ServiceProcess.send("GET", base + "/flywheel?task=" + task, null, Map.of());
            seen = r.body();
            if (TestService.JSON.readTree(seen).path(task).path("status").asText().equals(status)) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("task " + task + " never " + status + ": " + seen);
    }

    /** Waits until the simulator holds a request (a delayed read). */
    static void awaitInProgress(SpotSimulator sim) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            JsonNode log = TestService.JSON.readTree(admin(sim, "GET", "/_sim/requests?limit=1", null));
            if (log.path("inProgress").asInt() > 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("replica A never read the instance's status");
    }

    /** A call of the simulator's admin API (or of Spot's, with the main account's token); answers the body. */
    static String admin(SpotSimulator sim, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer main-spot-token")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
