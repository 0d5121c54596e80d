package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
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
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's start command, {@code ./spot-api}, on the packaged jar (runs after {@code package}):
 * it execs java with the service's JVM flags and a class-data-sharing archive, and gives the
 * standalone simulator the full JIT.
 */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("spot-api").toAbsolutePath();
    private static final Duration START = Duration.ofSeconds(120);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.toHandle().destroy();
            process.waitFor();
        }
    }

    @Test
    void theServiceRunsWithTheC1OnlyJitSmallHeapAndTheClassDataSharingArchive() throws Exception {
        int port = ProgramRun.freePort();
        process = launch(Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port),
                "--sandbox", "--sandbox-dir", dir.resolve("sandbox").toString());
        awaitUp("http://127.0.0.1:" + port + "/v1/spot/ping");

        List<String> jvm = commandLine(process);
        assertThat(jvm.get(0)).as("the launcher execs java: same pid").endsWith("java");
        assertThat(jvm).contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-jar");
        assertThat(jvm).anyMatch(a -> a.startsWith("-XX:SharedArchiveFile=") && a.endsWith("spot-api.jsa"));
        assertThat(Path.of("target", "spot-api.jsa")).as("recorded once after the build").isRegularFile();
    }

    @Test
    void theStandaloneSimulatorKeepsTheFullJit() throws Exception {
        int port = ProgramRun.freePort();
        process = launch(Map.of(), "simulator", "--port", Integer.toString(port));
        awaitUp("http://127.0.0.1:" + port + "/_sim/health");

        List<String> jvm = commandLine(process);
        assertThat(jvm).contains("-XX:+UseSerialGC", "-Xmx64m").doesNotContain("-XX:TieredStopAtLevel=1");
        assertThat(jvm.subList(jvm.indexOf("-jar") + 2, jvm.size())).startsWith("simulator");
    }

    private Process launch(Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(LAUNCHER.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("output.log").toFile());
        pb.environment().remove("SPOT_API_TOKEN");
        pb.environment().remove("SPOT_API_LISTEN");
        pb.environment().putAll(env);
        return pb.start();
    }

    private void awaitUp(String url) throws Exception {
        long end = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < end) {
            assertThat(process.isAlive()).as("still running; output: %s", output()).isTrue();
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no answer from " + url + " within " + START + "; output: " + output());
    }

    private String output() throws IOException {
        Path log = dir.resolve("output.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The java process's arguments, read from /proc (the launcher replaced itself with java). */
    private static List<String> commandLine(Process p) throws IOException {
        byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
        return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
    }
}
