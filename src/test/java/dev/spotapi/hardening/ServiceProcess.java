package dev.spotapi.hardening;

import dev.spotapi.support.ChildJvm;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * spot-api in a process of its own (a child JVM started from a config file), for the tests that kill it or
 * restart it: start it, wait until it answers, and send it requests with the test token.
 */
final class ServiceProcess {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ServiceProcess() {
    }

    /**
     * A config file's text: the service on {@code port} with the test key and org, one account {@code main}
     * whose Spot endpoint is {@code spotEndpoint}, and {@code more} (further top-level members, JSON text
     * without the braces, e.g. {@code "tasks": {...}}; empty for none).
     */
    static String config(int port, String spotEndpoint, String more) {
        return """
                {"listenAddress": "127.0.0.1:%d", "token": "%s", "logLevel": "info", "org": "%s",
                 "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token",
                                       "defaultVPC": "vpc-default0001", "endpoint": "%s"}}%s}"""
                .formatted(port, TestService.KEY, TestService.ORG, TestService.MAIN_ID, spotEndpoint,
                        more.isEmpty() ? "" : ",\n " + more);
    }

    /** Starts {@code spot-api -config config} (256 MiB heap), its output into {@code output}. */
    static Process start(Path config, Path output) throws IOException {
        List<String> command = new ArrayList<>(ChildJvm.command("256m"));
        command.addAll(List.of("dev.spotapi.cli.Main", "-config", config.toString()));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /**
     * Writes {@code dir/config.json} ({@link #config}), starts the service from it ({@link #start}, output into
     * {@code output}) and waits until it answers ({@link #awaitUp}); the caller ends the process.
     */
    static Process startUp(Path dir, int port, String spotEndpoint, String more, Path output) throws Exception {
        Path config = dir.resolve("config.json");
        Files.writeString(config, config(port, spotEndpoint, more));
        Process process = start(config, output);
        try {
            awaitUp(process, "http://127.0.0.1:" + port + "/v1/spot", output);
        } catch (Exception | Error e) {
            process.destroyForcibly();
            throw e;
        }
        return process;
    }

    /** Sends a request with the test's {@code X-Auth-Token} (30 s timeout). */
    static HttpResponse<String> send(String method, String url, String body, Map<String, String> headers)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("X-Auth-Token", TestService.TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Waits up to 60 s for {@code /ping}; fails with the process's output if it ends or never answers. */
    static void awaitUp(Process process, String base, Path output) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("spot-api exited with " + process.exitValue() + ":\n"
                        + String.join("\n", Files.readAllLines(output)));
            }
            try {
                if (send("GET", base + "/ping", null, Map.of()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("spot-api did not start:\n" + String.join("\n", Files.readAllLines(output)));
    }

    /** A loopback port free now. */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
