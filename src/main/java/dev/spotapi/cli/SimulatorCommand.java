package dev.spotapi.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** Placeholder: the simulator command is being written (issue 2). */
@Command(name = "simulator", description = "Run the built-in Spot API simulator.")
public class SimulatorCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 1;
    }
}
