package dev.spotapi.cli;

import picocli.CommandLine;

/** Entry point: the service is the default command; subcommands add the simulator and tools. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        int exit = commandLine().execute(args);
        if (exit != 0) {
            System.exit(exit);
        }
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new ServeCommand());
        cl.addSubcommand("simulator", new SimulatorCommand());
        cl.addSubcommand("hash-token", new HashTokenCommand());
        return cl;
    }
}
