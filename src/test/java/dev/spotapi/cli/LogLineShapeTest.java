package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 25, log line shape: the real program with {@code "logFormat": "json"} (a child JVM), driven through
 * answers of every kind (200, 403 without a token, a preflight, a client 404, a Spot account that cannot be
 * reached, a keyed request while Redis is down, an audited delete), then its stdout read line by line:
 * every line one JSON object with unique keys (a strict parser), numbers as numbers (access and audit
 * {@code status}, {@code durationMs}), a failed Spot call's facts as fields with its trace id, client errors
 * not warnings, Lettuce's reconnect warnings absent, no SLF4J start-up warning.
 */
class LogLineShapeTest {
    /** 429 as a number of its own, not three digits of a random request or trace id ({@code 98fb1f0c-96cd-4297-...}). */
    private static final java.util.regex.Pattern STATUS_429 =
            java.util.regex.Pattern.compile("(?<![0-9A-Za-z])429(?![0-9A-Za-z])");

    private static final Duration START = Duration.ofSeconds(90);
    private static final ObjectMapper STRICT = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    private final HttpClient http = HttpClient.newHttpClient();

    @TempDir
    Path dir;

    private int send(String method, String url, Map<String, String> headers) throws Exception {
        return send(method, url, headers, null);
    }

    private int send(String method, String url, Map<String, String> headers, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    void everyLineIsOneJsonObjectWithUniqueTypedFieldsAndMeaningfulLevels() throws Exception {
        int port = ProgramRun.freePort();
        int noRedis = ProgramRun.freePort();
        try (SpotSimulator sim = TestService.simulator()) {
            Path config = Files.writeString(dir.resolve("config.json"), """
                    {"listenAddress": "127.0.0.1:%d", "token": "%s", "org": "%s", "logFormat": "json",
                     "sharedState": {"redisUrl": "redis://127.0.0.1:%d", "timeoutMs": 300},
                     "accounts": {
                       "main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token", "endpoint": "%s"},
                       "down": {"region": "us-east-1", "id": "%s", "token": "main-spot-token", "endpoint": "http://127.0.0.1:9"}}}
                    """.formatted(port, TestService.KEY, TestService.ORG, noRedis, TestService.MAIN_ID, sim.baseUrl(),
                    TestService.MAIN_ID));
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
                String base = "http://127.0.0.1:" + port + "/v1/spot";
                long end = System.nanoTime() + START.toNanos();
                while (true) {
                    try {
                        if (send("GET", base + "/ping", Map.of()) == 200) {
                            break;
                        }
                    } catch (java.io.IOException notYet) {
                        assertThat(System.nanoTime()).as("started: %s", run.output()).isLessThan(end);
                        Thread.sleep(100);
                    }
                }
                Map<String, String> auth = Map.of("X-Auth-Token", TestService.TOKEN, "traceparent",
                        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
                assertThat(send("GET", base + "/main/instances", auth)).isEqualTo(200);
                assertThat(send("GET", base + "/main/instances", Map.of("traceparent", auth.get("traceparent"))))
                        .isEqualTo(403);
                send("OPTIONS", base + "/main/instances", Map.of("Origin", "http://example.test",
                        "Access-Control-Request-Method", "GET", "traceparent", auth.get("traceparent")));
                send("OPTIONS", base + "/main/instances", Map.of("Origin", "http://example.test",
                        "Access-Control-Request-Method", "GET"));
                // 429s are answers to the client, not warnings: the failed-verification budget, and Spot's own 429
                // (sent at once: past the budget an address has one verification at a time and 8 waiting, the
                // others get 429; the tokens are made first and released together, each check ~60 ms at cost 10)
                List<String> tokens = new ArrayList<>();
                for (int i = 0; i < 28; i++) {
                    tokens.add(madeUpToken(10));
                }
                var go = new java.util.concurrent.CountDownLatch(1);
                var senders = java.util.concurrent.Executors.newFixedThreadPool(tokens.size());
                List<java.util.concurrent.CompletableFuture<Integer>> wrong = new ArrayList<>();
                for (String token : tokens) {
                    wrong.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                        try {
                            go.await();
                            return send("GET", base + "/main/instances", Map.of("X-Auth-Token", token));
                        } catch (Exception e) {
                            throw new java.util.concurrent.CompletionException(e);
                        }
                    }, senders));
                }
                go.countDown();
                long tooMany = wrong.stream().map(java.util.concurrent.CompletableFuture::join).filter(s -> s == 429).count();
                senders.shutdown();
                assertThat(tooMany).as("wrong tokens past auth.failedVerificationsPerMinute").isPositive();
                send("POST", sim.baseUrl() + "/_sim/faults", Map.of("Content-Type", "application/json"),
                        "{\"method\":\"GET\",\"path\":\"/aws/ec2/group\",\"action\":\"status\",\"status\":429,\"count\":50}");
                assertThat(send("GET", base + "/main/elastigroups", auth)).isEqualTo(429);
                assertThat(send("GET", base + "/main/instances/smi-00000000", auth)).isEqualTo(404);
                assertThat(send("GET", base + "/down/instances", auth)).isEqualTo(502);
                assertThat(send("GET", base + "/down/instances", auth)).isEqualTo(502);
                assertThat(send("DELETE", base + "/main/instances/smi-00000000", auth)).isEqualTo(404);
                Map<String, String> keyed = new java.util.HashMap<>(auth);
                keyed.put("Idempotency-Key", "k-" + System.nanoTime());
                assertThat(send("POST", base + "/main/instances", keyed, """
                        {"name": "log-shape", "region": "us-east-1",
                         "compute": {"product": "Linux/UNIX", "subnetIds": ["subnet-0123"], "vpcId": "vpc-0123",
                           "launchSpecification": {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro"]},
                             "imageId": "ami-0123"}}}""")).isEqualTo(503);
                Thread.sleep(3_000); // Redis stays away: Lettuce would warn on each reconnect attempt
                run.terminate(Duration.ofSeconds(30));
                check(run.output());
            }
        }
    }

    /**
     * A well-formed bcrypt hash of nothing in particular at {@code cost}, as hardening.StarvationLatencyTest's
     * bogusToken: the service runs bcrypt at that cost to refuse it, as for a real hash of another key, but the
     * test does not spend the same CPU making it (28 cost-10 hashes here were ~2 s on the test's own thread).
     */
    private static String madeUpToken(int cost) {
        String b64 = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder(String.format("$2a$%02d$", cost));
        for (int i = 0; i < 53; i++) {
            sb.append(b64.charAt(random.nextInt(b64.length())));
        }
        return sb.toString();
    }

    private static void check(String output) throws Exception {
        List<String> problems = new ArrayList<>();
        List<JsonNode> events = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode n = STRICT.readTree(line);
                if (!n.isObject()) {
                    problems.add("not an object: " + line);
                }
                events.add(n);
            } catch (java.io.IOException e) {
                problems.add(e.getMessage().lines().findFirst().orElse("") + ": " + line);
            }
        }
        assertThat(problems).as("lines that are not one JSON object with unique keys, in:\n%s", output).isEmpty();
        List<JsonNode> access = events.stream().filter(e -> "dev.spotapi.access".equals(e.path("logger_name").asText())).toList();
        assertThat(access).hasSizeGreaterThanOrEqualTo(8);
        assertThat(access).allSatisfy(e -> {
            assertThat(e.path("status").isInt()).as("status a number: %s", e).isTrue();
            assertThat(e.path("durationMs").isNumber()).as("durationMs a number: %s", e).isTrue();
            assertThat(e.path("route").asText()).as(e.toString()).isNotEmpty();
            // the text a text-format line shows: "<method> <path> <status> <ms>ms requestId=<id>"
            assertThat(e.path("message").asText()).as(e.toString()).matches("[A-Z]+ /\\S* " + e.path("status").asInt()
                    + " " + java.util.regex.Pattern.quote(e.path("durationMs").asText()) + "ms requestId="
                    + java.util.regex.Pattern.quote(e.path("requestId").asText()));
            assertThat(e.path("traceId").asText()).as(e.toString()).matches("[0-9a-f]{32}");
        });
        assertThat(access).anySatisfy(e -> assertThat(e.path("status").asInt()).isEqualTo(403));
        List<JsonNode> audit = events.stream().filter(e -> "dev.spotapi.audit".equals(e.path("logger_name").asText())).toList();
        assertThat(audit).isNotEmpty().allSatisfy(e -> assertThat(e.path("status").isInt()).as(e.toString()).isTrue());
        JsonNode spotFailed = events.stream().filter(e -> e.path("message").asText().startsWith("spot call failed")
                        && "down".equals(e.path("account").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("no spot call failed line in:\n" + output));
        assertThat(spotFailed.path("level").asText()).isEqualTo("WARN");
        assertThat(spotFailed.path("account").asText()).isEqualTo("down");
        assertThat(spotFailed.path("kind").asText()).isEqualTo("UNREACHABLE");
        assertThat(spotFailed.path("traceId").asText()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
        assertThat(events.stream().filter(e -> e.path("message").asText().startsWith("spot call failed")
                        && "down".equals(e.path("account").asText()))
                .map(e -> e.path("requestId").asText()).distinct().count())
                .as("one line per failed request, each with its own request id").isEqualTo(2);
        assertThat(events).as("client errors are not warnings").noneMatch(e -> "WARN".equals(e.path("level").asText())
                && (e.path("message").asText().contains("smi-00000000") || e.path("status").asInt() == 404
                        || e.path("status").asInt() == 429 || e.path("spotStatus").asInt() == 429
                        || STATUS_429.matcher(e.path("message").asText()).find()
                        || "RATE_LIMITED".equals(e.path("kind").asText())));
        assertThat(access).filteredOn(e -> e.path("status").asInt() == 429).hasSizeGreaterThanOrEqualTo(2);
        assertThat(events).as("no Micrometer warnings").noneMatch(e -> e.path("logger_name").asText().startsWith("io.micrometer"));
        assertThat(events).as("no Lettuce reconnect warnings").noneMatch(e -> e.path("logger_name").asText()
                .startsWith("io.lettuce"));
        assertThat(events).as("no write answered after the caller's answer in a run without timeouts")
                .noneMatch(e -> e.path("message").asText().contains("after its caller's answer"));
        assertThat(output).doesNotContain("SLF4J");
    }
}
