package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/**
 * The portal's night and morning, through spot-api only (the simulator's clock is the only thing
 * touched directly): stop an instance and a group in the evening, see them PAUSED / at capacity 0
 * through the night, start both in the morning, see them ACTIVE / at their old capacity.
 */
class NightCycleTest extends ApiTestSupport {

    private String instanceStatus(String id) {
        Reply r = get("/main/instances/" + id + "/status");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("status").asText();
    }

    /** Polls spot-api (advancing simulated time a minute per poll, bounded) until the instance reports {@code wanted}. */
    private void awaitInstance(String id, String wanted) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        String status = instanceStatus(id);
        while (!status.equals(wanted) && System.nanoTime() < deadline) {
            advanceSimClock("{\"minutes\": 1}");
            Thread.sleep(5);
            status = instanceStatus(id);
        }
        assertThat(status).as("status of %s", id).isEqualTo(wanted);
    }

    private JsonNode groupCapacity(String id) {
        Reply r = get("/main/elastigroups/" + id);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("capacity");
    }

    private int runningInGroup(String id) {
        Reply r = get("/main/elastigroups/" + id + "/status");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().size();
    }

    @Test
    void stopAtNightStartInTheMorning() throws InterruptedException {
        freezeSimClock();
        String instance = createInstance();
        String group = createGroup(); // capacity 2/4/2
        advanceSimClock("{\"hours\": 10}");
        assertThat(instanceStatus(instance)).isEqualTo("ACTIVE");
        assertThat(runningInGroup(group)).isEqualTo(2);

        // evening
        assertThat(call("PUT", "/main/instances/" + instance + "/power", "{\"state\":\"stop\"}").status()).isEqualTo(204);
        assertThat(call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}").status()).isEqualTo(204);
        awaitInstance(instance, "PAUSED");

        // through the night
        for (int hour = 0; hour < 12; hour += 3) {
            advanceSimClock("{\"hours\": 3}");
            assertThat(instanceStatus(instance)).isEqualTo("PAUSED");
            JsonNode capacity = groupCapacity(group);
            assertThat(capacity.path("minimum").asInt()).isZero();
            assertThat(capacity.path("maximum").asInt()).isZero();
            assertThat(capacity.path("target").asInt()).isZero();
            assertThat(runningInGroup(group)).isZero();
        }
        Reply nightCosts = get("/main/instances/" + instance + "/costs");
        double hoursBeforeMorning = nightCosts.json().path("running").path("value").asDouble();

        // morning
        assertThat(call("PUT", "/main/instances/" + instance + "/power", "{\"state\":\"start\"}").status()).isEqualTo(204);
        assertThat(call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"start\"}").status()).isEqualTo(204);
        awaitInstance(instance, "ACTIVE");
        JsonNode capacity = groupCapacity(group);
        assertThat(capacity.path("minimum").asInt()).isEqualTo(2);
        assertThat(capacity.path("maximum").asInt()).isEqualTo(4);
        assertThat(capacity.path("target").asInt()).isEqualTo(2);
        assertThat(runningInGroup(group)).isEqualTo(2);

        // the night cost nothing: about 10 running hours before it, none during it
        assertThat(hoursBeforeMorning).isBetween(10.0, 10.5);
        advanceSimClock("{\"hours\": 1}");
        double after = get("/main/instances/" + instance + "/costs").json().path("running").path("value").asDouble();
        assertThat(after).isBetween(hoursBeforeMorning + 0.5, hoursBeforeMorning + 1.5);
    }
}
