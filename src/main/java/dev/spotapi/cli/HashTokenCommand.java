package dev.spotapi.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "hash-token", description = "Print a bcrypt hash of the pre-shared key, for X-Auth-Token.")
public class HashTokenCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        return 0;
    }
}
