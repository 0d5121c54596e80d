package dev.spotapi.cli;

import picocli.CommandLine;

/**
 * The command-line tree: the service as the default command, the simulator and the tools as subcommands.
 * Kept out of {@link Main}: the JVM's launcher resolves every type named in the main class's method
 * signatures before it calls {@code main}, and picocli's classes are not in the class-data-sharing archive
 * (pre-Java-6 bytecode), so naming {@link CommandLine} there made every start read picocli from its jar,
 * opening the jars before it on the class path (~25 ms of a warm start's main thread, docs/performance.md),
 * even the {@code -config FILE} start that never parses a command line.
 */
public final class Commands {
    private Commands() {
    }

    /** A fresh command line for {@code args}: run it with {@link CommandLine#execute(String...)}. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ServeCommand());
        cl.addSubcommand("simulator", new SimulatorCommand());
        cl.addSubcommand("hash-token", new HashTokenCommand());
        cl.addSubcommand("org-adopt", new OrgAdoptCommand());
        cl.addSubcommand("cds-training", new TrainingCommand());
        return cl;
    }
}
