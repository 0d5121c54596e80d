package dev.spotapi.cli;

import dev.spotapi.SpotApi;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import java.io.IOException;
import dev.spotapi.spot.SpotHttp;
import java.nio.file.Files;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/**
 * Runs a sandbox briefly and sends it one request of each kind, then exits. The launcher runs it once
 * after a build with {@code -XX:ArchiveClassesAtExit} so that later starts load classes from a
 * class-data-sharing archive (start-up in a fraction of the time). With {@code --service-only} the simulator
 * runs in a child process and only the service runs in this one: the archive then holds only the classes a
 * service started from a config file loads (no simulator, Javalin, Kotlin or SQLite classes), which is the
 * archive the launcher gives that mode. Every page of an archive in use is resident (the JVM relocates it
 * when it maps it), so a smaller archive is less memory (issue 27: 37.6 MB → 28.7 MB). For the same reason the
 * requests are sent with the HTTP client the service itself uses for Spot (Jetty's, {@link SpotHttp}), and TLS is
 * prepared only with {@code --tls} (a config file that calls the real, https, Spot API: the launcher records that
 * archive for such a config): the JDK's HTTP client and ~450 TLS classes, archived but never loaded by a service
 * with http endpoints, were 931 of the archive's 5,032 classes, all resident.
 */
@Command(name = "cds-training", hidden = true, description = "Exercise a sandbox once and exit (for the CDS archive).")
public class TrainingCommand implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--service-only",
            description = "Run the simulator in a child process: archive only the service's classes.")
    boolean serviceOnly;

    @picocli.CommandLine.Option(names = "--tls",
            description = "With --service-only: an https account too, so that the service builds its TLS context.")
    boolean tls;

    private static final String INSTANCE = """
            {"name":"training","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],
             "launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},
             "imageId":"ami-0123","tags":[{"tagKey":"CreatedBy","tagValue":"training"}]}}}""";

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("spot-api-training");
        String key = "training-pre-shared-key";
        try {
            if (serviceOnly) {
                serviceOnly(dir, key, tls);
            } else {
                try (Sandbox.Running sandbox = Sandbox.start(dir, null, Map.of("SPOT_API_TOKEN", key), "127.0.0.1:0")) {
                    exercise(sandbox.api().port(), key);
                }
            }
        } finally {
            deleteTree(dir);
        }
        return 0;
    }

    /**
     * The service from a config-file-like configuration, against a simulator in a child JVM; {@code tls}: with a
     * second account on an https endpoint (never called), as a config for the real Spot API has.
     */
    private static void serviceOnly(Path dir, String key, boolean tls) throws Exception {
        String spotToken = "training-spot-token";
        String javaBin = ProcessHandle.current().info().command().orElse("java");
        Process simulator = new ProcessBuilder(javaBin, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx64m", "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "simulator", "--port", "0", "--bind",
                "127.0.0.1", "--data-dir", dir.resolve("simulator").toString(), "--account",
                Sandbox.SPOT_ACCOUNT_ID + "=" + spotToken)
                .redirectErrorStream(true).start();
        try {
            String url = simulatorUrl(simulator);
            Map<String, AccountConfig> accounts = new java.util.LinkedHashMap<>();
            accounts.put(Sandbox.ACCOUNT, new AccountConfig("us-east-1", Sandbox.SPOT_ACCOUNT_ID, spotToken,
                    Sandbox.DEFAULT_VPC, url));
            if (tls) {
                accounts.put("secure", new AccountConfig("us-east-1", "act-7e57c0de", spotToken, Sandbox.DEFAULT_VPC,
                        "https://127.0.0.1:9"));
            }
            ServiceConfig config = ConfigLoader.validate(new ServiceConfig("127.0.0.1:0", accounts,
                    key, "info", "text", Sandbox.ACCOUNT, 0, null));
            Logging.apply(config);
            try (SpotApi api = SpotApi.start(config)) {
                exercise(api.port(), key);
            }
        } finally {
            simulator.destroy();
            if (!simulator.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                simulator.destroyForcibly();
            }
        }
    }

    /** The simulator's base URL from its start-up line (it prints "Spot simulator listening on URL ..."). */
    private static String simulatorUrl(Process simulator) throws IOException {
        var out = new java.io.BufferedReader(new java.io.InputStreamReader(simulator.getInputStream(),
                java.nio.charset.StandardCharsets.UTF_8));
        String marker = "Spot simulator listening on ";
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            int at = line.indexOf(marker);
            if (at >= 0) {
                String url = line.substring(at + marker.length()).split(" ")[0];
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // keep the child's output pipe from filling up
                        }
                    } catch (IOException ignored) {
                        // the child ended
                    }
                }, "simulator-output");
                drain.setDaemon(true);
                drain.start();
                return url;
            }
        }
        throw new IOException("the simulator ended before it listened");
    }

    /** One request of each kind the service serves often, against the service on {@code port}. */
    private static void exercise(int port, String key) throws Exception {
        String base = "http://127.0.0.1:" + port + "/v1/spot";
        String token = TokenVerifier.hash(key, 4);
        HttpClient http = SpotHttp.start(5_000, false);
        try {
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
            http.stop();
        }
    }

    private static String send(HttpClient http, String method, String url, String body, String token) throws Exception {
        Request request = http.newRequest(url).method(method).timeout(30, java.util.concurrent.TimeUnit.SECONDS);
        if (body != null) {
            request.body(new StringRequestContent("application/json", body));
        }
        if (token != null) {
            request.headers(h -> h.put("X-Auth-Token", token));
        }
        return request.send().getContentAsString();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
