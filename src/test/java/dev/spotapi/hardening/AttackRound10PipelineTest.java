package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Attack round 10 (helper attack10a), from outside: the request pipeline's new order, where the
 * {@code Idempotency-Key} is claimed (and a stored answer replayed) before the org check, the preconditions' read
 * and async marking. Each test asserts what a caller of such a service expects; a failing one is a finding (see
 * the report), a passing one an attack that held.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AttackRound10PipelineTest {
    private Harness h;

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

    private Reply raw(String method, String path, String body, Map<String, String> headers) {
        return Harness.unchecked(h.port(), method, path, body, headers);
    }

    private static String key() {
        return "k10-" + UUID.randomUUID();
    }

    /** A group of this org, target 1 (0..5); its id. */
    private String ourGroup() {
        ObjectNode body = Harness.groupBody(Harness.uniqueName("k10"));
        body.with("capacity").put("minimum", 0).put("maximum", 5).put("target", 1);
        Reply r = raw("POST", "/main/elastigroups", body.toString(), headers());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("id").asText();
    }

    /** A group of another org ({@code spinup:org=otherorg}), created in Spot directly (the simulator); its id. */
    private String anotherOrgsGroup() {
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("group", Harness.tagged(Harness.groupBody(Harness.uniqueName("theirs")), "spinup:org", "otherorg"));
        Reply created = h.svc.sim("POST", Harness.GROUPS + "?accountId=" + Harness.MAIN_ID, wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("response").path("items").path(0).path("id").asText();
    }

    private int targetInSpot(String id) {
        Reply r = h.svc.sim("GET", Harness.GROUPS + "/" + id + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0).path("capacity").path("target").asInt(-1);
    }

    // ---- a failed org check must not keep the key ----------------------------------------------------------

    /**
     * The key is now claimed before the org check. {@code PUT /main/elastigroups/{id}/capacity} (an action) with key
     * K while Spot answers the org check's read of the group ({@code GET /aws/ec2/group/{id}}) with 500: spot-api
     * answers 502, and nothing was sent to change the group (the capacity PUT never left). Spot recovers; the caller
     * retries with the same key and body, as the 5xx invites. Expected: the retry runs (200, the target set once),
     * as a failed preconditions read already frees the key. A stored 502 for an action that never started would
     * leave the caller unable to ever get it done with that key, and tell it "Spot may have acted" when it did not.
     */
    @Test
    void aKeyedActionWhoseOrgCheckReadFailedIsRunByTheRetry() {
        String id = ourGroup();
        String k = key();
        String path = "/main/elastigroups/" + id + "/capacity";
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + id + "\",\"action\":\"status\","
                + "\"status\":500,\"count\":1000}");
        Reply first;
        try {
            first = raw("PUT", path, "{\"target\": 3}", headers("Idempotency-Key", k));
        } finally {
            h.clearFaults();
        }
        assertThat(first.status()).as(first.body()).isGreaterThanOrEqualTo(500);
        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id)).as("no change was sent to Spot").isZero();

        Reply retry = raw("PUT", path, "{\"target\": 3}", headers("Idempotency-Key", k));
        assertThat(retry.status()).as("retry after the org check's read failed: %s %s (replayed=%s)", retry.status(),
                retry.body(), retry.header("Idempotency-Replayed")).isEqualTo(200);
        assertThat(targetInSpot(id)).isEqualTo(3);
    }

    /**
     * A keyed request refused by the org check (another org's group: 404) must leave no claim behind: the same key
     * right after, on this org's own group, runs (not a 422 "used for a different request", not a 409 in flight).
     */
    @Test
    void aKeyedRequestRefusedByTheOrgCheckLeavesTheKeyFree() {
        String theirs = anotherOrgsGroup();
        String ours = ourGroup();
        String k = key();
        Reply refused = raw("PUT", "/main/elastigroups/" + theirs + "/capacity", "{\"target\": 3}",
                headers("Idempotency-Key", k));
        assertThat(refused.status()).as(refused.body()).isEqualTo(404);
        assertThat(targetInSpot(theirs)).as("another org's group untouched").isNotEqualTo(3);

        Reply ok = raw("PUT", "/main/elastigroups/" + ours + "/capacity", "{\"target\": 3}",
                headers("Idempotency-Key", k));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.header("Idempotency-Replayed")).isNull();
        assertThat(targetInSpot(ours)).isEqualTo(3);
    }

    /**
     * A keyed request with a bad body, a repeated query parameter or an unknown account is refused (4xx) and leaves
     * its key free: the same key then serves the good request (200, not 422/409).
     */
    @Test
    void keyedRequestsRefusedBeforeRunningLeaveTheKeyFree() {
        String id = ourGroup();
        String path = "/main/elastigroups/" + id + "/capacity";
        String k = key();
        Reply badBody = raw("PUT", path, "{\"target\": ", headers("Idempotency-Key", k));
        assertThat(badBody.status()).as(badBody.body()).isEqualTo(400);
        Reply unknownAccount = raw("PUT", "/nosuchaccount/elastigroups/" + id + "/capacity", "{\"target\": 4}",
                headers("Idempotency-Key", k));
        assertThat(unknownAccount.status()).as(unknownAccount.body()).isEqualTo(404);
        Reply badId = raw("PUT", "/main/elastigroups/not-a-group-id/capacity", "{\"target\": 4}",
                headers("Idempotency-Key", k));
        assertThat(badId.status()).as(badId.body()).isEqualTo(404);

        Reply ok = raw("PUT", path, "{\"target\": 4}", headers("Idempotency-Key", k));
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(ok.header("Idempotency-Replayed")).isNull();
        assertThat(targetInSpot(id)).isEqualTo(4);
    }

    /**
     * A replay (answered before the org check, then straight to the after steps) still carries what every answer
     * carries: the caller's X-Request-Id echoed, the stored status and body, Idempotency-Replayed; and the same key
     * on another account's path is a 422, never the stored answer of the first account.
     */
    @Test
    void aReplayKeepsTheRequestIdAndIsNeverServedOnAnotherAccountsPath() {
        String id = ourGroup();
        String path = "/main/elastigroups/" + id + "/capacity";
        String k = key();
        Reply first = raw("PUT", path, "{\"target\": 2}", headers("Idempotency-Key", k, "X-Request-Id", "first-10a"));
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        Reply replay = raw("PUT", path, "{\"target\": 2}", headers("Idempotency-Key", k, "X-Request-Id", "replay-10a"));
        assertThat(replay.status()).as(replay.body()).isEqualTo(200);
        assertThat(replay.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(replay.header("X-Request-Id")).isEqualTo("replay-10a");
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id + "/capacity")).isEqualTo(1);

        Reply otherAccount = raw("PUT", "/other/elastigroups/" + id + "/capacity", "{\"target\": 2}",
                headers("Idempotency-Key", k));
        assertThat(otherAccount.status()).as(otherAccount.body()).isEqualTo(422);
        assertThat(otherAccount.header("Idempotency-Replayed")).isNull();
        assertThat(otherAccount.body()).doesNotContain(id);
    }

    /**
     * Org alpha's and org beta's deployments share one Redis and one Spot account. Alpha sets its group's capacity
     * with key K (200, stored). Beta sends the same key, path and body (the claim now comes before beta's org
     * check). Expected: beta never gets alpha's stored answer (it gets the org check's 404) and Spot is not called
     * to change alpha's group; beta's refused request leaves K free in beta's namespace (beta's own group then runs
     * with K); alpha's replay is unchanged.
     */
    @Test
    void anotherOrgOnTheSameRedisNeverGetsThisOrgsStoredAnswerForTheSameKeyAndPath() throws Exception {
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator sim = dev.spotapi.sim.SpotSimulator.builder().port(0)
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            var shared = new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000);
            try (TestService alpha = TestService.replica(sim, TestService.fastSettings(),
                    c -> c.withOrg("alpha").withSharedState(shared));
                    TestService beta = TestService.replica(sim, TestService.fastSettings(),
                            c -> c.withOrg("beta").withSharedState(shared))) {
                String k = key();
                Map<String, String> keyed = headers("Idempotency-Key", k);
                ObjectNode body = Harness.groupBody(Harness.uniqueName("alpha"));
                Reply created = alpha.call("POST", "/main/elastigroups", body, headers());
                assertThat(created.status()).as(created.body()).isEqualTo(200);
                String alphas = created.json().path("id").asText();
                ObjectNode betaBody = Harness.groupBody(Harness.uniqueName("beta"));
                Reply betaCreated = beta.call("POST", "/main/elastigroups", betaBody, headers());
                assertThat(betaCreated.status()).as(betaCreated.body()).isEqualTo(200);
                String betas = betaCreated.json().path("id").asText();

                String capacity = "{\"target\": 3}";
                Reply a = alpha.call("PUT", "/main/elastigroups/" + alphas + "/capacity", TestService.json(capacity), keyed);
                assertThat(a.status()).as(a.body()).isEqualTo(200);

                Reply b = beta.call("PUT", "/main/elastigroups/" + alphas + "/capacity", TestService.json(capacity), keyed);
                assertThat(b.status()).as("beta with alpha's key on alpha's group: %s", b.body()).isEqualTo(404);
                assertThat(b.header("Idempotency-Replayed")).isNull();
                assertThat(b.body()).doesNotContain("\"target\"");

                Reply own = beta.call("PUT", "/main/elastigroups/" + betas + "/capacity", TestService.json(capacity), keyed);
                assertThat(own.status()).as("beta's own group with the same key: %s", own.body()).isEqualTo(200);
                assertThat(own.header("Idempotency-Replayed")).isNull();

                Reply again = alpha.call("PUT", "/main/elastigroups/" + alphas + "/capacity", TestService.json(capacity), keyed);
                assertThat(again.status()).as(again.body()).isEqualTo(200);
                assertThat(again.header("Idempotency-Replayed")).isEqualTo("true");
                assertThat(again.body()).isEqualTo(a.body());
            }
        }
    }

    /**
     * The same kind on a keyed update ({@code PUT /main/elastigroups/{id}}): Spot answers the org check's read with
     * 503; no update was sent. Expected: the retry with the same key and body, once Spot is back, updates the group
     * (200, the new name in Spot), not a replayed 502.
     */
    @Test
    void aKeyedUpdateWhoseOrgCheckReadFailedIsRunByTheRetry() {
        String id = ourGroup();
        String k = key();
        String renamed = Harness.uniqueName("renamed");
        String update = "{\"name\": \"" + renamed + "\"}";
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + id + "\",\"action\":\"status\","
                + "\"status\":503,\"count\":1000}");
        Reply first;
        try {
            first = raw("PUT", "/main/elastigroups/" + id, update, headers("Idempotency-Key", k));
        } finally {
            h.clearFaults();
        }
        assertThat(first.status()).as(first.body()).isGreaterThanOrEqualTo(500);
        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id)).as("no update was sent to Spot").isZero();

        Reply retry = raw("PUT", "/main/elastigroups/" + id, update, headers("Idempotency-Key", k));
        assertThat(retry.status()).as("retry after the org check's read failed: %s %s (replayed=%s)", retry.status(),
                retry.body(), retry.header("Idempotency-Replayed")).isEqualTo(200);
        Reply stored = h.svc.sim("GET", Harness.GROUPS + "/" + id + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(stored.json().path("response").path("items").path(0).path("name").asText()).isEqualTo(renamed);
    }
}
