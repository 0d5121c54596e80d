package dev.spotapi.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** The real program (dev.spotapi.cli.Main) in a child JVM, as a user runs it, with its output captured. */
public final class ProgramRun implements AutoCloseable {
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private ProgramRun(Process process) {
        this.process = process;
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "program-output");
        reader.setDaemon(true);
        reader.start();
    }

    public static ProgramRun start(Path workDir, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(dev.spotapi.support.ChildJvm.command("128m"));
        command.add(Main.class.getName());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().remove("SPOT_API_TOKEN");
        pb.environment().remove("SPOT_API_LISTEN");
        pb.environment().putAll(env);
        return new ProgramRun(pb.start());
    }

    /** Runs to completion (bounded) and returns the exit code. */
    public int exitCode(Duration limit) throws InterruptedException {
        if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("program did not finish within " + limit + "; output: " + output());
        }
        reader.join(5_000); // it ends at the end of the output: every line is in
        return process.exitValue();
    }

    /** Waits until a line matches, failing with the output so far when it does not come in time or the program ends. */
    public String awaitLine(Predicate<String> match, Duration limit) throws InterruptedException {
        String line = awaitEither(match, limit);
        if (line == null) {
            throw new AssertionError("no matching line before the program ended; output: " + output());
        }
        return line;
    }

    /** The first matching line, or null once the process ended without one; fails when neither comes in time. */
    public String awaitEither(Predicate<String> match, Duration limit) throws InterruptedException {
        long end = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < end) {
            for (String line : lines) {
                if (match.test(line)) {
                    return line;
                }
            }
            if (!process.isAlive()) {
                reader.join(5_000); // it ends at the end of the output: every line is in
                return lines.stream().filter(match).findFirst().orElse(null);
            }
            Thread.sleep(50);
        }
        throw new AssertionError("neither a matching line nor an exit within " + limit + "; output: " + output());
    }

    public String output() {
        return String.join("\n", lines);
    }

    /**
     * SIGTERM, as Kubernetes would send, and the exit code. Through the process handle: Process.destroy()
     * would also close our end of the output pipe, losing what the program writes while it shuts down.
     */
    public int terminate(Duration limit) throws InterruptedException {
        process.toHandle().destroy();
        return exitCode(limit);
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
    }
}
