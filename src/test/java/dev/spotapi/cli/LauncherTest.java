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
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's start command, {@code ./spot-api}, on what {@code process-classes} built (the launcher's app jar and class path): it execs java on the launcher's
 * app jar and class path with the service's JVM flags, starts without waiting for class-data sharing,
 * records the archive in the background, and uses it from the next start on; the standalone simulator
 * keeps the full JIT. (Start-up times are measured by bench/first-run.sh, not asserted here.)
 */
@Order(3) // long: started first
class LauncherTest {
    private static final Path LAUNCHER = Path.of("spot-api").toAbsolutePath();
    private static final Path ARCHIVE = Path.of("target", "launcher", "spot-api.jsa");
    /** The archive of the service alone (config file), recorded with the simulator in a child process. */
    private static final Path SERVICE_ARCHIVE = Path.of("target", "launcher", "spot-api-service.jsa");
    /** The archive of a service whose config calls Spot over https: recorded with the TLS context built. */
    private static final Path TLS_ARCHIVE = Path.of("target", "launcher", "spot-api-service-tls.jsa");
    private static final Duration START = Duration.ofSeconds(120);
    private static final Duration TRAINING = Duration.ofMinutes(4);

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
    void theFirstStartNeedsNoArchiveAndRecordsItForTheNextStart() throws Exception {
        Files.deleteIfExists(ARCHIVE);
        int port = ProgramRun.freePort();
        Map<String, String> env = Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port);
        String[] args = {"--sandbox", "--sandbox-dir", dir.resolve("sandbox").toString()};
        process = launch(env, args);
        awaitUp("http://127.0.0.1:" + port + "/v1/spot/ping");
        List<String> jvm = commandLine(process);
        assertThat(jvm.get(0)).as("the launcher execs java: same pid").endsWith("java");
        assertThat(jvm).contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m",
                "-XX:MaxDirectMemorySize=32m", "dev.spotapi.cli.Main");
        assertThat(jvm.get(jvm.indexOf("-cp") + 1)).startsWith(Path.of("target/launcher/spot-api-app.jar").toAbsolutePath() + ":");
        assertThat(jvm).noneMatch(a -> a.startsWith("-XX:SharedArchiveFile="));

        restartOnceRecorded(ARCHIVE, port, env, args);
        assertThat(commandLine(process)).contains("-XX:SharedArchiveFile=" + ARCHIVE.toAbsolutePath(), "-Xshare:auto");
        assertThat(output()).doesNotContain("[cds]").doesNotContain("warning");
    }

    /**
     * The service from a config file (what the image runs) gets the launcher's small fixed young generation
     * and the old generation that shrinks; sandbox mode (above) and the simulator (below) keep the default shape.
     */
    @Test
    void theServiceFromAConfigFileRunsWithTheSmallYoungGeneration() throws Exception {
        int port = ProgramRun.freePort();
        Path config = startFromConfig(port, "http://127.0.0.1:9", SERVICE_ARCHIVE);

        List<String> jvm = commandLine(process);
        assertThat(jvm).contains("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-Xmn4m",
                "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-XX:MaxDirectMemorySize=32m");
        assertThat(jvm.subList(jvm.indexOf("dev.spotapi.cli.Main") + 1, jvm.size())).containsExactly("-config",
                config.toString());
        // the native heap trimmed when the JDK it runs has the flag (17.0.9+, 21.0.1+, 22+), from its release file
        Path release = Path.of(process.toHandle().info().command().orElseThrow()).toRealPath().getParent().getParent()
                .resolve("release");
        Runtime.Version version = Runtime.Version.parse(Files.readAllLines(release).stream()
                .filter(l -> l.startsWith("JAVA_VERSION=")).findFirst().orElseThrow()
                .replaceAll("^JAVA_VERSION=\"|\"$", ""));
        boolean trims = version.feature() >= 22 || version.feature() == 21 && version.update() >= 1
                || version.feature() == 17 && version.update() >= 9;
        if (trims) {
            assertThat(jvm).as("JDK " + version).contains("-XX:TrimNativeHeapInterval=5000");
        } else {
            assertThat(jvm).as("JDK " + version).noneMatch(a -> a.startsWith("-XX:TrimNativeHeapInterval"));
        }

        // its own class-data-sharing archive, recorded without the simulator's classes (issue 27)
        restartOnceRecorded(SERVICE_ARCHIVE, port, Map.of(), "-config", config.toString());
        assertThat(commandLine(process)).contains("-XX:SharedArchiveFile=" + SERVICE_ARCHIVE.toAbsolutePath(),
                "-Xshare:auto");
        assertThat(output()).doesNotContain("[cds]").doesNotContain("warning");
        // http endpoints only: neither TLS nor the JDK's HTTP client (the training's own requests) is archived;
        // every archived class is resident, used or not (931 of 5,032 classes were, issue 27)
        assertThat(archived(SERVICE_ARCHIVE)).contains("dev.spotapi.spot.SpotHttp", "org.eclipse.jetty.client.HttpClient")
                .noneMatch(c -> c.startsWith("sun.security.ssl.") || c.startsWith("jdk.internal.net.http."));
    }

    /** A config for the real Spot API (https) gets the archive recorded with its TLS context built. */
    @Test
    void aServiceThatCallsSpotOverHttpsGetsTheArchiveWithTls() throws Exception {
        int port = ProgramRun.freePort();
        Path config = startFromConfig(port, "https://127.0.0.1:9", TLS_ARCHIVE);
        restartOnceRecorded(TLS_ARCHIVE, port, Map.of(), "-config", config.toString());
        assertThat(commandLine(process)).contains("-XX:SharedArchiveFile=" + TLS_ARCHIVE.toAbsolutePath());
        assertThat(archived(TLS_ARCHIVE)).anyMatch(c -> c.startsWith("sun.security.ssl."))
                .noneMatch(c -> c.startsWith("jdk.internal.net.http."));
    }

    /**
     * Waits (up to {@link #TRAINING}) for the launcher to record {@code archive} in the background after a first
     * start, then stops that start and starts again with the same arguments (which then use the archive).
     */
    private void restartOnceRecorded(Path archive, int port, Map<String, String> env, String... args) throws Exception {
        long end = System.nanoTime() + TRAINING.toNanos();
        while (!Files.exists(archive) && System.nanoTime() < end) {
            Thread.sleep(50);
        }
        assertThat(archive).as("recorded in the background after the first start").isRegularFile();
        stop();
        process = launch(env, args);
        awaitUp("http://127.0.0.1:" + port + "/v1/spot/ping");
    }

    /**
     * Writes a config whose one account calls Spot at {@code endpoint}, removes {@code archive} (so that this first
     * start records it) and starts the service from the config through the launcher; returns the config's path.
     */
    private Path startFromConfig(int port, String endpoint, Path archive) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"listenAddress": "127.0.0.1:%d", "token": "launcher-test-pre-shared-key-0123", "org": "test",
                 "accounts": {"main": {"region": "us-east-1", "id": "act-12345678", "token": "spot-token",
                                       "defaultVPC": "vpc-0123456789abcdef0", "endpoint": "%s"}}}"""
                .formatted(port, endpoint));
        Files.deleteIfExists(archive);
        process = launch(Map.of(), "-config", config.toString());
        awaitUp("http://127.0.0.1:" + port + "/v1/spot/ping");
        return config;
    }

    /** The classes an archive holds, by name ({@code -XX:+PrintSharedArchiveAndExit} with the launcher's class path). */
    private static List<String> archived(Path archive) throws Exception {
        Path launcher = Path.of("target", "launcher").toAbsolutePath();
        String cp = launcher.resolve("spot-api-app.jar") + ":" + Files.readString(launcher.resolve("classpath")).strip();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:SharedArchiveFile=" + archive.toAbsolutePath(), "-XX:+PrintSharedArchiveAndExit", "-cp", cp,
                "dev.spotapi.cli.Main").redirectErrorStream(true).start();
        List<String> classes = new java.util.ArrayList<>();
        try (var lines = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8))) {
            for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("^\\s*\\d+: (\\S+) ").matcher(line);
                if (m.find()) {
                    classes.add(m.group(1));
                }
            }
        }
        p.waitFor();
        return classes;
    }

    @Test
    void theStandaloneSimulatorKeepsTheFullJit() throws Exception {
        int port = ProgramRun.freePort();
        process = launch(Map.of(), "simulator", "--port", Integer.toString(port));
        awaitUp("http://127.0.0.1:" + port + "/_sim/health");

        List<String> jvm = commandLine(process);
        assertThat(jvm).contains("-XX:+UseSerialGC", "-Xmx64m").doesNotContain("-XX:TieredStopAtLevel=1",
                "-XX:MaxDirectMemorySize=32m", "-Xmn4m", "-XX:MaxHeapFreeRatio=20");
        assertThat(jvm.subList(jvm.indexOf("dev.spotapi.cli.Main") + 1, jvm.size())).startsWith("simulator");
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
