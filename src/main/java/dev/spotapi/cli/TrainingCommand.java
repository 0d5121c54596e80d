package dev.spotapi.cli;

import dev.spotapi.auth.TokenVerifier;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * Runs a sandbox briefly and sends it one request of each kind, then exits. The launcher runs it once
 * after a build with {@code -XX:ArchiveClassesAtExit} so that later starts load classes from a
 * class-data-sharing archive (start-up in a fraction of the time).
 */
@Command(name = "cds-training", hidden = true, description = "Exercise a sandbox once and exit (for the CDS archive).")
public class TrainingCommand implements Callable<Integer> {
    private static final String INSTANCE = """
            {"name":"training","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],
             "launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},
             "imageId":"ami-0123","tags":[{"tagKey":"CreatedBy","tagValue":"training"}]}}}""";

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("spot-api-training");
        String key = "training-pre-shared-key";
        try (Sandbox.Running sandbox = Sandbox.start(dir, null, Map.of("SPOT_API_TOKEN", key), "127.0.0.1:0")) {
            String base = "http://127.0.0.1:" + sandbox.api().port() + "/v1/spot";
            String token = TokenVerifier.hash(key, 4);
            HttpClient http = HttpClient.newHttpClient();
            send(http, "GET", base + "/ping", null, null);
            send(http, "GET", base + "/metrics", null, null);
            String id = send(http, "POST", base + "/sandbox/instances", INSTANCE, token).replace("\"", "");
            for (String path : new String[] {"", "/status", "/costs"}) {
                send(http, "GET", base + "/sandbox/instances/" + id + path, null, token);
            }
            send(http, "GET", base + "/sandbox/instances", null, token);
            send(http, "GET", base + "/sandbox/elastigroups", null, token);
            send(http, "DELETE", base + "/sandbox/instances/" + id, null, token);
            send(http, "GET", base + "/sandbox/instances/smi-00000000", null, token);
        } finally {
            deleteTree(dir);
        }
        return 0;
    }

    private static String send(HttpClient http, String method, String url, String body, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("X-Auth-Token", token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
