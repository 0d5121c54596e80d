package dev.spotapi.cli;

import dev.spotapi.sim.SpotSimulator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code spot-api simulator}: runs the built-in Spot API simulator until SIGTERM or Ctrl-C. */
@Command(name = "simulator",
        description = "Run the built-in Spot API simulator (see docs/simulator.md).")
public class SimulatorCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--port", defaultValue = "8081", description = "Port to listen on (0 = any free port). Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--bind", defaultValue = "127.0.0.1", description = "Address to listen on. Default: ${DEFAULT-VALUE}.")
    String bind;

    @Option(names = "--data-dir", description = "Keep state in SQLite in this directory (default: in memory).")
    Path dataDir;

    @Option(names = "--account", paramLabel = "ID=TOKEN",
            description = "A Spot account and its API token, e.g. act-1234abcd=secret (repeatable). "
                    + "Default: one generated account.")
    List<String> accounts = new ArrayList<>();

    @Option(names = "--seed", paramLabel = "FILE",
            description = "Load these groups and managed instances at start, replacing stored ones "
                    + "(a state exported from /_sim/state, or bare objects).")
    Path seed;

    @Option(names = "--transition-seconds", paramLabel = "N", defaultValue = "60",
            description = "Simulated seconds a managed instance stays PAUSING, RESUMING or RECYCLING "
                    + "(0 = at once). Default: ${DEFAULT-VALUE}.")
    long transitionSeconds;

    @Option(names = "--rate-limit", paramLabel = "N", defaultValue = "0",
            description = "Spot's rate limit: at most N requests per account, route and method in any 60 s "
                    + "(0 = off). Default: ${DEFAULT-VALUE}.")
    int rateLimit;

    @Override
    public Integer call() throws InterruptedException {
        SpotSimulator.Builder builder = SpotSimulator.builder().bind(bind).dataDir(dataDir).seed(seed);
        try {
            builder.port(port);
            builder.transitionDuration(Duration.ofSeconds(transitionSeconds));
            builder.rateLimit(rateLimit);
            for (String account : accounts) {
                int eq = account.indexOf('=');
                if (eq <= 0 || eq == account.length() - 1) {
                    throw new IllegalArgumentException("expected ID=TOKEN, e.g. act-1234abcd=secret");
                }
                builder.account(account.substring(0, eq), account.substring(eq + 1));
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Invalid option: " + e.getMessage());
        }
        SpotSimulator simulator;
        try {
            simulator = builder.start();
        } catch (RuntimeException e) {
            spec.commandLine().getErr().println("Cannot start the simulator: " + e.getMessage());
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            simulator.close();
            BufferedStdoutAppender.flushAll();
            stopped.countDown();
        }, "simulator-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Spot simulator listening on " + simulator.baseUrl());
        for (Map.Entry<String, String> account : simulator.accounts().entrySet()) {
            out.println("  account " + account.getKey() + "  token " + account.getValue());
        }
        out.println("Admin API: " + simulator.baseUrl() + "/_sim/health  (Ctrl-C to stop)");
        out.flush();
        stopped.await();
        return 0;
    }
}
