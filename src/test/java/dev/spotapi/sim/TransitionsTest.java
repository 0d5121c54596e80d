package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Item 8 of issue 11: pause, resume and recycle pass through PAUSING, RESUMING and RECYCLING for
 * the configured simulated time before PAUSED / ACTIVE (contract §9.10, §5.1); advancing the clock
 * finishes them; invalid transitions answer a 400 with an error code.
 */
class TransitionsTest extends SimTestBase {
    private String id;

    @BeforeEach
    void realisticTransitions() {
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-01T00:00:00Z\", \"frozen\": true}");
        SimClient.Reply set = client.admin("PUT", "/_sim/transitions", "{\"seconds\": 60}");
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(set.json().path("seconds").asInt()).isEqualTo(60);
        id = createInstance(client, "mi", "t3a.micro").path("id").asText();
    }

    private JsonNode status() {
        return client.get(INSTANCES + "/" + id + "/status").item();
    }

    private int ok(String action) {
        SimClient.Reply reply = client.put(INSTANCES + "/" + id + "/" + action, null);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.status();
    }

    @Test
    void pauseIsPausingUntilTheTransitionTimeHasPassed_9_10() {
        String ec2 = status().path("instanceId").asText();
        ok("pause");
        JsonNode pausing = status();
        assertThat(pausing.path("status").asText()).isEqualTo("PAUSING");
        assertThat(pausing.path("instanceId").asText()).as("still running while pausing").isEqualTo(ec2);
        advanceClock("{\"seconds\": 59}");
        assertThat(status().path("status").asText()).isEqualTo("PAUSING");
        advanceClock("{\"seconds\": 1}");
        JsonNode paused = status();
        assertThat(paused.path("status").asText()).isEqualTo("PAUSED");
        assertThat(paused.has("instanceId")).isFalse();
        assertThat(paused.has("publicIp")).isFalse();
    }

    @Test
    void resumeIsResumingThenActiveOnANewInstance_9_10() {
        String ec2 = status().path("instanceId").asText();
        ok("pause");
        advanceClock("{\"minutes\": 1}");
        ok("resume");
        JsonNode resuming = status();
        assertThat(resuming.path("status").asText()).isEqualTo("RESUMING");
        assertThat(resuming.has("instanceId")).as("no instance yet").isFalse();
        advanceClock("{\"minutes\": 1}");
        JsonNode active = status();
        assertThat(active.path("status").asText()).isEqualTo("ACTIVE");
        assertThat(active.path("instanceId").asText()).startsWith("i-").isNotEqualTo(ec2);
        assertThat(active.path("launchedAt").asText()).isEqualTo("2030-01-01T00:02:00.000Z");
        assertThat(status().path("instanceId").asText()).as("the completed state is stored, not redone").isEqualTo(
                active.path("instanceId").asText());
    }

    @Test
    void recycleIsRecyclingThenActiveOnANewInstance_9_10() {
        String ec2 = status().path("instanceId").asText();
        ok("recycle");
        assertThat(status().path("status").asText()).isEqualTo("RECYCLING");
        assertThat(status().path("instanceId").asText()).isEqualTo(ec2);
        advanceClock("{\"seconds\": 60}");
        assertThat(status().path("status").asText()).isEqualTo("ACTIVE");
        assertThat(status().path("instanceId").asText()).isNotEqualTo(ec2);
    }

    /** While an action is in progress, every other power action is refused; so are the plainly invalid ones. */
    @Test
    void invalidTransitionsAre400() {
        ok("pause");
        for (String action : new String[] {"pause", "resume", "recycle"}) {
            assertSpotError(client.put(INSTANCES + "/" + id + "/" + action, null), 400, "MANAGED_INSTANCE_ACTION_IN_PROGRESS");
        }
        advanceClock("{\"seconds\": 60}");
        assertSpotError(client.put(INSTANCES + "/" + id + "/pause", null), 400, "MANAGED_INSTANCE_ALREADY_PAUSED");
        assertSpotError(client.put(INSTANCES + "/" + id + "/recycle", null), 400, "MANAGED_INSTANCE_NOT_ACTIVE");
        ok("resume");
        advanceClock("{\"seconds\": 60}");
        assertSpotError(client.put(INSTANCES + "/" + id + "/resume", null), 400, "MANAGED_INSTANCE_NOT_PAUSED");
        // an action is due when the clock passes its end, even before anyone looked at the instance
        ok("pause");
        advanceClock("{\"hours\": 1}");
        ok("resume");
    }

    /** Costs: the instance runs (and costs) while PAUSING and RECYCLING, and from the end of RESUMING. */
    @Test
    void costsCountThePhasesTheInstanceRuns() {
        advanceClock("{\"minutes\": 59}");
        ok("pause");                                     // 00:59, paused at 01:00
        advanceClock("{\"hours\": 2}");                  // 02:59
        ok("resume");                                    // active from 03:00
        advanceClock("{\"hours\": 2, \"seconds\": 60}"); // 05:00
        JsonNode costs = client.get(INSTANCES + "/" + id + "/costs").item();
        assertThat(costs.path("running").path("value").asInt()).as(costs.toString()).isEqualTo(3);
    }

    @Test
    void zeroMeansAtOnceAndResetRestoresTheStartValue() {
        client.admin("PUT", "/_sim/transitions", "{\"seconds\": 0}");
        ok("pause");
        assertThat(status().path("status").asText()).isEqualTo("PAUSED");
        assertThat(client.admin("PUT", "/_sim/transitions", "{\"seconds\": -1}").status()).isEqualTo(400);
        assertThat(client.admin("PUT", "/_sim/transitions", "{\"seconds\": \"60\"}").status()).isEqualTo(400);
        client.admin("POST", "/_sim/reset", null);
        // this class's simulator was started with transitionDuration(ZERO)
        assertThat(client.admin("GET", "/_sim/transitions", null).json().path("seconds").asInt()).isZero();
    }

    /** The builder's default is realistic (60 s); tests that do not test transitions ask for 0. */
    @Test
    void theDefaultIsSixtySeconds() {
        try (SpotSimulator defaults = SpotSimulator.builder().start();
             SpotSimulator instant = SpotSimulator.builder().transitionDuration(Duration.ZERO).start()) {
            assertThat(new SimClient(defaults.baseUrl(), "", "").admin("GET", "/_sim/transitions", null).json()
                    .path("seconds").asInt()).isEqualTo(60);
            assertThat(new SimClient(instant.baseUrl(), "", "").admin("GET", "/_sim/transitions", null).json()
                    .path("seconds").asInt()).isZero();
        }
    }
}
