package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.IdempotencyConfig;
import dev.spotapi.shared.Hashes;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 9 (helper attack9a), from outside: the {@code Idempotency-Key} layer after round 8 (stored replay
 * headers, preconditions and task bounds inside the key handling, task ids no longer derived from keys). Each test
 * asserts what a caller of such a service expects; a failing one is a finding (see the report), a passing one an
 * attack that held.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttackRound9KeysTest {
    private Harness h;

    @TempDir
    Path dir;

    @BeforeAll
    void start() {
        h = Harness.start(Harness.quick());
    }

    @AfterAll
    void stop() {
        if (h != null) {
            h.close();
        }
    }

    @BeforeEach
    void reset() {
        h.reset();
    }


    private static Map<String, String> headers(String... pairs) {
        return Harness.withToken(pairs);
    }

    private static Reply raw(int port, String method, String path, String body, Map<String, String> headers) {
        return Harness.unchecked(port, method, path, body, headers);
    }

    private Reply raw(String method, String path, String body, Map<String, String> headers) {
        return raw(h.port(), method, path, body, headers);
    }

    private static String key() {
        return "k9-" + UUID.randomUUID();
    }

    private static List<String> header(Reply r, String name) {
        return r.headers().entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                .flatMap(e -> e.getValue().stream()).toList();
    }

    private String groupOfTargetOneUpToFive() {
        ObjectNode body = Harness.groupBody(Harness.uniqueName("k9"));
        body.with("capacity").put("minimum", 0).put("maximum", 5).put("target", 1);
        Reply r = raw("POST", "/main/elastigroups", body.toString(), headers());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("id").asText();
    }

    // ---- a 4xx that changed something frees its key ----------------------------------------------------------

    /**
     * {@code PUT .../elastigroups/{id}?roll=true} with a key: Spot takes the update, then refuses the roll (400).
     * spot-api answers 400 "elastigroup ... was updated (the update stands); its roll was not started", but the
     * idempotency layer treats every 4xx as "certainly changed nothing" and frees the key. Meanwhile another caller
     * renames the group. The first caller retries with the same key and body: the update runs a second time and
     * overwrites the other caller's change (a lost write). Expected: an answer after which the change stands is kept
     * for the key (as a 5xx of an action is): the retry is its replay and sends no second update to Spot.
     */
    @Test
    void anUpdateWhoseRollWasRefusedKeepsItsKeySoTheRetryDoesNotOverwriteALaterChange() {
        String id = groupOfTargetOneUpToFive();
        h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + id + "/roll\",\"action\":\"status\",\"status\":400,"
                + "\"count\":5}");
        updateWhoseRollFailedKeepsItsKey(id, 400, 499);
    }

    /**
     * Held: the same shape with a 5xx: Spot refuses the roll (400) and spot-api's look for a running roll (a read)
     * fails (500 on every attempt): the 502 is kept for the key, and the retry sends no second update.
     */
    @Test
    void anUpdateWhoseRollCheckFailedKeepsItsKeySoTheRetryDoesNotOverwriteALaterChange() {
        String id = groupOfTargetOneUpToFive();
        h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + id + "/roll\",\"action\":\"status\",\"status\":400,"
                + "\"count\":5}");
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + id + "/roll\",\"action\":\"status\",\"status\":500,"
                + "\"count\":20}");
        updateWhoseRollFailedKeepsItsKey(id, 500, 599);
    }

    private void updateWhoseRollFailedKeepsItsKey(String id, int lowest, int highest) {
        String path = "/main/elastigroups/" + id + "?roll=true";
        String mine = Harness.uniqueName("mine");
        String body = "{\"name\": \"" + mine + "\"}";
        Map<String, String> keyed = headers("Idempotency-Key", key());
        Reply first = raw("PUT", path, body, keyed);
        assertThat(first.status()).as(first.body()).isBetween(lowest, highest);
        assertThat(first.body()).as("the first answer says the update stands").contains("the update stands");
        h.clearFaults();

        String theirs = Harness.uniqueName("theirs");
        Reply other = raw("PUT", "/main/elastigroups/" + id, "{\"name\": \"" + theirs + "\"}", headers());
        assertThat(other.status()).as(other.body()).isEqualTo(200);
        h.clearRequestLog();

        Reply retry = raw("PUT", path, body, keyed);
        String name = raw("GET", "/main/elastigroups/" + id, null, headers()).json().path("name").asText();
        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id))
                .as("updates sent to Spot by the retry with the same key (retry answered %d %s; group name now %s)",
                        retry.status(), retry.body(), name)
                .isZero();
        assertThat(name).as("the other caller's later change stands").isEqualTo(theirs);
    }

    // ---- refusals that did nothing leave the key free -----------------------------------------------------------

    /**
     * Held: a keyed capacity change refused 412 ({@code If-Match} with an entity tag; {@code If-None-Match: *}),
     * 415 (a body labelled {@code Content-Encoding: gzip}) and 400 (a query part that is not UTF-8) is not stored: the
     * same key and body then run (200, not a replay), once; the next retry, even with the failing precondition, is
     * the replay of that 200.
     */
    @Test
    void refusalsThatDidNothingAreNotStoredAndTheKeyThenRunsOnce() {
        String id = groupOfTargetOneUpToFive();
        String key = key();
        String path = "/main/elastigroups/" + id + "/capacity";
        String body = "{\"target\": 2}";
        h.clearRequestLog();
        Reply etag = raw("PUT", path, body, headers("Idempotency-Key", key, "If-Match", "\"v1\""));
        assertThat(etag.status()).as(etag.body()).isEqualTo(412);
        Reply exists = raw("PUT", path, body, headers("Idempotency-Key", key, "If-None-Match", "*"));
        assertThat(exists.status()).as(exists.body()).isEqualTo(412);
        Reply coded = raw("PUT", path, body, headers("Idempotency-Key", key, "Content-Encoding", "gzip"));
        assertThat(coded.status()).as(coded.body()).isEqualTo(415);
        Reply query = raw("PUT", path + "?x=%C3%28", body, headers("Idempotency-Key", key));
        assertThat(query.status()).as(query.body()).isEqualTo(400);
        Reply run = raw("PUT", path, body, headers("Idempotency-Key", key));
        assertThat(run.status()).as(run.body()).isEqualTo(200);
        assertThat(header(run, "Idempotency-Replayed")).as("the first run after the refusals").isEmpty();
        Reply again = raw("PUT", path, body, headers("Idempotency-Key", key, "If-Match", "\"v1\""));
        assertThat(again.status()).as(again.body()).isEqualTo(200);
        assertThat(header(again, "Idempotency-Replayed")).containsExactly("true");
        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id + "/capacity")).isEqualTo(1);
    }

    // ---- a replay that needs Spot -------------------------------------------------------------------------------

    /**
     * A keyed capacity change answered 200; then Spot's reads fail (500). The identical retry should be the stored
     * answer ("Spot is not called", Idempotency's contract): nothing needs Spot. spot-api first reads the object for
     * the org check, so the replay fails with Spot.
     */
    @Test
    void theReplayOfAKeyedActionNeedsNoSpotCall() {
        String id = groupOfTargetOneUpToFive();
        Map<String, String> keyed = headers("Idempotency-Key", key());
        String body = "{\"target\": 2}";
        Reply first = raw("PUT", "/main/elastigroups/" + id + "/capacity", body, keyed);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/**\",\"action\":\"status\",\"status\":500,\"count\":50}");
        h.clearRequestLog();
        Reply retry = raw("PUT", "/main/elastigroups/" + id + "/capacity", body, keyed);
        h.clearFaults();
        assertThat(retry.status()).as("the replay while Spot's reads fail: %s", retry.body()).isEqualTo(first.status());
        assertThat(header(retry, "Idempotency-Replayed")).containsExactly("true");
        assertThat(retry.body()).isEqualTo(first.body());
    }

    /**
     * A keyed instance stop answered; the instance is then deleted (by the same caller); the client, which lost the
     * stop's answer, retries it with the same key. Expected: the stored answer of the stop (it was done). spot-api
     * reads the instance before the key's handling: 404, as if the stop had never been done.
     */
    @Test
    void theReplayOfAKeyedActionOnAnObjectDeletedSinceIsTheStoredAnswer() {
        String id = h.createInstance();
        Map<String, String> keyed = headers("Idempotency-Key", key());
        String body = "{\"state\": \"stop\"}";
        Reply first = raw("PUT", "/main/instances/" + id + "/power", body, keyed);
        assertThat(first.status()).as(first.body()).isBetween(200, 299);
        Reply delete = raw("DELETE", "/main/instances/" + id, null, headers());
        assertThat(delete.status()).as(delete.body()).isBetween(200, 299);
        Reply retry = raw("PUT", "/main/instances/" + id + "/power", body, keyed);
        assertThat(retry.status()).as("the retry of the done stop: %s", retry.body()).isEqualTo(first.status());
        assertThat(header(retry, "Idempotency-Replayed")).containsExactly("true");
    }

    // ---- every keyed route's replay is its first answer --------------------------------------------------------

    private record Call(String name, String method, String path, String body, Map<String, String> extra) {
    }

    /**
     * Held (or a finding per route): for each keyed route, sync and async, the replay has the first answer's status,
     * body, Content-Type and the task and roll headers ({@code X-Flywheel-Task}, {@code Preference-Applied},
     * {@code X-Spot-Roll}), and no header the first answer lacked but {@code Idempotency-Replayed}.
     */
    @Test
    void everyKeyedRoutesReplayRepeatsItsFirstAnswer() {
        String group = groupOfTargetOneUpToFive();
        String mi = h.createInstance();
        String mi2 = h.createInstance();
        Map<String, String> async = Map.of("Prefer", "respond-async");
        List<Call> calls = List.of(
                new Call("create group", "POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("rp")).toString(), Map.of()),
                new Call("create group async", "POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("rpa")).toString(), async),
                new Call("create instance async", "POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("rpi")).toString(), async),
                new Call("capacity", "PUT", "/main/elastigroups/" + group + "/capacity", "{\"target\": 2}", Map.of()),
                new Call("scale async", "PUT", "/main/elastigroups/" + group + "/scale", "{\"direction\": \"up\", \"adjustment\": 1}", async),
                new Call("group tags", "PUT", "/main/elastigroups/" + group + "/tags", "{\"tags\":{\"k9\":\"v\"}}", Map.of()),
                new Call("any tags", "PUT", "/main/" + mi + "/tags", "{\"tags\":{\"k9\":\"w\"}}", Map.of()),
                new Call("instance power", "PUT", "/main/instances/" + mi + "/power", "{\"state\": \"stop\"}", Map.of()),
                new Call("instance power async", "PUT", "/main/instances/" + mi2 + "/power", "{\"state\": \"stop\"}", async),
                new Call("roll", "POST", "/main/elastigroups/" + group + "/rolls", "{\"batchSizePercentage\":50,\"gracePeriod\":300}", Map.of()),
                new Call("update with roll", "PUT", "/main/elastigroups/" + group + "?roll=true", "{\"name\": \"" + Harness.uniqueName("ur") + "\"}", Map.of()));
        assertThat(replayDifferences(calls)).isEmpty();
    }

    /**
     * Held (or a finding per route): more keyed routes (suspensions, detach, bulk power, import, group power, the
     * roll stop, async capacity), each replay compared with its first answer as above.
     */
    @Test
    void moreKeyedRoutesReplayTheirFirstAnswer() {
        String group = groupOfTargetOneUpToFive();
        String group2 = groupOfTargetOneUpToFive();
        String mi = h.createInstance();
        String mi2 = h.createInstance();
        Reply roll = raw("POST", "/main/elastigroups/" + group2 + "/rolls", "{\"batchSizePercentage\":50,\"gracePeriod\":300}", headers());
        assertThat(roll.status()).as(roll.body()).isBetween(200, 299);
        String rollId = roll.json().path("rollId").asText(roll.json().path("id").asText());
        Map<String, String> async = Map.of("Prefer", "respond-async");
        List<Call> calls = List.of(
                new Call("roll stop", "PUT", "/main/elastigroups/" + group2 + "/rolls/" + rollId, "{\"status\": \"STOPPED\"}", Map.of()),
                new Call("suspensions", "PUT", "/main/elastigroups/" + group + "/suspensions",
                        "{\"suspensions\": [{\"name\": \"AUTO_HEALING\", \"ttlInMinutes\": 60}]}", Map.of()),
                new Call("bulk power", "PUT", "/main/instances-power", "{\"state\": \"stop\", \"instances\": [\"" + mi + "\", \"smi-00000000\"]}", Map.of()),
                new Call("import", "POST", "/main/imports", "{\"originalInstanceId\": \"" + h.ec2Instance() + "\", \"region\": \"us-east-1\"}", Map.of()),
                new Call("group power async", "PUT", "/main/elastigroups/" + group + "/power", "{\"state\": \"stop\"}", async),
                new Call("capacity async", "PUT", "/main/elastigroups/" + group + "/capacity", "{\"target\": 0}", async),
                new Call("instance tags", "PUT", "/main/instances/" + mi2 + "/tags", "{\"tags\":{\"k9\":\"x\"}}", Map.of()));
        assertThat(replayDifferences(calls)).isEmpty();
    }

    /** Sends each call twice with one key; what differs between the first answer and the replay. */
    private List<String> replayDifferences(List<Call> calls) {
        List<String> differences = new ArrayList<>();
        for (Call c : calls) {
            Map<String, String> hs = headers("Idempotency-Key", key(), "Accept-Encoding", "identity");
            hs.putAll(c.extra());
            Reply first = raw(c.method(), c.path(), c.body(), hs);
            if (first.status() >= 400) {
                differences.add(c.name() + ": first answer " + first.status() + " " + first.body());
                continue;
            }
            Reply replay = raw(c.method(), c.path(), c.body(), hs);
            if (replay.status() != first.status()) {
                differences.add(c.name() + ": status " + first.status() + " then " + replay.status() + " " + replay.body());
            }
            if (!replay.body().equals(first.body())) {
                differences.add(c.name() + ": body " + first.body() + " then " + replay.body());
            }
            for (String name : List.of("Content-Type", "X-Flywheel-Task", "Preference-Applied", "X-Spot-Roll", "Location",
                    "Content-Encoding")) {
                if (!header(replay, name).equals(header(first, name))) {
                    differences.add(c.name() + ": " + name + " " + header(first, name) + " then " + header(replay, name));
                }
            }
            if (!header(replay, "Idempotency-Replayed").equals(List.of("true"))) {
                differences.add(c.name() + ": not marked replayed");
            }
            if (!c.name().startsWith("roll stop")) {
                // rolls in Spot's time end before the next roll on the same group
                assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 3000}").status()).isEqualTo(200);
            }
        }
        return differences;
    }

    // ---- stored headers with hostile values ---------------------------------------------------------------------

    private static String rollEnvelope(String idJson) {
        return "{\"request\":{\"id\":\"5e4b1c2a-1111-4222-8333-444455556666\",\"url\":\"/\",\"method\":\"PUT\","
                + "\"timestamp\":\"2026-01-01T00:00:00.000Z\"},\"response\":{\"status\":{\"code\":200,\"message\":\"OK\"},"
                + "\"kind\":\"spotinst:aws:ec2:group:deployment\",\"items\":[{\"id\":" + idJson
                + ",\"status\":\"STARTING\",\"progress\":{\"unit\":\"percentage\",\"value\":0}}],\"count\":1}}";
    }

    /**
     * Spot (or anything between) answers a roll start with a roll id holding CR/LF, a lone CR or LF, or 20,000
     * characters; spot-api puts it in {@code X-Spot-Roll} and stores it with the keyed answer. Expected: the roll was
     * started, so both the first answer and its replay say so (2xx, same status and body), and no header is
     * injected into either answer (no {@code X-Injected}), never a 500 stored for a roll that runs.
     */
    @Test
    void aHostileRollIdNeitherInjectsAHeaderNorBreaksTheAnswerOrItsReplay() {
        List<String> ids = List.of("\"dep-a\\r\\nX-Injected: yes\"", "\"dep-b\\rX-Injected: yes\"",
                "\"dep-c\\nX-Injected: yes\"", "\"dep-" + "d".repeat(20_000) + "\"", "\"dep-e\\u0000\\u007f\\u00e9\"");
        List<String> problems = new ArrayList<>();
        for (String idJson : ids) {
            String label = idJson.length() > 40 ? idJson.substring(0, 30) + "...(" + idJson.length() + ")" : idJson;
            String group = groupOfTargetOneUpToFive();
            h.clearFaults();
            h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + group + "/roll\",\"action\":\"json\","
                    + "\"status\":200,\"count\":1,\"body\":" + rollEnvelope(idJson) + "}");
            Map<String, String> keyed = headers("Idempotency-Key", key());
            String body = "{\"batchSizePercentage\":50,\"gracePeriod\":300}";
            Reply first;
            Reply replay;
            try {
                first = raw("POST", "/main/elastigroups/" + group + "/rolls", body, keyed);
                replay = raw("POST", "/main/elastigroups/" + group + "/rolls", body, keyed);
            } catch (java.io.UncheckedIOException e) {
                // an HTTP client cannot read the answer at all (an invalid header value): its roll runs unanswered
                problems.add(label + ": the answer is not valid HTTP: " + e.getCause());
                continue;
            }
            for (Reply r : List.of(first, replay)) {
                if (!header(r, "X-Injected").isEmpty()) {
                    problems.add(label + ": injected header in " + (r == first ? "first" : "replay"));
                }
            }
            if (first.status() < 200 || first.status() > 299) {
                problems.add(label + ": first answer " + first.status() + " " + first.body());
            }
            if (replay.status() != first.status() || !replay.body().equals(first.body())) {
                problems.add(label + ": replay " + replay.status() + " differs from first " + first.status());
            }
            if (!header(replay, "X-Spot-Roll").equals(header(first, "X-Spot-Roll"))) {
                problems.add(label + ": X-Spot-Roll " + header(first, "X-Spot-Roll").stream().map(v -> v.length() > 40
                        ? v.substring(0, 30) + "...(" + v.length() + ")" : v).toList() + " then "
                        + header(replay, "X-Spot-Roll").stream().map(v -> v.length() > 40 ? v.substring(0, 30) + "..." : v).toList());
            }
            if (!header(replay, "X-Flywheel-Task").equals(header(first, "X-Flywheel-Task"))) {
                problems.add(label + ": X-Flywheel-Task " + header(first, "X-Flywheel-Task") + " then " + header(replay, "X-Flywheel-Task"));
            }
        }
        h.clearFaults();
        assertThat(problems).isEmpty();
    }

    // ---- the state file of the version before round 8 ----------------------------------------------------------

    /**
     * The state file written by the version before round 8 (lines without {@code h}: it derived the task id from the
     * key instead of storing the header) holds a done keyed async stop (202). Read by this version after the upgrade,
     * its replay is a 202 that names no task: the caller cannot follow the stop (round 7's finding, back for every key
     * stored before the upgrade). Expected: a replayed 202 names its task (docs: "a replayed 202 always names its
     * task"), or the key is not answered as a bare 202. Also held here: a stored 200 of the old format is replayed as
     * it was.
     */
    @Test
    void aStateFileOfTheVersionBeforeRoundEightIsReplayedAsThatVersionAnswered() throws Exception {
        Path file = dir.resolve("idempotency.jsonl");
        String stopKey = key();
        String scaleKey = key();
        String instance = "smi-0a1b2c3d";
        String group = "sig-0a1b2c3d";
        String stop = "{\"state\": \"stop\"}";
        String scale = "{\"direction\": \"up\", \"adjustment\": 1}";
        long expires = System.currentTimeMillis() + 3_600_000;
        String b64 = java.util.Base64.getEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8));
        String scaleBody = java.util.Base64.getEncoder().encodeToString("{\"capacity\":{\"target\":2}}".getBytes(StandardCharsets.UTF_8));
        String lines = line(stopKey, "PUT", "/v1/spot/main/instances/" + instance + "/power", stop, 202, b64, expires)
                + line(scaleKey, "PUT", "/v1/spot/main/elastigroups/" + group + "/scale", scale, 200, scaleBody, expires);
        Files.writeString(file, lines);
        TestService svc = TestService.start(Harness.quick(), c -> c.withIdempotency(new IdempotencyConfig(0, file.toString()))
                .withOrgIsolation("off"));
        try {
            int port = svc.api.port();
            Reply scaled = raw(port, "PUT", "/main/elastigroups/" + group + "/scale", scale, headers("Idempotency-Key", scaleKey));
            assertThat(scaled.status()).as(scaled.body()).isEqualTo(200);
            assertThat(header(scaled, "Idempotency-Replayed")).containsExactly("true");
            assertThat(scaled.body()).isEqualTo("{\"capacity\":{\"target\":2}}");

            Reply replay = raw(port, "PUT", "/main/instances/" + instance + "/power", stop,
                    headers("Idempotency-Key", stopKey, "Prefer", "respond-async"));
            assertThat(replay.status()).as(replay.body()).isEqualTo(202);
            assertThat(header(replay, "Idempotency-Replayed")).containsExactly("true");
            assertThat(header(replay, "X-Flywheel-Task")).as("the task a replayed 202 names").hasSize(1);
        } finally {
            svc.close();
        }
    }

    /**
     * Two replicas on one real Redis during a rolling deploy: a replica of the version before round 8 stored a keyed
     * async stop's 202 (its Redis hash has no {@code hd} field: that version derived the task id from the key). The
     * new replica answers the retry with a 202 that names no task. Expected: a replayed 202 names its task.
     *
     * <p>Also (held): the same conditional keyed capacity change ({@code If-Match: *}) sent to both replicas at once,
     * 6 times each: one change reaches Spot, every other answer is 409 or the replay of the first answer, never a 412
     * or a second change.
     */
    @Test
    void replicasOnOneRedisReplayOldRecordsWithTheirTaskAndRaceConditionalKeysToOneChange() throws Exception {
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator sim = dev.spotapi.sim.SpotSimulator.builder().port(0)
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            dev.spotapi.config.SharedStateConfig shared = new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000);
            try (TestService a = TestService.replica(sim, Harness.quick(), c -> c.withSharedState(shared));
                    TestService b = TestService.replica(sim, Harness.quick(), c -> c.withSharedState(shared))) {
                Harness ha = Harness.of(a, Harness.quick());
                String group = ha.createGroup();
                String mi = ha.createInstance();

                // the race (held)
                String key = key();
                String body = "{\"target\": 1}";
                Map<String, String> conditional = headers("Idempotency-Key", key, "If-Match", "*");
                ha.clearRequestLog();
                java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(12);
                List<java.util.concurrent.Future<Reply>> replies = new ArrayList<>();
                try {
                    for (int i = 0; i < 12; i++) {
                        int port = (i % 2 == 0 ? a : b).api.port();
                        replies.add(pool.submit(() -> raw(port, "PUT", "/main/elastigroups/" + group + "/capacity", body, conditional)));
                    }
                    List<String> answers = new ArrayList<>();
                    for (var f : replies) {
                        Reply r = f.get(60, java.util.concurrent.TimeUnit.SECONDS);
                        answers.add(r.status() + (header(r, "Idempotency-Replayed").isEmpty() ? "" : " replayed"));
                    }
                    assertThat(answers).as("answers").allMatch(s -> s.equals("200") || s.equals("200 replayed") || s.equals("409"));
                    assertThat(answers.stream().filter("200"::equals).count()).as("answers %s", answers).isEqualTo(1);
                } finally {
                    pool.shutdownNow();
                }
                assertThat(ha.countSpotRequests("PUT", Harness.GROUPS + "/" + group + "/capacity")).as("capacity changes sent to Spot").isEqualTo(1);

                // the old replica's record (no hd)
                String oldKey = key();
                String stop = "{\"state\": \"stop\"}";
                String path = "/v1/spot/main/instances/" + mi + "/power";
                String k = Hashes.sha256Hex(TestService.ORG + '\n' + oldKey);
                String f = Hashes.sha256Hex("PUT\n" + path + "\n\n" + Hashes.sha256Hex(stop.getBytes(StandardCharsets.UTF_8)));
                io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
                try (var conn = client.connect()) {
                    conn.sync().hset("spot-api:idem:" + k, Map.of("fp", f, "state", "D", "lease", "0", "status", "202",
                            "type", "application/json", "body", java.util.Base64.getEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8)),
                            "owner", "old-replica"));
                    conn.sync().pexpire("spot-api:idem:" + k, 3_600_000);
                } finally {
                    client.shutdown();
                }
                Reply replay = raw(b.api.port(), "PUT", "/main/instances/" + mi + "/power", stop,
                        headers("Idempotency-Key", oldKey, "Prefer", "respond-async"));
                assertThat(replay.status()).as(replay.body()).isEqualTo(202);
                assertThat(header(replay, "Idempotency-Replayed")).containsExactly("true");
                assertThat(header(replay, "X-Flywheel-Task")).as("the task the old replica's replayed 202 names").hasSize(1);
            }
        }
    }

    /**
     * Without Redis, {@code idempotency.stateFile} set (a keyed action must not run twice across a restart) and
     * {@code tasks.stateFile} not (a separate setting): a keyed async stop answered 202 naming task T; spot-api
     * restarts; the retry with the key is the replay naming T, which flywheel no longer knows ({@code {}}): the caller
     * follows a task that does not exist (round 7: "a keyed request's task is kept at least as long as its key").
     * Expected: a replayed 202 names a task flywheel answers (or the key's records do not outlive the task's).
     */
    @Test
    void aReplayedTaskAfterARestartWithOnlyTheKeyStateFileIsOneFlywheelKnows() throws Exception {
        Path file = dir.resolve("keys-only.jsonl");
        try (dev.spotapi.sim.SpotSimulator sim = dev.spotapi.sim.SpotSimulator.builder().port(0)
                .account(TestService.MAIN_ID, "main-spot-token").start()) {
            java.util.function.UnaryOperator<dev.spotapi.config.ServiceConfig> keysOnly =
                    c -> c.withIdempotency(new IdempotencyConfig(0, file.toString()));
            String key = key();
            String stop = "{\"state\": \"stop\"}";
            String mi;
            Reply first;
            try (TestService a = TestService.replica(sim, Harness.quick(), keysOnly)) {
                mi = Harness.of(a, Harness.quick()).createInstance();
                first = raw(a.api.port(), "PUT", "/main/instances/" + mi + "/power", stop,
                        headers("Idempotency-Key", key, "Prefer", "respond-async"));
                assertThat(first.status()).as(first.body()).isEqualTo(202);
            }
            String task = header(first, "X-Flywheel-Task").get(0);
            try (TestService b = TestService.replica(sim, Harness.quick(), keysOnly)) {
                Reply replay = raw(b.api.port(), "PUT", "/main/instances/" + mi + "/power", stop,
                        headers("Idempotency-Key", key, "Prefer", "respond-async"));
                assertThat(replay.status()).as(replay.body()).isEqualTo(202);
                assertThat(header(replay, "Idempotency-Replayed")).containsExactly("true");
                assertThat(header(replay, "X-Flywheel-Task")).containsExactly(task);
                Reply flywheel = raw(b.api.port(), "GET", "/flywheel?task=" + task, null, headers());
                assertThat(flywheel.status()).as(flywheel.body()).isEqualTo(200);
                assertThat(flywheel.json().has(task)).as("flywheel knows the replayed task %s: %s", task, flywheel.body()).isTrue();
            }
        }
    }

    /** One done record in the journal format of the version before round 8 (no {@code h}). */
    private static String line(String key, String method, String path, String body, int status, String b64, long expires) {
        String k = Hashes.sha256Hex(TestService.ORG + '\n' + key);
        String f = Hashes.sha256Hex(method + '\n' + path + '\n' + "" + '\n'
                + Hashes.sha256Hex(body.getBytes(StandardCharsets.UTF_8)));
        return "{\"k\":\"" + k + "\",\"f\":\"" + f + "\",\"s\":\"D\",\"l\":0,\"e\":" + expires + ",\"st\":" + status
                + ",\"ct\":\"application/json\",\"b\":\"" + b64 + "\"}\n";
    }
}
