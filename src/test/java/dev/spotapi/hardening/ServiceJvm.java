package dev.spotapi.hardening;

import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.ChildJvm;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * spot-api in a JVM of its own ({@code dev.spotapi.cli.Main -config FILE}) with the memory flags of the
 * launcher ({@code ./spot-api}) or others, against a simulator in this JVM: for the tests whose subject is the
 * JVM's own limits (heap, direct memory, resident size), which the test JVM does not have.
 */
final class ServiceJvm implements AutoCloseable {
    /** The launcher's memory and JIT flags (./spot-api, jvm_flags). */
    static final List<String> LAUNCHER_FLAGS = List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms16m",
            "-Xmx64m", "-Xmn4m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=20", "-Xss512k",
            "-XX:ReservedCodeCacheSize=32m", "-XX:MaxDirectMemorySize=32m", "-XX:+ExitOnOutOfMemoryError",
            "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4");

    /**
     * {@link #LAUNCHER_FLAGS} with half the heap ({@code -Xmx32m}): for the memory attack tests, whose bounds are
     * fractions of the heap (an eighth, a sixteenth), so that filling a bound the size of the heap, the old
     * behaviour, takes half the requests it takes with the launcher's 64 MiB.
     */
    static final List<String> HALF_HEAP_LAUNCHER_FLAGS = LAUNCHER_FLAGS.stream()
            .map(flag -> flag.equals("-Xmx64m") ? "-Xmx32m" : flag).toList();

    final SpotSimulator sim;
    final Process process;
    final int port;
    final Path log;

    private ServiceJvm(SpotSimulator sim, Process process, int port, Path log) {
        this.sim = sim;
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts the service with {@code jvmFlags} (heap flags included) and waits until /ping answers. */
    static ServiceJvm start(Path dir, List<String> jvmFlags) throws Exception {
        return start(dir, jvmFlags, "");
    }

    /**
     * {@link #start(Path, List)} with {@code extraConfig} (e.g. {@code "http": {...},}) added to the config file. The
     * port is a free one found just before the start: when another test's server took it meanwhile (the child exits
     * "cannot listen"), the start is made again on another, up to three times.
     */
    static ServiceJvm start(Path dir, List<String> jvmFlags, String extraConfig) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                return startOnce(dir, jvmFlags, extraConfig);
            } catch (AssertionError e) {
                if (attempt >= 3 || e.getMessage() == null || !e.getMessage().contains("cannot listen on")) {
                    throw e;
                }
            }
        }
    }

    private static ServiceJvm startOnce(Path dir, List<String> jvmFlags, String extraConfig) throws Exception {
        SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("config.json");
        Files.writeString(config, """
                {"listenAddress": "127.0.0.1:%d", "token": "%s", "logLevel": "info", "org": "testorg",
                 "shutdownDelayMs": 0, %s
                 "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token",
                                       "defaultVPC": "vpc-default0001", "endpoint": "%s"}}}"""
                .formatted(port, TestService.KEY, extraConfig, TestService.MAIN_ID, sim.baseUrl()));
        Path log = dir.resolve("spot-api.log");
        List<String> command = new ArrayList<>();
        // ChildJvm's command with the given flags instead of its own heap and JIT flags
        List<String> base = ChildJvm.command("64m");
        command.add(base.get(0));
        command.addAll(jvmFlags);
        base.stream().skip(1).filter(a -> !a.startsWith("-Xmx") && !a.startsWith("-XX:TieredStopAtLevel")
                && !a.equals("-XX:+UseSerialGC")).forEach(command::add);
        command.addAll(List.of("dev.spotapi.cli.Main", "-config", config.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ServiceJvm jvm = new ServiceJvm(sim, process, port, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                jvm.close();
                throw new AssertionError("spot-api exited with " + process.exitValue() + ":\n" + jvm.tail());
            }
            if (jvm.get("/v1/spot/ping", null, 2_000).status() == 200) {
                return jvm;
            }
            Thread.sleep(100);
        }
        jvm.close();
        throw new AssertionError("spot-api did not start:\n" + jvm.tail());
    }

    /** GET {@code path} with the token (or none), over a new connection. */
    RawHttp.Answer get(String path, String token, int timeoutMs) {
        return RawHttp.send(port, "GET", path.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                token == null ? Map.of() : Map.of("X-Auth-Token", token), null, timeoutMs);
    }

    /** The child's resident set size now, in KiB (VmRSS), or -1 when it cannot be read. */
    long rssKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /**
     * {@link #tail()} once the child's whole output contains {@code expected}, or after 10 s: the child writes
     * its log through a buffer flushed in the background every 200 ms (BufferedStdoutAppender), later still on
     * a loaded machine, so a line may reach the file well after what it reports.
     */
    String tailContaining(String expected) throws InterruptedException {
        for (long end = System.nanoTime() + 10_000_000_000L; System.nanoTime() < end; Thread.sleep(50)) {
            if (logContains(expected)) {
                break;
            }
        }
        return tail();
    }

    /** {@link #tail()} after the child's log buffer has been flushed (for a check that a line is absent). */
    String flushedTail() throws InterruptedException {
        Thread.sleep(1_000); // five of the child's 200 ms flush periods
        return tail();
    }

    /** The last 4,000 characters of the child's output. */
    String tail() {
        // only the end is read: a child that ran out of memory may have written a log larger than our heap
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(log.toFile(), "r")) {
            long length = file.length();
            byte[] end = new byte[(int) Math.min(length, 4_000)];
            file.seek(length - end.length);
            file.readFully(end);
            return new String(end, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Whether a line of the child's output contains {@code expected}, read line by line (any size of log). */
    private boolean logContains(String expected) {
        try (java.util.stream.Stream<String> lines = Files.lines(log, java.nio.charset.StandardCharsets.ISO_8859_1)) {
            return lines.anyMatch(line -> line.contains(expected));
        } catch (IOException | java.io.UncheckedIOException e) {
            return false; // not there yet
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        sim.close();
    }
}
