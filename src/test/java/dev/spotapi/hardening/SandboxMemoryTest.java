package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20 kind 4, "The sandbox survives its own limits": the sandbox as {@code ./spot-api} runs it (service and
 * simulator in one JVM with {@code -Xmx64m}) is asked for 37 groups of target 1000 and a capacity far above the
 * simulator's cap; it answers each with 200 or 400, exports and imports its whole state, keeps serving, and
 * starts again on the state it saved.
 */
class SandboxMemoryTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void groupsAndCapacitiesBeyondTheSimulatorsBudgetAre400sNotAnOutOfMemoryCrashLoop() throws Exception {
        int port = freePort();
        String base = "http://127.0.0.1:" + port + "/v1/spot/sandbox";
        List<String> created = new ArrayList<>();
        List<Integer> statuses = new ArrayList<>();
        Process first = start(port, "first");
        try {
            for (int i = 0; i < 37; i++) {
                HttpResponse<String> r = call("POST", base + "/elastigroups", group("big" + i, 1000));
                statuses.add(r.statusCode());
                Matcher id = Pattern.compile("\"id\":\"(sig-[0-9a-z]+)\"").matcher(r.body());
                if (r.statusCode() == 200 && id.find()) {
                    created.add(id.group(1));
                }
                assertThat(r.statusCode()).as("create %d: %s", i, r.body()).isIn(200, 400);
                assertThat(r.body()).doesNotContain("Exception").doesNotContain("java.");
            }
            assertThat(created).as("the fleet budget holds a few of them").isNotEmpty().hasSizeLessThan(37);
            HttpResponse<String> small = call("POST", base + "/elastigroups", group("small", 0));
            assertThat(small.statusCode()).as(small.body()).isEqualTo(200);
            Matcher smallId = Pattern.compile("\"id\":\"(sig-[0-9a-z]+)\"").matcher(small.body());
            assertThat(smallId.find()).isTrue();
            for (String capacity : List.of("{\"maximum\":100000,\"target\":100000}", "{\"maximum\":1000,\"target\":1000}",
                    "{\"maximum\":2147483647,\"target\":2147483647,\"minimum\":2147483647}")) {
                HttpResponse<String> r = call("PUT", base + "/elastigroups/" + smallId.group(1) + "/capacity", capacity);
                assertThat(r.statusCode()).as("capacity %s: %s", capacity, r.body()).isEqualTo(400);
            }
            // the whole state exported and imported again, three times, by the simulator's admin API
            Matcher simulator = Pattern.compile("Spot simulator : (http://\\S+)").matcher(Files.readString(dir.resolve("first.txt")));
            assertThat(simulator.find()).isTrue();
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> state = call("GET", simulator.group(1) + "/_sim/state", null);
                assertThat(state.statusCode()).isEqualTo(200);
                HttpResponse<String> put = call("PUT", simulator.group(1) + "/_sim/state", state.body());
                assertThat(put.statusCode()).as("import %d of %d bytes: %s", i, state.body().length(), put.body()).isEqualTo(200);
            }
            HttpResponse<String> list = call("GET", base + "/elastigroups", null);
            assertThat(list.statusCode()).as("still serving: %s", list.body()).isEqualTo(200);
            assertThat(first.isAlive()).isTrue();
        } finally {
            stop(first);
        }
        assertThat(Files.readString(dir.resolve("first.txt"))).doesNotContain("OutOfMemoryError");

        Process again = start(port, "again");
        try {
            HttpResponse<String> list = call("GET", base + "/elastigroups", null);
            assertThat(list.statusCode()).as("restarted on its saved state: %s", list.body()).isEqualTo(200);
            for (String id : created) {
                assertThat(list.body()).contains(id);
            }
            assertThat(call("GET", base + "/elastigroups/" + created.get(0) + "/status", null).statusCode()).isEqualTo(200);
        } finally {
            stop(again);
        }
        assertThat(Files.readString(dir.resolve("again.txt"))).doesNotContain("OutOfMemoryError");
    }

    private static String group(String name, int target) {
        return """
                {"name":"%s","region":"us-east-1","capacity":{"minimum":0,"maximum":1000,"target":%d,"unit":"instance"},
                 "strategy":{"risk":100,"availabilityVsCost":"balanced"},
                 "compute":{"product":"Linux/UNIX","instanceTypes":{"ondemand":"t3.micro","spot":["t3.micro"]},
                  "availabilityZones":[{"name":"us-east-1a","subnetId":"subnet-0123"}],
                  "launchSpecification":{"imageId":"ami-0123","securityGroupIds":["sg-0123"]}}}
                """.formatted(name, target);
    }

    private static HttpResponse<String> call(String method, String url, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("X-Auth-Token", TestService.TOKEN).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The sandbox in its own JVM with the launcher's heap (-Xmx64m), once its banner is printed. */
    private Process start(int port, String name) throws Exception {
        Path output = dir.resolve(name + ".txt");
        List<String> command = new ArrayList<>(dev.spotapi.support.ChildJvm.command("64m"));
        command.addAll(List.of("dev.spotapi.cli.Main", "--sandbox", "--sandbox-dir", dir.resolve("sandbox").toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().put("SPOT_API_TOKEN", TestService.KEY);
        pb.environment().put("SPOT_API_LISTEN", "127.0.0.1:" + port);
        Process process = pb.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String text = Files.exists(output) ? Files.readString(output) : "";
            if (text.contains("Try it")) {
                return process;
            }
            if (!process.isAlive()) {
                throw new AssertionError("the sandbox exited: " + text);
            }
            Thread.sleep(100);
        }
        stop(process);
        throw new AssertionError("no banner within 60 s: " + Files.readString(output));
    }

    private static void stop(Process process) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
