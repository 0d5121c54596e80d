package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Duration;
import java.time.Instant;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 kind 5, "A retried DELETE after a lost reply answers a bare 404 a client cannot tell from 'never
 * existed'": the retry (and any repeat within a day) answers 404 saying the object was already deleted by
 * spot-api, with the time in the machine-readable {@code deletedAt}; an id spot-api never deleted answers
 * the plain 404 without it; the record is in the shared state, so another replica answers the same.
 */
class RepeatedDeleteTest extends HarnessPerClass {

    @Test
    void aRetriedGroupDeleteAfterALostReplySaysSpotApiDeletedIt() {
        String id = h.createGroup();
        h.fault("{\"method\":\"DELETE\",\"path\":\"/aws/ec2/group/*\",\"action\":\"drop_reply\",\"count\":1}");
        Instant before = Instant.now().minusSeconds(1);

        Reply lost = h.call("DELETE", "/main/elastigroups/" + id, null);
        assertJsonError(lost, 502);
        Reply retry = h.call("DELETE", "/main/elastigroups/" + id, null);

        String message = assertJsonError(retry, 404);
        assertThat(message).contains("elastigroup '" + id + "'").contains("already deleted by spot-api at");
        Instant at = Instant.parse(retry.json().path("deletedAt").asText());
        assertThat(at).isBetween(before, Instant.now().plusSeconds(1));
        assertThat(message).contains(at.toString());
        JsonNode never = h.call("DELETE", "/main/elastigroups/sig-0a1b2c3d", null).json();
        assertThat(never.path("status").asInt()).isEqualTo(404);
        assertThat(never.has("deletedAt")).as("never deleted by spot-api: %s", never).isFalse();
        assertThat(never.path("message").asText()).doesNotContain("already deleted");
    }

    @Test
    void aRepeatedInstanceDeleteAfterASuccessSaysSoAndAFailedDeleteIsNotRecorded() {
        String id = h.createInstance();
        h.fault("{\"method\":\"DELETE\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"status\",\"status\":400,"
                + "\"errorCode\":\"CANT_DELETE\",\"count\":1}");
        assertThat(h.call("DELETE", "/main/instances/" + id, null).status()).as("Spot refused it").isEqualTo(400);
        assertThat(h.call("DELETE", "/main/instances/" + id, null).status()).isEqualTo(200);

        Reply again = h.call("DELETE", "/main/instances/" + id, null);

        assertThat(assertJsonError(again, 404)).contains("managed instance '" + id + "'").contains("already deleted");
        assertThat(again.json().path("deletedAt").asText()).isNotEmpty();
        Reply get = h.get("/main/instances/" + id);
        assertThat(assertJsonError(get, 404)).as("only a DELETE is told").doesNotContain("already deleted");
    }

    @Test
    void theRecordIsSharedByTheReplicas() {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            UnaryOperator<ServiceConfig> withRedis = c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000));
            try (Harness a = Harness.of(TestService.replica(sim, Harness.quick(), withRedis), Harness.quick());
                 Harness b = Harness.of(TestService.replica(sim, Harness.quick(), withRedis), Harness.quick())) {
                String id = a.createGroup();
                a.fault("{\"method\":\"DELETE\",\"path\":\"/aws/ec2/group/*\",\"action\":\"drop_reply\",\"count\":1}");
                assertJsonError(a.call("DELETE", "/main/elastigroups/" + id, null), 502);

                Reply onB = b.call("DELETE", "/main/elastigroups/" + id, null);

                assertThat(assertJsonError(onB, 404)).contains("already deleted by spot-api");
                assertThat(onB.json().path("deletedAt").asText()).isNotEmpty();
            }
        }
    }

    @Test
    void aRecordIsForgottenAfterItsTtl() {
        var state = new dev.spotapi.shared.EmbeddedSharedState();
        state.recordDeleted("o:a:instance:smi-1", 1_000, Duration.ofMillis(1));
        state.recordDeleted("o:a:instance:smi-2", 2_000, Duration.ofHours(1));
        long end = System.nanoTime() + 2_000_000_000L;
        while (state.deletedAt("o:a:instance:smi-1").isPresent() && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
        assertThat(state.deletedAt("o:a:instance:smi-1")).as("past its TTL").isEmpty();
        assertThat(state.deletedAt("o:a:instance:smi-2")).hasValue(2_000);
        state.close();
    }
}
