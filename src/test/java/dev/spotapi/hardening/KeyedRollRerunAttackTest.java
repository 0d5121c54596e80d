package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Attack round 2: a keyed roll ({@code POST /{account}/elastigroups/{id}/rolls}) is an action on Spot (Spot's
 * {@code PUT /aws/ec2/group/{id}/roll}), but it is keyed like a create: a doubtful answer (the reply lost after
 * Spot started the roll) is not stored, and the retry with the same {@code Idempotency-Key} starts a second
 * roll: the key's promise ("an action never runs twice") does not hold for rolls.
 */
class KeyedRollRerunAttackTest extends HarnessPerClass {

    @Test
    void aKeyedRollWhoseReplyWasLostIsNotStartedAgainByTheRetryWithTheSameKey() {
        String id = h.createGroup();
        String path = "/main/elastigroups/" + id + "/rolls";
        String body = "{\"batchSizePercentage\": 100, \"gracePeriod\": 60}";
        Map<String, String> headers = Map.of("X-Auth-Token", TestService.TOKEN,
                "Idempotency-Key", UUID.randomUUID().toString());
        // Spot starts the roll, the reply is lost
        h.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/group/*/roll\",\"action\":\"drop_reply\",\"count\":1}");

        Reply first = h.svc.call("POST", path, body, headers);
        assertThat(first.status()).as(first.body()).isEqualTo(502);
        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id + "/roll")).isEqualTo(1);

        // the first roll runs to its end in Spot's time, then the caller retries with the same key
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 600}").status()).isEqualTo(200);
        Reply retry = h.svc.call("POST", path, body, headers);

        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id + "/roll"))
                .as("the roll was sent to Spot again by the retry with the same key (answered %d: %s)",
                        retry.status(), retry.body())
                .isEqualTo(1);
        assertThat(retry.status()).as(retry.body()).isEqualTo(502);
        assertThat(retry.header("Idempotency-Replayed")).isEqualTo("true");
    }

    /**
     * {@code PUT /{account}/elastigroups/{id}?roll=true} starts a roll too (Terraform's {@code should_roll}), but
     * the route is a CHANGE, not an action: its {@code Idempotency-Key} is silently ignored, so a retry of a
     * request that was answered 202 (a lost answer, a client timeout) starts a second roll.
     */
    @Test
    void anUpdateWithRollRetriedWithTheSameKeyDoesNotRollTwice() {
        String id = h.createGroup();
        String path = "/main/elastigroups/" + id + "?roll=true";
        String body = "{\"name\": \"" + Harness.uniqueName("rolled") + "\"}";
        Map<String, String> headers = Map.of("X-Auth-Token", TestService.TOKEN,
                "Idempotency-Key", UUID.randomUUID().toString());

        Reply first = h.svc.call("PUT", path, body, headers);
        assertThat(first.status()).as(first.body()).isEqualTo(202);
        // the roll ends in Spot's time; the caller, who never saw the 202, retries with the same key
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 3000}").status()).isEqualTo(200);
        Reply retry = h.svc.call("PUT", path, body, headers);

        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id + "/roll"))
                .as("rolls started for one keyed request (retry answered %d, roll %s then %s)", retry.status(),
                        first.header("X-Spot-Roll"), retry.header("X-Spot-Roll"))
                .isEqualTo(1);
        assertThat(retry.header("Idempotency-Replayed")).isEqualTo("true");
    }
}
