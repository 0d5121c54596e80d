package dev.spotapi.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "spot-api", description = "Serve the spot-api REST API.")
public class ServeCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
