package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.RedisProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.spotapi.cli.ProgramRun;
import org.junit.jupiter.api.Test;

/**
 * Attack round 17, operator: a newcomer who deploys spot-api from the docs (configuration.md, operations.md,
 * scaling.md, the Kubernetes overlays) and misconfigures it the way operators do. Every service here is the real
 * program ({@code dev.spotapi.cli.Main}) in a child JVM, as {@code ./spot-api -config FILE} runs it; Spot is the
 * simulator in this JVM, Redis a real redis-server. Black-box: exit codes, output lines, HTTP answers.
 */
class AttackRound17OperatorTest extends ProgramHarness {
    private static final String KEY = "op17-pre-shared-key-0123456789";
    private static final String SPOT_ID = "act-17171717";
    private static final String SPOT_TOKEN = "op17-spot-token-0123456789";

    AttackRound17OperatorTest() {
        super(KEY, SPOT_ID, SPOT_TOKEN, "op17");
    }

    /**
     * Attack: the production overlay passes the pre-shared key as {@code SPOT_API_TOKEN} from the Secret's
     * {@code token} key (config-from-secret.yaml); a Secret made with {@code kubectl create secret --from-file}
     * or {@code echo key | base64} carries the key with a trailing newline (also: a leading blank).
     * Expected: the key's surrounding blanks are stripped (the hash of the key the operator wrote down works, as
     * {@code hash-token} of a stdin line does and as the Spot account token's newline is tolerated), or the start
     * stops with exit code 2 naming {@code SPOT_API_TOKEN}. Not a service that starts "fine" and answers every
     * caller 403.
     */
    @Test
    void aPreSharedKeyWithATrailingNewlineFromTheSecretIsStrippedOrRefused() throws Exception {
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String variant : List.of(KEY + "\n", " " + KEY)) {
            int port = ProgramRun.freePort();
            Path config = config("nl", port, Map.of(), "");
            try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_TOKEN", variant), "-config", config.toString())) {
                String first = run.awaitEither(l -> l.contains("listening on"), START);
                if (first == null) {
                    int code = run.exitCode(START);
                    outcomes.put(JSON.writeValueAsString(variant), "exit " + code + ": " + run.output());
                    assertThat(code).isEqualTo(2);
                    assertThat(run.output()).contains("SPOT_API_TOKEN");
                    continue;
                }
                HttpResponse<String> r = get(base(port) + "/nl/instances", hash(KEY));
                outcomes.put(JSON.writeValueAsString(variant), r.statusCode() + " " + r.body());
            }
        }
        assertThat(outcomes).as("SPOT_API_TOKEN with blanks around the key: the hash of the key is served")
                .allSatisfy((variant, outcome) -> assertThat(outcome).startsWith("200"));
    }

    /**
     * Attack: numeric settings an operator gets wrong in the file: {@code spot.deadlineMs: -5},
     * {@code spot.maxAttempts: 0} (meant: no retries), {@code sharedState.timeoutMs: 0}, {@code
     * http.stopTimeoutMs: -1}. Expected (configuration.md: "Any invalid field stops start-up with exit code 2 and a
     * message naming the field"): exit code 2 naming the field. Not a start that silently replaces the value by the
     * default (60 s, 4 attempts, 1 s) and says nothing.
     */
    @Test
    void aNonPositiveNumericSettingStopsTheStartNamingTheFieldInsteadOfBecomingTheDefault() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("spot.deadlineMs", "\"spot\": {\"deadlineMs\": -5}");
        cases.put("spot.maxAttempts", "\"spot\": {\"maxAttempts\": 0}");
        cases.put("sharedState.timeoutMs", "\"sharedState\": {\"timeoutMs\": 0}");
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (var c : cases.entrySet()) {
            int port = ProgramRun.freePort();
            Path config = config("p", port, Map.of(), c.getValue() + ",");
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
                String started = run.awaitEither(l -> l.contains("listening on"), START);
                outcomes.put(c.getKey(), started != null ? "started: " + started
                        : "exit " + run.exitCode(START) + ": " + run.output());
            }
        }
        assertThat(outcomes).allSatisfy((field, outcome) ->
                assertThat(outcome).as(field).startsWith("exit 2").contains(field));
    }

    /**
     * Attack: a Redis URL of the right scheme but a wrong part: a port out of range ({@code redis://127.0.0.1:99999})
     * in the file, a database that is not a number ({@code redis://127.0.0.1:6379/abc}) in
     * {@code SPOT_API_REDIS_URL} (a negative one, {@code /-1}, behaves the same: measured by hand). Held in part:
     * each stops the start with exit code 2. Expected too: the message names the field ({@code sharedState.redisUrl}
     * or {@code SPOT_API_REDIS_URL}), as every other invalid field's does; not a bare {@code For input string:
     * "abc"}, {@code Invalid database number: -1} or {@code Port out of range: 99999}.
     */
    @Test
    void aMalformedRedisUrlStopsTheStartWithAMessageNamingTheField() throws Exception {
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String url : List.of("redis://127.0.0.1:99999")) {
            Path config = config("p", ProgramRun.freePort(), Map.of(), "\"sharedState\": {\"redisUrl\": \"" + url + "\"},");
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
                int code = run.exitCode(START);
                outcomes.put("file " + url, code + " " + lastLine(run.output()));
            }
        }
        Path config = config("p", ProgramRun.freePort(), Map.of(), "");
        try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_REDIS_URL", "redis://127.0.0.1:6379/abc"),
                "-config", config.toString())) {
            int code = run.exitCode(START);
            outcomes.put("env redis://127.0.0.1:6379/abc", code + " " + lastLine(run.output()));
        }
        assertThat(outcomes).as("held: exit code 2").allSatisfy((what, outcome) -> assertThat(outcome).startsWith("2 "));
        assertThat(outcomes).allSatisfy((what, outcome) -> assertThat(outcome).as(what)
                .containsAnyOf(what.startsWith("env") ? "SPOT_API_REDIS_URL" : "sharedState.redisUrl"));
    }

    /**
     * Attack: a replica whose Redis settings are wrong while Redis itself is up and serves the other replicas: a
     * database index Redis does not have ({@code redis://host:port/99}: {@code ERR DB index is out of range}),
     * {@code rediss://} against a plain-text Redis (TLS handshake fails). Expected (operations.md: a replica Redis
     * refuses is "a misconfigured replica: a rollout stops there"): {@code /ready} 503 as for a refused password,
     * and {@code /health} not calling Redis "unreachable" (it answered). Measured: {@code /ready} 200 {@code ready}
     * throughout, {@code reason: unreachable}; the rollout goes on and every keyed request of the new pods is a
     * 503, the rate budget and write order per replica.
     */
    @Test
    void aReplicaMisconfiguredForARunningRedisIsNotReady() throws Exception {
        try (RedisProcess redis = RedisProcess.start()) {
            Map<String, Integer> ports = new LinkedHashMap<>();
            List<ProgramRun> runs = new ArrayList<>();
            try {
                // (rediss:// against a plain-text Redis is left: its TLS handshake waits unanswered, as a stalled Redis
                // does; docs/reliability.md, attack round 17)
                for (String url : List.of("redis://127.0.0.1:" + redis.port() + "/99")) {
                    int port = ProgramRun.freePort();
                    ports.put(url, port);
                    runs.add(ProgramRun.start(dir, Map.of(), "-config",
                            config("p", port, Map.of(), "\"sharedState\": {\"redisUrl\": \"" + url + "\"},").toString()));
                }
                for (ProgramRun run : runs) {
                    run.awaitLine(l -> l.contains("listening on"), START);
                }
                Map<String, String> outcomes = new LinkedHashMap<>();
                long end = System.nanoTime() + Duration.ofSeconds(4).toNanos();
                do {
                    for (var e : ports.entrySet()) {
                        int ready = HTTP.send(HttpRequest.newBuilder(URI.create(base(e.getValue()) + "/ready")).build(),
                                HttpResponse.BodyHandlers.ofString()).statusCode();
                        String health = HTTP.send(HttpRequest.newBuilder(URI.create(base(e.getValue()) + "/health")).build(),
                                HttpResponse.BodyHandlers.ofString()).body();
                        if (!outcomes.getOrDefault(e.getKey(), "").startsWith("ready 503")) {
                            outcomes.put(e.getKey(), "ready " + ready + ", health " + health);
                        }
                    }
                    Thread.sleep(500);
                } while (System.nanoTime() < end);
                assertThat(outcomes).allSatisfy((url, outcome) -> assertThat(outcome).as(url)
                        .startsWith("ready 503").doesNotContain("\"reason\":\"unreachable\""));
            } finally {
                for (ProgramRun run : runs) {
                    run.close();
                }
            }
        }
    }

    /**
     * Attack: a Spot account configured with an id not of Spot's form: blanks around it ({@code " act-12345678 "},
     * pasted from a console), no {@code act-} prefix ({@code 12345678}). Expected: the start stops with exit code 2
     * naming {@code accounts.<name>.id} (or the blanks are stripped). Measured: the service starts, and every call
     * of the account is a 502 "Spot rejected the credentials configured for this account (HTTP 401)", pointing
     * the operator at the token, not at the id.
     */
    @Test
    void anAccountIdNotOfSpotsFormIsRefusedAtStart() throws Exception {
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String id : List.of(" " + SPOT_ID + " ", SPOT_ID.substring(4))) {
            int port = ProgramRun.freePort();
            Path config = config("p", port, Map.of("id", id), "");
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
                String started = run.awaitEither(l -> l.contains("listening on"), START);
                if (started == null) {
                    outcomes.put(id, "exit " + run.exitCode(START) + " " + lastLine(run.output()));
                    continue;
                }
                HttpResponse<String> r = get(base(port) + "/p/instances", hash(KEY));
                outcomes.put(id, r.statusCode() + " " + r.body());
            }
        }
        assertThat(outcomes).allSatisfy((id, outcome) -> assertThat(outcome).as("id '%s'", id)
                .satisfiesAnyOf(o -> assertThat(o).startsWith("exit 2").contains("accounts.p.id"),
                        o -> assertThat(o).startsWith("200")));
    }

    /**
     * Attack: an account endpoint of plain {@code http://} to a host that is not this machine
     * ({@code http://api.spotinst.io}, {@code http://spot-proxy.internal:8080}): every call then carries the
     * account's Spot API token ({@code Authorization: Bearer}) in clear text. Expected: the start stops naming
     * {@code accounts.<name>.endpoint}, or at least one WARN line names it. Measured: the start is silent. (No
     * traffic leaves this machine: the test only starts the service.)
     */
    @Test
    void aCleartextEndpointToAnotherHostIsRefusedOrWarnedAbout() throws Exception {
        Map<String, String> outcomes = new LinkedHashMap<>();
        for (String endpoint : List.of("http://api.spotinst.io", "http://spot-proxy.internal:8080")) {
            Path config = config("p", ProgramRun.freePort(), Map.of("endpoint", endpoint), "");
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
                String started = run.awaitEither(l -> l.contains("listening on"), START);
                outcomes.put(endpoint, started == null ? "exit " + run.exitCode(START) + " " + run.output() : run.output());
            }
        }
        assertThat(outcomes).allSatisfy((endpoint, outcome) -> assertThat(outcome).as(endpoint)
                .satisfiesAnyOf(o -> assertThat(o).startsWith("exit 2").contains("accounts.p.endpoint"),
                        o -> assertThat(o.lines().filter(l -> l.contains("WARN") && l.contains("accounts.p.endpoint")))
                                .isNotEmpty()));
    }

    /**
     * Attack: {@code "logLevel": "debug"} with {@code "logFormat": "json"}, the setting an operator turns on to
     * debug a failed portal request, and one request of an account whose Spot token Spot refuses. Expected
     * (operations.md, Tracing: "logged as traceId ... the access line and every line of the request, also those
     * logged while Spot's answer to it is handled"): every line about that request, the DEBUG ones included,
     * carries its {@code traceId} and {@code requestId}. Measured: SpotClient's DEBUG line {@code spot call failed
     * account=bad op=... spotRequestId=...} carries neither (only ErrorMapper's WARN line does).
     */
    @Test
    void atDebugLevelEveryLineOfAFailedRequestCarriesItsTraceIdAndRequestId() throws Exception {
        int port = ProgramRun.freePort();
        Path config = config("bad", port, Map.of("token", "op17-wrong-spot-token-0123"),
                "\"logLevel\": \"debug\", \"logFormat\": \"json\",");
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
            run.awaitLine(l -> l.contains("listening on"), START);
            String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base(port) + "/bad/instances"))
                    .header("X-Auth-Token", hash(KEY)).header("X-Request-Id", "op17-debug-request")
                    .header("traceparent", "00-" + traceId + "-00f067aa0ba902b7-01").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(502);
            run.awaitLine(l -> l.contains("\"status\":502"), START);
            List<String> about = new ArrayList<>();
            for (String line : run.output().lines().toList()) {
                if (line.contains("spot call failed") || line.contains("op17-debug-request")) {
                    about.add(line);
                }
            }
            assertThat(about).as("lines about the request").hasSizeGreaterThanOrEqualTo(2);
            for (String line : about) {
                JsonNode node = JSON.readTree(line);
                assertThat(node.path("traceId").asText()).as("traceId of %s", line).isEqualTo(traceId);
                assertThat(node.path("requestId").asText()).as("requestId of %s", line).isEqualTo("op17-debug-request");
            }
        }
    }

    /**
     * Attack: the portal's own request id, in {@code X-Request-Id}, of a form spot-api does not keep ("sane":
     * {@code [A-Za-z0-9._:-]{1,64}}): a base64 id ({@code portal/Req+17==}), one of 65-100 characters, one with a
     * blank ({@code portal req 17}). Expected (an operator follows a failed portal request by the id the portal
     * logged): the caller's id, sanitised or clipped, is still findable in spot-api's log line of that request
     * (e.g. a {@code callerRequestId} field) when spot-api makes its own. Measured: it is replaced by a new UUID
     * and appears nowhere in the log: the portal's request cannot be found.
     */
    @Test
    void aCallerRequestIdThatIsReplacedIsStillFindableInTheLog() throws Exception {
        int port = ProgramRun.freePort();
        Path config = config("p", port, Map.of(), "\"logFormat\": \"json\",");
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
            run.awaitLine(l -> l.contains("listening on"), START);
            Map<String, String> missing = new LinkedHashMap<>();
            for (String id : List.of("portal/Req+17==", "portal-" + "0123456789".repeat(7), "portal req 17")) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base(port) + "/p/instances"))
                        .header("X-Auth-Token", hash(KEY)).header("X-Request-Id", id).build(),
                        HttpResponse.BodyHandlers.ofString());
                String ours = r.headers().firstValue("X-Request-Id").orElseThrow();
                String access = run.awaitLine(l -> l.contains(ours) && l.contains("dev.spotapi.access"), START);
                // every id starts with "portal", which nothing else in the line contains
                if (!ours.equals(id) && !access.contains("portal")) {
                    missing.put(id, "answered X-Request-Id " + ours + "; access line " + access);
                }
            }
            assertThat(missing).as("caller request ids found nowhere in the request's log line").isEmpty();
        }
    }

    /**
     * Attack: a config file whose keys differ from the documented ones only in case, as the Go service read them
     * (Go's encoding/json matches keys case-insensitively; configuration.md: "The Go service's JSON file,
     * unchanged"): {@code accounts.p.defaultVpc}, {@code sharedState.redisURL}. Expected: read as
     * {@code defaultVPC} and {@code redisUrl} (or the start stops naming the key meant). Measured: each is
     * "ignoring unknown field 'defaultVpc'" (a bare key, not its path) and the service runs without it: an
     * instance create goes to Spot without the account's VPC (the simulator: 400 "vpcId" is required), and a replica meant to share Redis runs on its own
     * in-process state ({@code /health}: {@code "type":"embedded"}).
     */
    @Test
    void configKeysThatDifferOnlyInCaseAreReadAsTheGoServiceReadThem() throws Exception {
        int port = ProgramRun.freePort();
        int closed = ProgramRun.freePort();
        Path config = config("p", port, Map.of("defaultVpc", "vpc-0000000000000017"),
                "\"sharedState\": {\"redisURL\": \"redis://127.0.0.1:" + closed + "\"},");
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
            String started = run.awaitEither(l -> l.contains("listening on"), START);
            if (started == null) {
                assertThat(run.exitCode(START)).isEqualTo(2);
                assertThat(run.output()).contains("defaultVpc");
                return;
            }
            HttpResponse<String> created = HTTP.send(HttpRequest.newBuilder(URI.create(base(port) + "/p/instances"))
                    .header("X-Auth-Token", hash(KEY)).POST(HttpRequest.BodyPublishers.ofString(
                            "{\"name\":\"op17-vpc\",\"region\":\"us-east-1\",\"compute\":{\"subnetIds\":[\"subnet-0123\"],"
                                    + "\"launchSpecification\":{\"instanceTypes\":{\"preferredType\":\"t3a.micro\","
                                    + "\"types\":[\"t3a.micro\"]},\"imageId\":\"ami-0123\"}}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String inSpot = created.body();
            if (created.statusCode() == 200) {
                inSpot = HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/aws/ec2/managedInstance/"
                        + created.body().replace("\"", "") + "?accountId=" + SPOT_ID))
                        .header("Authorization", "Bearer " + SPOT_TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
            }
            String health = HTTP.send(HttpRequest.newBuilder(URI.create(base(port) + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Map<String, String> found = new LinkedHashMap<>();
            if (!inSpot.contains("vpc-0000000000000017")) {
                found.put("accounts.p.defaultVpc ignored: create " + created.statusCode(), inSpot);
            }
            if (health.contains("\"type\":\"embedded\"")) {
                found.put("sharedState.redisURL ignored", health);
            }
            assertThat(found).as("keys read as the Go service read them; output: %s", run.output()).isEmpty();
        }
    }

    /**
     * Held: at {@code logLevel: debug} nothing secret is logged: not the pre-shared key, not the caller's
     * {@code X-Auth-Token}, not the Spot API token (also with a trailing newline, which is tolerated and served),
     * not a password in an account endpoint's user info.
     */
    @Test
    void heldNoSecretInDebugLogsAndASpotTokenNewlineIsServed() throws Exception {
        int port = ProgramRun.freePort();
        Path config = config("p", port, Map.of("token", SPOT_TOKEN + "\n",
                "endpoint", "http://op17user:op17-endpoint-secret@127.0.0.1:" + sim.port()),
                "\"logLevel\": \"debug\", \"logFormat\": \"json\",");
        String token = hash(KEY);
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
            run.awaitLine(l -> l.contains("listening on"), START);
            HttpResponse<String> r = get(base(port) + "/p/instances", token);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            get(base(port) + "/p/instances/smi-0000000a", token);
            run.awaitLine(l -> l.contains("smi-0000000a"), START);
            assertThat(run.output()).doesNotContain(KEY).doesNotContain(token).doesNotContain(SPOT_TOKEN)
                    .doesNotContain("op17-endpoint-secret");
        }
    }
}
