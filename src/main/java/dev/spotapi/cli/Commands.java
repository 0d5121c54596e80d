package dev.spotapi.cli;

import picocli.CommandLine;

/**
 * The command-line tree: the service as the default command, the simulator and the tools as subcommands.
 * Kept out of {@link Main}: the JVM's launcher resolves every type named in the main class's method
 * signatures before it calls {@code main}, and picocli's classes are not in the class-data-sharing archive
 * (pre-Java-6 bytecode), so naming {@link CommandLine} there made every start parse picocli's main class from
 * its jar before {@code main}, even the {@code -config FILE} start that never parses a command line (async-profiler,
 * warm start: 94 of the main thread's 682 samples, most of them opening the jars before picocli's on the class path,
 * which a later class-path look-up opens anyway; docs/performance.md).
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
