package dev.spotapi.cli;

import dev.spotapi.auth.TokenVerifier;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Prints a bcrypt hash (cost 10) of the pre-shared key, ready to send as X-Auth-Token. */
@Command(name = "hash-token", description = "Print a bcrypt hash (cost 10) of KEY to use as X-Auth-Token;"
        + " reads KEY from standard input when not given.")
public class HashTokenCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "KEY", description = "The pre-shared key.")
    String key;

    @Override
    public Integer call() throws IOException {
        String k = key;
        if (k == null) {
            k = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        }
        if (k == null || k.isEmpty()) {
            System.err.println("hash-token: no key given");
            return 2;
        }
        System.out.println(TokenVerifier.hash(k, 10));
        return 0;
    }
}
