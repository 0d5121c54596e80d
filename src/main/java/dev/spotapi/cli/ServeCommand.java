package dev.spotapi.cli;

import dev.spotapi.BuildInfo;
import dev.spotapi.SpotApi;
import dev.spotapi.config.ConfigException;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.ListenAddress;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The default command: serve the API from a config file, or, when there is no config file (or with
 * {@code --sandbox}), against the built-in simulator.
 */
@Command(name = "spot-api", versionProvider = ServeCommand.Version.class, sortOptions = false,
        description = "Serve the spot-api REST API (sandbox mode when there is no config file).",
        footer = {"", "Environment: SPOT_API_TOKEN overrides the pre-shared key, SPOT_API_LISTEN the listen address."})
public class ServeCommand implements Callable<Integer> {
    static final Path DEFAULT_CONFIG = Path.of("config", "config.json");

    @Spec
    CommandSpec spec;

    @Option(names = {"-config", "--config"}, paramLabel = "FILE",
            description = "Config file (default: ${DEFAULT-VALUE}).", defaultValue = "config/config.json")
    Path config = DEFAULT_CONFIG;

    @Option(names = "--sandbox", description = "Run against the built-in Spot simulator, ignoring any config file.")
    boolean sandbox;

    @Option(names = "--sandbox-dir", paramLabel = "DIR", defaultValue = ".sandbox",
            description = "Where sandbox mode keeps the simulator's state (default: ${DEFAULT-VALUE}).")
    Path sandboxDir = Path.of(".sandbox");

    @Option(names = "--seed", paramLabel = "FILE",
            description = "Sandbox mode: load these groups and managed instances into the simulator at start "
                    + "(a state exported from /_sim/state, or bare objects; see docs/simulator.md).")
    Path seed;

    @Option(names = {"-version", "--version"}, versionHelp = true, description = "Print the version and exit.")
    boolean version;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public Integer call() {
        return serve(spec.commandLine().getParseResult().hasMatchedOption("-config"));
    }

    /**
     * What {@link #call()} does for a start without arguments (the defaults above), without picocli: building
     * its command model takes 150-300 ms of a ~1 s warm start (bench/first-run.sh), and there is nothing to parse.
     * Returns the exit code; an unexpected failure is printed, as picocli prints it, with exit code 1.
     */
    static int serveWithoutArguments() {
        try {
            return new ServeCommand().serve(false);
        } catch (RuntimeException e) {
            e.printStackTrace();
            return 1;
        }
    }

    /**
     * What {@link #call()} does for {@code -config FILE} alone (an explicit config file: a missing one is an
     * error, exit code 2), without picocli, like {@link #serveWithoutArguments()}.
     */
    static int serveConfig(Path file) {
        try {
            ServeCommand command = new ServeCommand();
            command.config = file;
            return command.serve(true);
        } catch (RuntimeException e) {
            e.printStackTrace();
            return 1;
        }
    }

    private int serve(boolean explicitConfig) {
        PrintStream out = new PrintStream(System.out, true);
        String listen = System.getenv().getOrDefault(ConfigLoader.ENV_LISTEN, Sandbox.DEFAULT_LISTEN);
        try {
            if (sandbox || (!explicitConfig && !Files.exists(config))) {
                checkFree(listen);
                Sandbox.serve(sandboxDir, seed, System.getenv(), out, sandbox ? null : config);
                return 0;
            }
            if (seed != null) {
                throw new IllegalArgumentException("--seed only applies to sandbox mode (the built-in simulator)");
            }
            ConfigLoader loader = new ConfigLoader(System.getenv());
            ServiceConfig cfg = loader.load(config);
            listen = cfg.listenAddress();
            checkFree(listen);
            Logging.apply(cfg); // before anything logs: with logFormat json, every line is JSON
            loader.logWarnings();
            SpotApi api = SpotApi.start(cfg);
            StartupWarmup.serving();
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                api.close();
                BufferedStdoutAppender.flushAll();
            }, "shutdown"));
            org.slf4j.LoggerFactory.getLogger(ServeCommand.class).info("spot-api {} listening on {} with accounts {}",
                    BuildInfo.current().version(), cfg.listenAddress(), cfg.accounts().keySet());
            return 0;
        } catch (ConfigException e) {
            System.err.println("spot-api: " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) {
            // a bad --seed (file, or its use outside sandbox mode)
            System.err.println("spot-api: " + e.getMessage());
            return 2;
        } catch (RuntimeException e) {
            if (!isBindFailure(e)) {
                throw e;
            }
            System.err.println("spot-api: cannot listen on " + listen + " (address in use or not available); set "
                    + ConfigLoader.ENV_LISTEN + " to a free host:port, e.g. " + ConfigLoader.ENV_LISTEN
                    + "=127.0.0.1:8081");
            return 2;
        }
    }

    /**
     * Fails early, before anything starts (in sandbox mode: the simulator), when the listen address
     * cannot be bound; the server's own bind failure is still caught for the rare port taken in between.
     */
    private static void checkFree(String listen) {
        ListenAddress address = ListenAddress.parse(listen);
        if (address.port() == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as Jetty binds: a port in TIME_WAIT is free
            probe.bind(address.host() == null ? new InetSocketAddress(address.port())
                    : new InetSocketAddress(address.host(), address.port()));
        } catch (IOException e) {
            throw new UncheckedIOException(new BindException(e.getMessage()));
        }
    }

    /** True when the server could not bind its listen address (a BindException, perhaps wrapped). */
    static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return true;
            }
        }
        return false;
    }

    /** Prints the version stamped at build time. */
    public static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            BuildInfo b = BuildInfo.current();
            return new String[] {"spot-api " + b.version() + " (commit " + b.githash() + ", built " + b.buildstamp() + ")"};
        }
    }
}
