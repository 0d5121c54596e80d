package dev.spotapi.cli;

import java.nio.file.Path;
import java.util.List;

/** Entry point: the service is the default command; subcommands add the simulator and tools. */
public final class Main {
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";
    /**
     * Jetty's padding of its concurrent structures (references per 64-byte cache line). Unset, Jetty's
     * {@code MemoryUtils} starts the JVM's platform MBean server (~150 classes, 50-100 ms of a start) only
     * to ask it whether compressed object pointers are on.
     */
    static final String JETTY_REFERENCES_PER_CACHE_LINE = "org.eclipse.jetty.util.referencesPerCacheLine";
    /**
     * SLF4J's provider, named: unset, SLF4J looks for one with a {@link java.util.ServiceLoader} scan of every
     * jar on the class path (~70 of ~1,050 main-thread CPU samples of a warm start, docs/performance.md). The
     * service's own ({@link LogbackProvider}) also skips Logback's configurator scan.
     */
    static final String SLF4J_PROVIDER = "slf4j.provider";
    /** SLF4J's own messages: warnings and errors only (it reports a named provider at INFO on stderr). */
    static final String SLF4J_VERBOSITY = "slf4j.internal.verbosity";

    private Main() {
    }

    public static void main(String[] args) {
        // On a 2-CPU machine the common pool has parallelism 1, and CompletableFuture then starts a new
        // thread for every async step (Caffeine's asynchronous loads, delayed executors). A real pool avoids that.
        byDefault(COMMON_POOL_PARALLELISM, Integer.toString(Math.max(4, Runtime.getRuntime().availableProcessors())));
        byDefault(JETTY_REFERENCES_PER_CACHE_LINE, Integer.toString(referencesPerCacheLine()));
        if (byDefault(SLF4J_PROVIDER, LogbackProvider.class.getName())) {
            byDefault(SLF4J_VERBOSITY, "WARN");
        }
        boolean server = startsAServer(args);
        if (server) {
            boolean simulator = runsTheSimulator(args);
            StartupWarmup.begin(simulator, !simulator && tlsLikely(args));
        }
        // SLF4J and Logback start here, on one thread: started by the warm-up thread and the main thread at once,
        // SLF4J replays the calls made meanwhile and prints a three-line warning about it
        org.slf4j.LoggerFactory.getILoggerFactory();
        if (server) {
            StartupWarmup.loggingReady();
        }
        int exit;
        try {
            exit = args.length == 0 ? ServeCommand.serveWithoutArguments()
                    : isConfigOnly(args) ? ServeCommand.serveConfig(Path.of(args[1]))
                    : Commands.commandLine().execute(args);
        } catch (Throwable t) {
            // a start that failed after some threads began (a server's pool, a simulator) must not linger half
            // started: those threads would keep the JVM alive with nothing serving (seen: a cds-training run whose
            // jar was rebuilt under it, alive for 20 minutes)
            t.printStackTrace();
            exit = 1;
        }
        // cds-training must end even if a server thread it started lingers (the archive is written at exit)
        if (exit != 0 || (args.length > 0 && "cds-training".equals(args[0]))) {
            System.exit(exit);
        }
    }

    /** Sets system property {@code name} to {@code value} unless the command line set it; true when it did. */
    private static boolean byDefault(String name, String value) {
        if (System.getProperty(name) != null) {
            return false;
        }
        System.setProperty(name, value);
        return true;
    }

    /**
     * What Jetty would find: 16 four-byte references per 64-byte line with compressed object pointers (an
     * object array's element is then 4 bytes), else 8. Only a padding choice: either value is correct.
     */
    @SuppressWarnings("removal")
    static int referencesPerCacheLine() {
        return sun.misc.Unsafe.ARRAY_OBJECT_INDEX_SCALE == 4 ? 16 : 8;
    }

    /**
     * {@code -config FILE} (or {@code --config FILE}) and nothing else: how the image and the Kubernetes
     * manifests start the service. Served without building picocli's command model (its ~170 classes
     * cost start-up time and memory for nothing to parse); the same as picocli's parse of these arguments.
     * A value starting with {@code -} or {@code @}, which picocli reads differently, still goes through picocli.
     */
    static boolean isConfigOnly(String[] args) {
        return args.length == 2 && ("-config".equals(args[0]) || "--config".equals(args[0]))
                && !args[1].isEmpty() && !args[1].startsWith("-") && !args[1].startsWith("@");
    }

    /** The service (the default command), the simulator or the CDS training; not version, help or hash-token. */
    static boolean startsAServer(String[] args) {
        for (String arg : args) {
            if (List.of("-version", "--version", "-h", "--help").contains(arg)) {
                return false;
            }
        }
        return args.length == 0 || args[0].startsWith("-") || List.of("simulator", "cds-training").contains(args[0]);
    }

    /**
     * Whether this start will surely run the simulator: the {@code simulator} command, {@code --sandbox}, or
     * no arguments and no config file at the default path (sandbox mode). Only a start-up hint.
     */
    static boolean runsTheSimulator(String[] args) {
        if (args.length == 0) {
            return !java.nio.file.Files.exists(ServeCommand.DEFAULT_CONFIG);
        }
        return "simulator".equals(args[0]) || List.of(args).contains("--sandbox");
    }

    /**
     * Whether the service's config probably names an https Spot endpoint, so that the warm-up prepares
     * the TLS context (the service decides from the parsed config: {@link dev.spotapi.SpotTls}). A config
     * file without an {@code "endpoint"} (the real Spot API, https) or mentioning https anywhere, one that
     * cannot be read or is not a regular file (a pipe is read once, by the config loader), or arguments
     * other than {@code -config FILE}: yes. {@code cds-training}: only with {@code --tls} (what it prepares is
     * archived). Only a start-up hint.
     */
    static boolean tlsLikely(String[] args) {
        if (args.length > 0 && "cds-training".equals(args[0])) {
            return List.of(args).contains("--tls");
        }
        Path file = args.length == 0 ? ServeCommand.DEFAULT_CONFIG : isConfigOnly(args) ? Path.of(args[1]) : null;
        // only a regular file: a pipe (-config <(...), /dev/stdin) must be left whole for the config loader
        if (file == null || !java.nio.file.Files.isRegularFile(file)) {
            return true;
        }
        try {
            String text = java.nio.file.Files.readString(file).toLowerCase(java.util.Locale.ROOT);
            return !text.contains("\"endpoint\"") || text.contains("https");
        } catch (java.io.IOException | RuntimeException e) {
            return true;
        }
    }
}
