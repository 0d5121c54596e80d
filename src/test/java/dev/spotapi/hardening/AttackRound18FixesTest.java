package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import dev.spotapi.cli.ProgramRun;
import org.junit.jupiter.api.Test;

/**
 * Attack round 18 (report-only helper), round 17's fixes: config strictness (numbers 0 or less refused, keys in any
 * case) and the {@code callerRequestId} kept on the access line. Every service is the real program
 * ({@code dev.spotapi.cli.Main}) in a child JVM as {@code ./spot-api -config FILE} runs it; Spot is the simulator
 * in this JVM. Black-box: exit codes, output lines, HTTP answers.
 */
class AttackRound18FixesTest extends ProgramHarness {
    private static final String KEY = "fx18-pre-shared-key-0123456789";
    private static final String SPOT_ID = "act-18181818";
    private static final String SPOT_TOKEN = "fx18-spot-token-0123456789";

    AttackRound18FixesTest() {
        super(KEY, SPOT_ID, SPOT_TOKEN, "fx18");
    }

    /**
     * Attack: round 17 refuses an explicit 0 or less of a numeric setting whose default stands for "absent"
     * ({@code spot.maxAttempts: 0} had silently become 4). Neighbours of the same kind, a setting the operator
     * wrote that the service silently replaces by its default: {@code tasks.deadlineSeconds.groupRoll: 0} (and
     * {@code -5}: a third level the refusal never walks; TaskConfig#deadline reads 0 or less as 1800 s),
     * {@code spot.maxAttempts: 0.5} (Jackson truncates it to 0, then 4 attempts) and {@code spot.maxAttempts: "0"}
     * (a string coerced to 0). Expected: each start stops (exit code 2) naming the setting, as
     * {@code spot.maxAttempts: 0} does; not a service that starts with a value the operator did not write.
     */
    @Test
    void nonPositiveSettingsOfOtherFormsAreRefusedToo() throws Exception {
        Map<String, String> started = new LinkedHashMap<>();
        for (String extra : List.of("\"tasks\": {\"deadlineSeconds\": {\"groupRoll\": 0}},",
                "\"tasks\": {\"deadlineSeconds\": {\"instanceCreate\": -5}},",
                "\"spot\": {\"maxAttempts\": 0.5},",
                "\"spot\": {\"maxAttempts\": \"0\"},")) {
            int port = ProgramRun.freePort();
            Path config = config("p", port, Map.of(), extra);
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
                String first = run.awaitEither(l -> l.contains("listening on"), START);
                if (first != null) {
                    started.put(extra, "started: " + first);
                } else {
                    int code = run.exitCode(START);
                    if (code != 2) {
                        started.put(extra, "exit " + code + ": " + lastLine(run.output()));
                    }
                }
            }
        }
        assertThat(started).as("settings of 0 or less (in another form) the service started with anyway").isEmpty();
    }

    /**
     * Held: {@code Spot.MaxAttempts: 0} (keys in another case, now read in any case) and {@code http.maxThreads: -1}
     * are refused: exit code 2 naming the setting.
     */
    @Test
    void heldNonPositiveInAnyCaseIsRefused() throws Exception {
        for (String extra : List.of("\"Spot\": {\"MaxAttempts\": 0},", "\"http\": {\"maxThreads\": -1},")) {
            int port = ProgramRun.freePort();
            Path config = config("p", port, Map.of(), extra);
            try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
                String first = run.awaitEither(l -> l.contains("listening on"), START);
                assertThat(first).as("%s started: %s", extra, run.output()).isNull();
                assertThat(run.exitCode(START)).as(run.output()).isEqualTo(2);
                assertThat(run.output()).containsAnyOf("maxAttempts", "maxThreads");
            }
        }
    }

    /**
     * Attack: the caller's {@code X-Request-Id} that spot-api replaces is now written on the access line as
     * {@code callerRequestId=...} (round 17), its printable characters kept, blanks included, and unquoted in the
     * text format. A caller sends ids carrying fields of the line: {@code p1 requestId=forged-0001},
     * {@code p2 status=200 account=other}, {@code p3 traceId=00000000000000000000000000000001}. Expected: the
     * caller's text cannot forge fields of the line: a logfmt reader (Loki's logfmt, Vector, humans grepping
     * {@code requestId=}) sees the line's one requestId, and the caller's text only as the value of
     * callerRequestId (blanks and '=' escaped or the value quoted). Measured: the forged key=value pairs appear
     * as fields of the line after the real ones.
     */
    @Test
    void aCallerRequestIdCannotForgeFieldsOfTheAccessLine() throws Exception {
        int port = ProgramRun.freePort();
        Path config = config("p", port, Map.of(), "\"logFormat\": \"text\",");
        try (ProgramRun run = ProgramRun.start(dir, Map.of(), "-config", config.toString())) {
            run.awaitLine(l -> l.contains("listening on"), START);
            Map<String, String> forged = new LinkedHashMap<>();
            Map<String, String> forgedKey = Map.of("p1 requestId=forged-0001", "requestId=forged-0001",
                    "p2 status=200 account=other", "account=other",
                    "p3 traceId=00000000000000000000000000000001", "traceId=00000000000000000000000000000001");
            for (String id : List.of("p1 requestId=forged-0001", "p2 status=200 account=other",
                    "p3 traceId=00000000000000000000000000000001")) {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base(port) + "/p/instances"))
                        .header("X-Auth-Token", hash(KEY)).header("X-Request-Id", id)
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                String ours = r.headers().firstValue("X-Request-Id").orElseThrow();
                String access = run.awaitLine(l -> l.contains(ours) && l.contains("access"), START);
                if (access.matches(".*(^|\\s)" + java.util.regex.Pattern.quote(forgedKey.get(id)) + "(\\s|$).*")) {
                    forged.put(id, access);
                }
            }
            assertThat(forged).as("caller ids whose key=value pairs became fields of the access line").isEmpty();
        }
    }
    /**
     * Attack: {@code /ready} now reads the last PING that ended, without waiting, and that value is "up" before
     * the first PING ended. A replica misconfigured for a running Redis (a database Redis does not have,
     * {@code redis://host:port/99}; a password Redis refuses, a wrong {@code SPOT_API_REDIS_PASSWORD} for a Redis with
     * {@code requirepass}) is asked {@code /ready} from the moment it listens, every 25 ms for 3 s, as a kubelet's first
     * probes may. Expected (operations.md: such a replica is not ready, "a rollout stops there"): no 200 at all: one
     * 200 makes the pod Ready and the rollout goes on (Kubernetes needs one success, successThreshold 1).
     */
    @Test
    void aMisconfiguredReplicaIsNeverReadyNotEvenAtItsFirstProbe() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); RedisProcess locked = RedisProcess.start()) {
            try (java.net.Socket s = new java.net.Socket("127.0.0.1", locked.port())) {
                s.getOutputStream().write("CONFIG SET requirepass fx18-right\r\n".getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                assertThat(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                        .readLine()).isEqualTo("+OK");
            }
            Map<String, String> outcomes = new LinkedHashMap<>();
            Map<String, Map<String, String>> cases = new LinkedHashMap<>();
            cases.put("redis://127.0.0.1:" + redis.port() + "/99", Map.of());
            cases.put(locked.url() + " with a wrong SPOT_API_REDIS_PASSWORD",
                    Map.of("SPOT_API_REDIS_PASSWORD", "fx18-wrong"));
            for (var c : cases.entrySet()) {
                String url = c.getKey().split(" ")[0];
                int port = ProgramRun.freePort();
                Path config = config("p", port, Map.of(), "\"sharedState\": {\"redisUrl\": \"" + url + "\"},");
                try (ProgramRun run = ProgramRun.start(dir, c.getValue(), "-config", config.toString())) {
                    HttpClient quick = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(500)).build();
                    java.util.List<String> seen = new ArrayList<>();
                    long end = 0;
                    int oks = 0;
                    long giveUp = System.nanoTime() + START.toNanos();
                    while (end == 0 || System.nanoTime() < end) {
                        if (System.nanoTime() > giveUp) {
                            throw new AssertionError("never answered; output: " + run.output());
                        }
                        try {
                            HttpResponse<String> r = quick.send(HttpRequest.newBuilder(URI.create(base(port) + "/ready"))
                                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
                            if (end == 0) {
                                end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                            }
                            if (r.statusCode() == 200) {
                                oks++;
                            }
                            if (seen.isEmpty() || !seen.get(seen.size() - 1).startsWith(r.statusCode() + " ")) {
                                seen.add(r.statusCode() + " " + r.body().replace('\n', ' '));
                            }
                        } catch (IOException notYet) {
                            // not listening yet
                        }
                        Thread.sleep(25);
                    }
                    if (seen.stream().anyMatch(x -> x.startsWith("200 "))) {
                        outcomes.put(c.getKey(), oks + " x 200: " + String.join(" -> ", seen));
                    }
                }
            }
            assertThat(outcomes).as("misconfigured replicas that answered /ready 200 at least once").isEmpty();
        }
    }

    /**
     * Attack: round 17 takes back a claim whose Redis answer came too late ({@code RedisSharedState#claim},
     * {@code releaseWhenAnswered}: FORGET deletes the record when its owner is the late claim's). But a claim does
     * not only make new records: on a record in doubt (state {@code U}, a keyed create answered 5xx that Spot may
     * have carried out; or {@code F} with its lease run out, a replica that died mid-create) it RESUMES it, taking
     * its ownership; the late release then deletes the whole record, its doubt with it. Here: a keyed group create
     * (Idempotency-Key K) is made, its record set to what {@code markUncertain} writes ({@code state U}, the only
     * step not through HTTP); Redis stalls (SIGSTOP), a retry with K is 503 (nothing run); Redis resumes (SIGCONT);
     * 3 s later the client retries with K again. Held: one group for one key (the record is gone, measured, but a
     * keyed create always looks for its correlation tag first); see the action's case below, where it does not hold.
     */
    @Test
    void heldALateClaimsReleaseOfACreateInDoubtStillMakesOneGroup() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator spot = dev.spotapi.support.TestService.simulator()) {
            Harness a = replicaOn(spot, redis);
            io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
            try (var conn = client.connect()) {
                var r = conn.sync();
                long pid = redis.pid();
                String name = Harness.uniqueName("latedoubt");
                String key = IdempotencyKeyTest.newKey();
                var first = IdempotencyKeyTest.keyed(a, "POST", "/main/elastigroups", Harness.groupBody(name), key);
                assertThat(first.status()).as(first.body()).isBetween(200, 201);
                List<String> records = r.keys("spot-api:idem:*");
                assertThat(records).hasSize(1);
                String record = records.get(0);
                r.hset(record, "state", "U");
                boolean stopped = true;
                new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
                dev.spotapi.support.TestService.Reply during;
                try {
                    during = IdempotencyKeyTest.keyed(a, "POST", "/main/elastigroups", Harness.groupBody(name), key);
                } finally {
                    new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
                }
                Thread.sleep(3_000);
                Map<String, String> after = r.hgetall(record);
                var retry = IdempotencyKeyTest.keyed(a, "POST", "/main/elastigroups", Harness.groupBody(name), key);
                a.awaitSimulatorIdle();
                long groups = a.storedAll(Harness.GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).count();
                String seen = "first " + first.status() + "; during the stall " + during.status() + " "
                        + during.body() + "; record 3 s after SIGCONT " + after.keySet() + " state "
                        + after.get("state") + "; retry " + retry.status() + " " + retry.body();
                System.out.println("[a18] late claim: " + seen + "; groups " + groups);
                assertThat(groups).as(seen).isEqualTo(1);
            } finally {
                client.shutdown();
                dev.spotapi.support.TestService.closeAll(a);
            }
        }
    }

    /**
     * Attack: the same late-claim release on a keyed ACTION's record in doubt: a keyed scale (up 1, key K) whose
     * replica died before its answer was recorded (record {@code state F}, lease run out: set so directly, the only
     * step not through HTTP; a retry is then 502 "interrupted ... not run again", replayed to every later retry).
     * Before any retry, Redis stalls (SIGSTOP), a retry with K is 503 (nothing run), Redis resumes (SIGCONT); the late claim RESUMED
     * the record and its release deleted it; 3 s later the client retries with K. Expected: 502 "interrupted", one
     * scale request to Spot in all (the doubt is kept: Spot may have scaled already). Measured: the record is gone,
     * the retry runs the scale again (200): a second scale-up sent to Spot for one key (the group's maximum 3 caps
     * the target here; a group with room would grow twice).
     */
    @Test
    void aLateClaimsReleaseDoesNotEraseAnActionInDoubt() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator spot = dev.spotapi.support.TestService.simulator()) {
            Harness a = replicaOn(spot, redis);
            io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
            try (var conn = client.connect()) {
                var r = conn.sync();
                long pid = redis.pid();
                String group = a.createGroup();
                String path = "/main/elastigroups/" + group;
                String body = "{\"direction\": \"up\", \"adjustment\": 1}";
                String key = IdempotencyKeyTest.newKey();
                var first = IdempotencyKeyTest.keyed(a, "PUT", path + "/scale", body, key);
                assertThat(first.status()).as(first.body()).isEqualTo(200);
                a.awaitSimulatorIdle();
                String targetBefore = a.get(path).json().path("capacity").path("target").asText();
                List<String> records = r.keys("spot-api:idem:*");
                assertThat(records).hasSize(1);
                String record = records.get(0);
                r.hset(record, Map.of("state", "F", "lease", "0"));
                new ProcessBuilder("kill", "-STOP", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
                dev.spotapi.support.TestService.Reply during;
                try {
                    during = IdempotencyKeyTest.keyed(a, "PUT", path + "/scale", body, key);
                } finally {
                    new ProcessBuilder("kill", "-CONT", Long.toString(pid)).start().waitFor(5, TimeUnit.SECONDS);
                }
                Thread.sleep(3_000);
                Map<String, String> after = r.hgetall(record);
                var retry = IdempotencyKeyTest.keyed(a, "PUT", path + "/scale", body, key);
                a.awaitSimulatorIdle();
                String targetAfter = a.get(path).json().path("capacity").path("target").asText();
                String seen = "first " + first.status() + ", target " + targetBefore + "; during the stall " + during.status() + "; record 3 s after SIGCONT "
                        + after.keySet() + "; retry " + retry.status() + " " + retry.body() + "; target after "
                        + targetAfter + "; scale requests Spot received " + a.countSpotRequests("PUT",
                        "/aws/ec2/group/" + group + "/scale/up");
                System.out.println("[a18] late claim, action: " + seen);
                assertThat(a.countSpotRequests("PUT", "/aws/ec2/group/" + group + "/scale/up")).as(seen).isEqualTo(1);
                assertThat(retry.status()).as(seen).isEqualTo(502);
                assertThat(targetAfter).as(seen).isEqualTo(targetBefore);
            } finally {
                client.shutdown();
                dev.spotapi.support.TestService.closeAll(a);
            }
        }
    }

    /** The Spot client settings of the late-claim tests: short timeouts, so that a stalled Redis makes a claim time out. */
    private static final dev.spotapi.config.SpotClientSettings LATE_CLAIM_SETTINGS =
            new dev.spotapi.config.SpotClientSettings(1_000, 800, 3_000, 3, 20, 200, 0, 100);

    /** One replica in front of {@code spot} on {@code redis} (its shared state's timeout 1 s). */
    private static Harness replicaOn(SpotSimulator spot, RedisProcess redis) {
        return Harness.of(dev.spotapi.support.TestService.replica(spot, LATE_CLAIM_SETTINGS,
                c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 1_000))), LATE_CLAIM_SETTINGS);
    }

}
