package dev.spotapi.cli;

import dev.spotapi.auth.TokenVerifier;
import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Order;

/** The program as a user starts it: sandbox banner and its example, version, hash-token, config errors. */
@Order(4) // long: started first
class CommandLineTest {
    private static final Duration START = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String INSTANCE = """
            {"name":"newcomer","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],
             "launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},
             "imageId":"ami-0123","tags":[{"tagKey":"CreatedBy","tagValue":"me"}]}}}""";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    @Test
    void withNoConfigFileItStartsASandboxWhoseBannerWorksAsPrinted() throws Exception {
        int port = ProgramRun.freePort();
        String baseUrl;
        String token;
        String id;
        try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port))) {
            run.awaitLine(l -> l.contains("Try it"), START);
            String out = run.output();
            assertThat(out).contains("sandbox mode").contains("no config file at config" + java.io.File.separator + "config.json");
            baseUrl = value(out, "Base URL");
            String key = value(out, "Pre-shared key").split(" ")[0];
            token = value(out, "X-Auth-Token");
            assertThat(baseUrl).isEqualTo("http://127.0.0.1:" + port + "/v1/spot");
            assertThat(BCrypt.verifyer().verify(key.toCharArray(), token).verified).isTrue();

            // the banner's example, as printed: curl -s -H 'X-Auth-Token: ...' <base>/sandbox/instances
            String tryIt = value(out, "Try it");
            assertThat(tryIt).contains("X-Auth-Token: " + token).endsWith(baseUrl + "/sandbox/instances");
            HttpResponse<String> list = get(baseUrl + "/sandbox/instances", token);
            assertThat(list.statusCode()).isEqualTo(200);
            assertThat(list.body()).isEqualTo("[]");

            HttpResponse<String> created = send("POST", baseUrl + "/sandbox/instances", token, INSTANCE);
            assertThat(created.statusCode()).isEqualTo(200);
            id = JSON.readTree(created.body()).asText();
            assertThat(id).matches("smi-[0-9a-f]{8}");
            JsonNode summary = JSON.readTree(get(baseUrl + "/sandbox/instances/" + id, token).body());
            assertThat(summary.path("state").asText()).isEqualTo("ACTIVE");
            assertThat(summary.path("tags").toString()).endsWith("{\"spinup:org\":\"sandbox\"}]");

            assertThat(run.terminate(Duration.ofSeconds(30))).as("exit after SIGTERM").isIn(0, 143);
        }
        assertThat(dir.resolve(".sandbox/simulator")).isDirectory();

        // a second start in the same directory finds the sandbox's state again
        try (ProgramRun again = ProgramRun.start(dir, Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port,
                "SPOT_API_TOKEN", "chosen-key-0123456789"))) {
            again.awaitLine(l -> l.contains("Try it"), START);
            assertThat(again.output()).as("a key the operator chose is never printed").doesNotContain("chosen-key-0123456789");
            String newToken = TokenVerifier.hash("chosen-key-0123456789", 4);
            HttpResponse<String> list = get(baseUrl + "/sandbox/instances", newToken);
            assertThat(list.body()).contains(id);
            assertThat(get(baseUrl + "/sandbox/instances", token).statusCode())
                    .as("the old generated key is not the key any more").isEqualTo(403);
        }
    }

    @Test
    void sandboxFlagIgnoresAnExistingConfigFile() throws Exception {
        writeConfig("{\"listenAddress\":\"127.0.0.1:1\"}"); // invalid: would fail if it were read
        int port = ProgramRun.freePort();
        // --seed loads the sandbox's simulator (issue 11 item 10): top-level objects go to the sandbox account;
        // the sandbox's org is "sandbox", and under org isolation only objects tagged with it are visible
        Path seed = Files.writeString(dir.resolve("seed.json"), "{\"managedInstances\": [{\"id\": \"smi-5eed0001\", \"name\": \"seeded\","
                + " \"region\": \"us-east-1\", \"compute\": {\"subnetIds\": [\"subnet-1\"], \"vpcId\": \"vpc-1\","
                + " \"launchSpecification\": {\"tags\": [{\"tagKey\": \"spinup:org\", \"tagValue\": \"sandbox\"}]}}}]}");
        try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port), "--sandbox",
                "--seed", seed.toString())) {
            run.awaitLine(l -> l.contains("Try it"), START);
            assertThat(run.output()).contains("in sandbox mode").doesNotContain("no config file");
            assertThat(get("http://127.0.0.1:" + port + "/v1/spot/ping", null).body()).isEqualTo("pong");
            String token = value(run.output(), "X-Auth-Token");
            assertThat(get("http://127.0.0.1:" + port + "/v1/spot/sandbox/instances", token).body()).contains("smi-5eed0001");
        }
    }

    @Test
    void versionPrintsTheStampedVersionAndExits() throws Exception {
        for (String flag : new String[] {"-version", "--version"}) {
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), flag)) {
                assertThat(run.exitCode(START)).isZero();
                assertThat(run.output()).matches("(?s).*spot-api \\d+\\.\\d+\\.\\d+.* \\(commit .+, built .+\\).*");
            }
        }
    }

    @Test
    void hashTokenPrintsACost10HashOfTheKeyFromArgumentOrStdin() throws Exception {
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "hash-token", "s3cret")) {
            assertThat(run.exitCode(START)).isZero();
            String hash = run.output().strip();
            assertThat(hash).startsWith("$2a$10$").hasSize(60);
            assertThat(BCrypt.verifyer().verify("s3cret".toCharArray(), hash).verified).isTrue();
        }
        Path keyFile = Files.writeString(dir.resolve("key.txt"), "from-stdin\n");
        List<String> command = new java.util.ArrayList<>(dev.spotapi.support.ChildJvm.command("128m"));
        command.addAll(List.of(Main.class.getName(), "hash-token"));
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(keyFile.toFile()).redirectErrorStream(true);
        Process p = pb.start();
        String hash = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).isZero();
        assertThat(BCrypt.verifyer().verify("from-stdin".toCharArray(), hash).verified).isTrue();
    }

    @Test
    void anInvalidConfigStopsStartUpWithExitCode2AndNamesTheField() throws Exception {
        Path config = writeConfig("""
                {"listenAddress": ":0", "token": "a-key-long-enough-42", "org": "o",
                 "accounts": {"prod": {"id": "act-12345678", "token": ""}}}""");
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
            assertThat(run.exitCode(START)).isEqualTo(2);
            assertThat(run.output()).contains("accounts.prod.token");
        }
    }

    /** The example Secret's placeholder key (deploy/k8s) stops the service: exit 2, naming the field. */
    @Test
    void thePlaceholderKeyOfTheExampleSecretStopsStartUpWithExitCode2() throws Exception {
        Path config = writeConfig("""
                {"listenAddress": ":0", "org": "o",
                 "accounts": {"prod": {"id": "act-12345678", "token": "0123456789abcdef"}}}""");
        try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_TOKEN", "REPLACE-WITH-A-LONG-RANDOM-PRE-SHARED-KEY"),
                "-config", config.toString())) {
            assertThat(run.exitCode(START)).isEqualTo(2);
            assertThat(run.output()).contains("token: still the example's placeholder").doesNotContain("listening");
        }
    }

    @Test
    void anExplicitConfigFileThatIsMissingIsAnErrorNotASandbox() throws Exception {
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "--config", "missing.json")) {
            assertThat(run.exitCode(START)).isEqualTo(2);
            assertThat(run.output()).contains("config file not found").doesNotContain("sandbox");
        }
    }

    @Test
    void aConfigFileServesItsAccountsAndTheEnvironmentOverridesKeyAndListenAddress() throws Exception {
        int port = ProgramRun.freePort();
        Path config = writeConfig("""
                {"listenAddress": "127.0.0.1:1", "token": "file-key", "org": "o", "logFormat": "json",
                 "someFieldFromTheFuture": true,
                 "accounts": {"prod": {"id": "act-12345678", "token": "t", "endpoint": "http://127.0.0.1:9"}}}""");
        try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_TOKEN", "env-key-0123456789",
                "SPOT_API_LISTEN", "127.0.0.1:" + port), "-config", config.toString())) {
            String started = run.awaitLine(l -> l.contains("listening on"), START);
            assertThat(JSON.readTree(started).path("level").asText()).as("json log format").isEqualTo("INFO");
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            String envToken = BCrypt.withDefaults().hashToString(4, "env-key-0123456789".toCharArray());
            String fileToken = BCrypt.withDefaults().hashToString(4, "file-key".toCharArray());
            assertThat(get(base + "/prod/instances", fileToken).statusCode()).isEqualTo(403);
            HttpResponse<String> unreachable = get(base + "/prod/instances", envToken);
            assertThat(unreachable.statusCode()).as("authorised; the account's endpoint is down").isEqualTo(502);
            // the 403 before it carries the route too (issue 25: a route label for every answer): take the 502's line
            String accessLine = run.awaitLine(l -> l.contains("\"route\":\"/v1/spot/{account}/instances\"")
                    && l.contains("\"status\":502"), START);
            JsonNode access = JSON.readTree(accessLine);
            assertThat(access.path("requestId").asText()).isEqualTo(unreachable.headers().firstValue("X-Request-Id").orElseThrow());
            assertThat(access.path("account").asText()).isEqualTo("prod");
            assertThat(access.path("status").isInt()).as("status is a JSON number: %s", accessLine).isTrue();
            assertThat(access.path("status").asInt()).isEqualTo(502);
            assertThat(access.path("durationMs").isNumber()).as("durationMs is a JSON number: %s", accessLine).isTrue();
            assertThat(run.output()).doesNotContain("env-key-0123456789").doesNotContain(envToken);
            // Every line is JSON, from the very first: the start-up warning about the unknown field included.
            List<String> lines = run.output().lines().filter(l -> !l.isBlank()).toList();
            assertThat(lines.get(0)).contains("someFieldFromTheFuture");
            for (String line : lines) {
                assertThat(JSON.readTree(line).isObject()).as("a JSON object: %s", line).isTrue();
            }
        }
    }

    @Test
    void theSimulatorCommandLogsEveryRequestAndLosesNoLineAtExit() throws Exception {
        int port = ProgramRun.freePort();
        String account = "act-0badf00d";
        Path seed = Files.writeString(dir.resolve("seed.json"), "{\"groups\": [{\"id\": \"sig-5eed0001\", \"name\": \"seeded\","
                + " \"region\": \"us-east-1\", \"capacity\": {\"minimum\": 0, \"target\": 1, \"maximum\": 1}, \"compute\": {}}]}");
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "simulator", "--port", Integer.toString(port),
                "--account", account + "=sim-token", "--seed", seed.toString(), "--transition-seconds", "5",
                "--rate-limit", "1000")) {
            run.awaitLine(l -> l.contains("Spot simulator listening on"), START);
            String admin = "http://127.0.0.1:" + port + "/_sim/";
            assertThat(JSON.readTree(get(admin + "transitions", null).body()).path("seconds").asInt()).isEqualTo(5);
            assertThat(JSON.readTree(get(admin + "rate-limit", null).body()).path("limit").asInt()).isEqualTo(1000);
            assertThat(get(admin + "state", null).body()).contains("sig-5eed0001");
            String url = "http://127.0.0.1:" + port + "/aws/ec2/group?accountId=" + account;
            int requests = 40;
            for (int i = 0; i < requests; i++) {
                HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer sim-token").build();
                assertThat(http.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
            }
            run.terminate(START); // right after the last request: its lines are still in the buffer
            assertThat(run.output().lines().filter(l -> l.contains("sim.access GET /aws/ec2/group 200"))).hasSize(requests);
        }
    }

    private Path writeConfig(String json) throws IOException {
        Files.createDirectories(dir.resolve("config"));
        return Files.writeString(dir.resolve("config/config.json"), json);
    }

    private static String value(String banner, String label) {
        return banner.lines().filter(l -> l.strip().startsWith(label)).findFirst()
                .map(l -> l.substring(l.indexOf(':') + 1).strip())
                .orElseThrow(() -> new AssertionError("no '" + label + "' in: " + banner));
    }

    private HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
        return send("GET", url, token, null);
    }

    private HttpResponse<String> send(String method, String url, String token, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("X-Auth-Token", token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
