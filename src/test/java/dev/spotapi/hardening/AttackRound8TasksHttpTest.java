package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 8 (helper attack8b), from outside: the newest task changes (undone power changes, slots, last look)
 * and the HTTP layer's preconditions and query decoding (commits 7179730 and 596f0e8). Each test asserts what a
 * caller of such a service expects; a failing one is a finding (see the report), a passing one an attack that held.
 */
class AttackRound8TasksHttpTest extends TaskHarnessPerClass {
    private static Map<String, String> headers(String... pairs) {
        return Harness.withToken(pairs);
    }


    /** A call without TestService's openapi.json check (see {@link #theOpenApiDocumentDeclaresTheAnswersOfConditionalWrites}). */
    private Reply unchecked(String method, String path, String body, Map<String, String> headers) {
        return Harness.unchecked(h.port(), method, path, body, headers);
    }

    // ---- tasks: "undone" power changes ----------------------------------------------------------------

    /**
     * An async stop of an ACTIVE managed instance. Spot accepts the pause; its status read shows the move only a
     * little later: the first status reads after the pause still say ACTIVE (a lagging read path, an eventually
     * consistent status; contract §5.1/§8: MI status values and transitions are not evidenced, PAUSING is
     * "optional"). Here the lag is 3 reads, i.e. about 60 ms with 20 ms polls (4-6 s with the default 2 s polls).
     * The pause goes on and the instance ends PAUSED, as asked; nobody undid anything. spot-api counts the lag in
     * reads, not in time, and fails the task "ACTIVE on 3 reads in a row ... a later change undid it"; the caller is
     * told its stop failed while Spot stops the instance.
     */
    @Test
    void aStopWhoseStatusShowsTheMoveAFewReadsLateIsNotFailedAsUndone() throws Exception {
        String id = h.createInstance();
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
        assertThat(spotStatus(id)).isEqualTo("ACTIVE");
        ObjectNode lagging = (ObjectNode) spotStatusReply(id);
        Reply slow = h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}");
        assertThat(slow.status()).as(slow.body()).isEqualTo(200);
        // the stop's own status read (PowerPlan) plus 3 of the task's reads still see ACTIVE
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/" + id + "/status\",\"action\":\"json\","
                + "\"count\":4,\"body\":" + lagging + "}");
        Reply stop = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}",
                headers("Prefer", "respond-async"));
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        String task = stop.header("X-Flywheel-Task");
        // Spot's own state: the pause was accepted and is under way (the faked reads used up by now)
        Thread.sleep(500);
        assertThat(spotStatus(id)).as("Spot's state after the stop").isEqualTo("PAUSING");
        JsonNode during = task(task);
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 1200}").status()).isEqualTo(200);
        assertThat(spotStatus(id)).as("Spot's state, the pause done").isEqualTo("PAUSED");

        JsonNode t = awaitEnd(task, 10);
        assertThat(t.path("status").asText())
                .as("the stop task of an instance Spot paused, its status 3 reads late: %s (while PAUSING: %s)", t, during)
                .isEqualTo("completed");
    }

    /**
     * Held: an async stop whose status reads fail transiently in between (Spot 503s on the status route) still
     * completes once Spot shows PAUSED: failed reads neither count as "old state" reads nor end the task.
     */
    @Test
    void aStopWhoseStatusReadsFailTransientlyStillCompletes() throws Exception {
        String id = h.createInstance();
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
        assertThat(h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
        Reply stop = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}",
                headers("Prefer", "respond-async"));
        assertThat(stop.status()).as(stop.body()).isEqualTo(202);
        String task = stop.header("X-Flywheel-Task");
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/" + id + "/status\",\"action\":\"status\","
                + "\"status\":503,\"count\":6}");
        Thread.sleep(1_000);
        h.clearFaults();
        assertThat(task(task).path("status").asText()).as("while Spot 503s").isEqualTo("running");
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 1200}").status()).isEqualTo(200);
        JsonNode t = awaitEnd(task, 10);
        assertThat(spotStatus(id)).isEqualTo("PAUSED");
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
    }

    /**
     * Held: a start sent while the instance is still PAUSING (its stop under way) is refused at once (409, Spot's
     * state named), no task created, nothing sent to Spot; once PAUSED, the same async start is accepted and its task
     * completes when Spot shows ACTIVE: it is not failed as undone by the RESUMING / PAUSED reads on the way.
     */
    @Test
    void aStartOfAPausingInstanceIsRefusedAndTheLaterStartCompletes() throws Exception {
        String id = h.createInstance();
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
        assertThat(h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);
        Reply stop = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", headers());
        assertThat(stop.status()).as(stop.body()).isBetween(200, 204);
        assertThat(spotStatus(id)).isEqualTo("PAUSING");
        Reply early = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"start\"}",
                headers("Prefer", "respond-async"));
        assertThat(early.status()).as(early.body()).isEqualTo(409);
        assertThat(early.header("X-Flywheel-Task")).isNull();
        assertThat(h.spotRequests("PUT", Harness.INSTANCES + "/" + id + "/resume")).isEmpty();

        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 1200}").status()).isEqualTo(200);
        assertThat(spotStatus(id)).isEqualTo("PAUSED");
        Reply start = h.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"start\"}",
                headers("Prefer", "respond-async"));
        assertThat(start.status()).as(start.body()).isEqualTo(202);
        String task = start.header("X-Flywheel-Task");
        Thread.sleep(300); // RESUMING on several reads
        assertThat(task(task).path("status").asText()).as("%s", task(task)).isEqualTo("running");
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 1200}").status()).isEqualTo(200);
        JsonNode t = awaitEnd(task, 10);
        assertThat(spotStatus(id)).isEqualTo("ACTIVE");
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
    }

    /**
     * Keys kept 1 s ({@code idempotency.ttlSeconds: 1}; tasks 1 h). A keyed async stop completes (PAUSED); the
     * instance is started again; after the key expired the same key and body are sent: a new request for spot-api's
     * idempotency layer, and Spot pauses the instance again (PAUSING). The 202 names the task id derived from the key
     * and the request, i.e. the first stop's task, finished before this request was made ("a task that exists is
     * never created again"): the caller is told at once that this stop is completed while Spot is still PAUSING it,
     * and nothing follows the new stop (it might fail in Spot unseen). The 202 of a request that acted must name a
     * task that follows that action.
     */
    @Test
    void aKeyReusedAfterExpiryForAPowerChangeNamesATaskThatFollowsTheNewChange() throws Exception {
        try (Harness s = Harness.start(Harness.quick(), c -> c.withIdempotency(new dev.spotapi.config.IdempotencyConfig(1))
                .withTasks(Harness.fastTasks()))) {
            String id = s.createInstance();
            assertThat(s.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
            String key = "k-" + java.util.UUID.randomUUID();
            Map<String, String> keyed = headers("Prefer", "respond-async", "Idempotency-Key", key);
            Reply first = s.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", keyed);
            assertThat(first.status()).as(first.body()).isEqualTo(202);
            String firstTask = first.header("X-Flywheel-Task");
            assertThat(s.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
            long end = System.nanoTime() + 10_000_000_000L;
            JsonNode done = null;
            while (System.nanoTime() < end) {
                Reply r = s.get("/flywheel?task=" + firstTask);
                done = r.json().get(firstTask);
                if (done != null && done.path("status").asText().equals("completed")) {
                    break;
                }
                Thread.sleep(30);
            }
            assertThat(done.path("status").asText()).as("%s", done).isEqualTo("completed");
            Reply restart = s.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"start\"}", headers());
            assertThat(restart.status()).as(restart.body()).isBetween(200, 204);
            assertThat(s.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
            Thread.sleep(1_500); // the key expires
            assertThat(s.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}").status()).isEqualTo(200);

            String sent = java.time.Instant.now().toString();
            Reply second = s.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}", keyed);
            assertThat(second.status()).as(second.body()).isEqualTo(202);
            assertThat(second.header("Idempotency-Replayed")).as("a new request, not a replay").isNotEqualTo("true");
            Reply status = s.svc.sim("GET", Harness.INSTANCES + "/" + id + "/status?accountId=" + Harness.MAIN_ID, null);
            assertThat(status.json().path("response").path("items").path(0).path("status").asText())
                    .as("Spot acted on the second stop").isEqualTo("PAUSING");
            String named = second.header("X-Flywheel-Task");
            JsonNode t = s.get("/flywheel?task=" + named).json().get(named);
            assertThat(t).as("the task named by the second 202").isNotNull();
            assertThat(t.path("status").asText())
                    .as("the task named by a stop Spot is still carrying out (sent %s): %s", sent, t)
                    .isNotEqualTo("completed");
        }
    }

    /**
     * Task reads share the rate budget of interactive callers ({@code spot.rateBudgetPerMinute}, per account, route
     * and method; SpotProbe). Before 596f0e8 the tasks reading Spot at once were at most {@code maxRunning} per
     * replica, so their reads were bounded by maxRunning per poll period; now every task past its first 5 polls goes
     * on without a slot, and a replica follows up to {@code maxQueue} (10 x maxRunning by default), each read every
     * pollMs while younger than 10 polls, then every tenth of its age. Scaled down (polls 100 ms, maxRunning 6,
     * maxQueue 60, a budget of 300 status reads per 3 s window, i.e. 1.67 times the old bound of 6 tasks x 10 reads/s
     * x 3 s): 60 long async stops (instances held PAUSING). An interactive caller then stops another instance
     * (synchronously): its status read (PowerPlan) finds the route's budget spent by the background tasks and it
     * gets 429, nothing done. Background polling must leave interactive callers their budget.
     */
    @Test
    void manyLongTasksDoNotSpendTheRateBudgetOfInteractiveCallers() throws Exception {
        var settings = new dev.spotapi.config.SpotClientSettings(2_000, 3_000, 8_000, 3, 20, 200, 300, 3_000);
        try (Harness s = Harness.start(settings, c -> c.withTasks(TaskConfig.DEFAULTS.with(100, 6, 60, 2, 300, Map.of())))) {
            List<String> ids = new java.util.ArrayList<>();
            for (int i = 0; i < 61; i++) {
                ids.add(s.createInstance());
            }
            assertThat(s.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 120}").status()).isEqualTo(200);
            assertThat(s.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 6000}").status()).isEqualTo(200);
            Thread.sleep(3_100); // the creates' reads leave the window
            for (String id : ids.subList(0, 60)) {
                Reply stop = s.svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}",
                        headers("Prefer", "respond-async"));
                assertThat(stop.status()).as(stop.body()).isEqualTo(202);
            }
            Thread.sleep(6_000); // every task started, the stops' own reads out of the window
            s.clearRequestLog();
            long t0 = System.nanoTime();
            Thread.sleep(1_000);
            long reads = s.spotRequests().stream().filter(e -> "GET".equals(e.path("method").asText())
                    && e.path("path").asText().endsWith("/status")).count();
            double perSecond = reads / ((System.nanoTime() - t0) / 1e9);
            Reply interactive = s.svc.call("PUT", "/main/instances/" + ids.get(60) + "/power", "{\"state\":\"stop\"}",
                    headers());
            assertThat(interactive.status())
                    .as("an interactive stop while 60 long tasks poll (%.0f task status reads/s reached Spot; the old"
                            + " bound was 6 x 10/s = 60/s; budget 300 per 3 s): %s", perSecond, interactive.body())
                    .isBetween(200, 204);
        }
    }

    // ---- preconditions --------------------------------------------------------------------------------

    /**
     * RFC 9110 §5.6.7: a recipient of an HTTP date MUST accept the obsolete RFC 850 and asctime forms as well as
     * IMF-fixdate (Preconditions' own doc says it reads them). {@code If-Unmodified-Since} in those forms, with a date
     * long before the group's {@code updatedAt}, must be 412 with nothing written, as the IMF-fixdate form is
     * (AttackRound7HttpTest). spot-api parses only RFC 1123, takes the date as "not an HTTP date", ignores the
     * condition and writes: the caller's optimistic-concurrency check is bypassed.
     */
    @Test
    void anIfUnmodifiedSinceInTheObsoleteHttpDateFormsIsEvaluatedNotIgnored() {
        String id = h.createGroup();
        h.clearRequestLog();
        String body = "{\"capacity\":{\"minimum\":0,\"maximum\":3,\"target\":1}}";
        Reply imf = unchecked("PUT", "/main/elastigroups/" + id, body,
                headers("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"));
        assertThat(imf.status()).as("IMF-fixdate: %s", imf.body()).isEqualTo(412);
        for (String date : List.of("Thursday, 01-Jan-70 00:00:00 GMT", "Thu Jan  1 00:00:00 1970")) {
            Reply r = unchecked("PUT", "/main/elastigroups/" + id, body, headers("If-Unmodified-Since", date));
            assertThat(r.status()).as("If-Unmodified-Since: %s -> %s", date, r.body()).isEqualTo(412);
        }
        assertThat(h.spotRequests("PUT", Harness.GROUPS + "/" + id)).as("writes sent to Spot").isEmpty();
    }

    /**
     * Spot's older {@code updatedAt} form {@code 2016-01-28T16:18:14.000+0000} (contract §4.3: seen in a recorded
     * reply and in OAS {@code createdAtUpdatedAt.yaml}; "our client should accept both"). A group whose Spot object
     * carries it, updated with {@code If-Unmodified-Since} a date before it: 412 expected. spot-api's
     * {@code Instant.parse} cannot read {@code +0000}, takes "no updatedAt", ignores the condition and writes.
     */
    @Test
    void anIfUnmodifiedSinceAgainstSpotsOlderUpdatedAtFormIsEvaluatedNotIgnored() {
        String id = h.createGroup();
        Reply read = h.svc.sim("GET", Harness.GROUPS + "/" + id + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        ObjectNode reply = (ObjectNode) read.json();
        ObjectNode group = (ObjectNode) reply.path("response").path("items").path(0);
        group.put("updatedAt", "2016-01-28T16:18:14.000+0000");
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + id + "\",\"action\":\"json\",\"count\":10,"
                + "\"body\":" + reply + "}");
        h.clearRequestLog();
        Reply r = unchecked("PUT", "/main/elastigroups/" + id, "{\"capacity\":{\"minimum\":0,\"maximum\":3,\"target\":1}}",
                headers("If-Unmodified-Since", "Sun, 01 Jan 2006 00:00:00 GMT"));
        h.clearFaults();
        assertThat(r.status()).as("updatedAt 2016 (+0000 form), If-Unmodified-Since 2006: %s", r.body()).isEqualTo(412);
        assertThat(h.spotRequests("PUT", Harness.GROUPS + "/" + id)).as("writes sent to Spot").isEmpty();
    }

    /**
     * The expiry service's tag merge ({@code PUT /{account}/{id}/tags}, the kind told by the id) and the explicit
     * {@code PUT /{account}/elastigroups/{id}/tags} change the same object: one precondition must be evaluated alike
     * on both. {@code If-Unmodified-Since} 1970 and {@code If-None-Match: *} on an existing group must be 412 on
     * either path, nothing written.
     */
    @Test
    void preconditionsOnATagMergeAreEvaluatedAlikeOnBothPathsOfTheSameObject() {
        String id = h.createGroup();
        h.clearRequestLog();
        String body = "{\"tags\":{\"expires-at\":\"2030-01-01T00:00:00Z\"}}";
        Map<String, Integer> seen = new java.util.LinkedHashMap<>();
        for (String path : List.of("/main/elastigroups/" + id + "/tags", "/main/" + id + "/tags")) {
            for (String[] condition : List.of(new String[] {"If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"},
                    new String[] {"If-None-Match", "*"})) {
                Reply r = unchecked("PUT", path, body, headers(condition[0], condition[1]));
                seen.put("PUT " + path + " " + condition[0] + ": " + condition[1] + " -> " + r.body(), r.status());
            }
        }
        assertThat(seen).as("answers").allSatisfy((what, status) -> assertThat(status).as(what).isEqualTo(412));
        assertThat(h.spotRequests("PUT", Harness.GROUPS + "/" + id)).as("writes sent to Spot").isEmpty();
    }

    /**
     * Held: legitimate conditional writes pass: {@code If-Match: *} on an existing object, an
     * {@code If-Unmodified-Since} later than {@code updatedAt} (a client clock ahead of Spot's by a minute),
     * {@code If-None-Match} with an entity tag (spot-api sends none, so none matches: the condition holds), and a
     * create with {@code If-None-Match: *}; reads ignore preconditions.
     */
    @Test
    void legitimateConditionalWritesAndReadsAreNotRefused() {
        String id = h.createGroup();
        String body = "{\"capacity\":{\"minimum\":0,\"maximum\":3,\"target\":1}}";
        String later = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
                .format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusMinutes(1));
        for (String[] condition : List.of(new String[] {"If-Match", "*"}, new String[] {"If-Unmodified-Since", later},
                new String[] {"If-None-Match", "\"x\""})) {
            Reply r = unchecked("PUT", "/main/elastigroups/" + id, body, headers(condition[0], condition[1]));
            assertThat(r.status()).as("%s: %s -> %s", condition[0], condition[1], r.body()).isEqualTo(200);
        }
        Reply create = unchecked("POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("grp-c")).toString(),
                headers("If-None-Match", "*"));
        assertThat(create.status()).as(create.body()).isEqualTo(200);
        Reply get = unchecked("GET", "/main/elastigroups/" + id, null, headers("If-Match", "\"nope\""));
        assertThat(get.status()).as(get.body()).isEqualTo(200);
    }

    /**
     * spot-api's published contract ({@code GET /openapi.json}, which TestService checks every answer against)
     * must declare the answers the service now gives: a failed precondition's 412 on a write (and the body
     * codings' 415/501). It declares none: a client generated from it treats the 412 as an undeclared answer.
     */
    @Test
    void theOpenApiDocumentDeclaresTheAnswersOfConditionalWrites() {
        String id = h.createGroup();
        Reply r = h.svc.call("PUT", "/main/elastigroups/" + id, "{\"capacity\":{\"minimum\":0,\"maximum\":3,\"target\":1}}",
                headers("If-Match", "\"an-etag\"")); // TestService fails the call when openapi.json does not declare it
        assertThat(r.status()).as(r.body()).isEqualTo(412);
    }

    /**
     * A conditional, keyed update: {@code If-Unmodified-Since} the group's {@code updatedAt} (the caller read it) and
     * an {@code Idempotency-Key} (so that a lost answer can be retried safely). The write is done (200); its answer is
     * lost and the client retries the identical request with the same key. The key's contract is the stored 200
     * (Idempotency-Replayed), nothing run again. The precondition is evaluated before the key is looked at, against
     * the object the first request itself modified: the retry is 412 "nothing was done", and the caller believes its
     * write failed though Spot has it.
     */
    @Test
    void theRetryOfADoneConditionalKeyedWriteIsReplayedNotRefused412() throws Exception {
        String id = h.createGroup();
        Reply read = unchecked("GET", "/main/elastigroups/" + id, null, headers());
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        java.time.Instant updated = java.time.Instant.parse(read.json().path("updatedAt").asText());
        String since = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.format(updated.atZone(java.time.ZoneOffset.UTC));
        Thread.sleep(1_100); // the write lands in a later second than the read's updatedAt
        Map<String, String> conditional = headers("If-Unmodified-Since", since, "Idempotency-Key", "k-" + java.util.UUID.randomUUID());
        String body = "{\"capacity\":{\"minimum\":0,\"maximum\":3,\"target\":2}}";
        Reply first = unchecked("PUT", "/main/elastigroups/" + id, body, conditional);
        assertThat(first.status()).as("the conditional write (If-Unmodified-Since %s): %s", since, first.body()).isEqualTo(200);
        Reply retry = unchecked("PUT", "/main/elastigroups/" + id, body, conditional);
        assertThat(retry.status()).as("the retry with the same key: %s", retry.body()).isEqualTo(200);
        assertThat(retry.headers().getOrDefault("Idempotency-Replayed", List.of())).containsExactly("true");
    }

    /**
     * Held: a body labelled {@code Content-Encoding: gzip} (plain JSON) is refused 415 on every write that takes a
     * body, the expiry service's tag merge and the bulk power route included, nothing sent to Spot.
     */
    @Test
    void aBodyInAContentCodingIsRefusedOnTheTagMergeAndBulkRoutesToo() {
        String id = h.createGroup();
        String mi = h.createInstance();
        h.clearRequestLog();
        Map<String, String> gz = headers("Content-Encoding", "gzip");
        Reply merge = unchecked("PUT", "/main/" + id + "/tags", "{\"tags\":{\"expires-at\":\"2030-01-01T00:00:00Z\"}}", gz);
        assertThat(merge.status()).as(merge.body()).isEqualTo(415);
        Reply bulk = unchecked("PUT", "/main/instances-power", "{\"instances\":[{\"id\":\"" + mi + "\",\"state\":\"stop\"}]}", gz);
        assertThat(bulk.status()).as(bulk.body()).isEqualTo(415);
        assertThat(h.spotRequests().stream().filter(e -> !"GET".equals(e.path("method").asText())).toList())
                .as("writes sent to Spot").isEmpty();
    }

    // ---- query decoding -------------------------------------------------------------------------------

    /**
     * Held: valid query forms are not refused by the new decoding: {@code +} for a space, percent-encoded UTF-8, an
     * empty value, a name without {@code =}, a literal {@code ;}; only a part that is not valid percent-encoded
     * UTF-8 is a 400.
     */
    @Test
    void validQueryFormsAreNotRefusedByTheStricterDecoding() {
        for (String q : List.of("space=a+b", "space=%C3%A9t%C3%A9", "space=", "space", "space=a;b", "x=%E2%82%AC&y=1")) {
            Reply r = h.svc.call("GET", "/main/elastigroups?" + q, null, headers());
            assertThat(r.status()).as("?%s -> %s", q, r.body()).isEqualTo(200);
        }
        for (String q : List.of("space=%C3", "space=%E9", "space=%C3%28")) {
            Reply r = h.svc.call("GET", "/main/elastigroups?" + q, null, headers());
            assertThat(r.status()).as("?%s -> %s", q, r.body()).isEqualTo(400);
        }
    }
}
