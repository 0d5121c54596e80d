package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 22, the simulator alone: what it refuses as Spot does, and the roll rules a black-box test through
 * spot-api does not reach (RESTART_SERVER, NONE health checks, the minimum healthy share, roll ids of another
 * account, persistence of a roll in the exported state).
 */
class RollSimTest extends SimTestBase {
    @BeforeEach
    void frozen() {
        assertThat(client.admin("POST", "/_sim/clock/set", "{\"frozen\": true}").status()).isEqualTo(200);
        assertThat(client.admin("PUT", "/_sim/unhealthyImages", "{\"imageIds\": []}").status()).isEqualTo(200);
    }

    private static Set<String> fleet(String group) {
        Set<String> out = new HashSet<>();
        client.spot("GET", GROUPS + "/" + group + "/status", null).items().forEach(i -> out.add(i.path("instanceId").asText()));
        return out;
    }

    private static JsonNode roll(String group, String body) {
        SimClient.Reply r = client.spot("PUT", GROUPS + "/" + group + "/roll", body);
        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        return r.item();
    }

    @Test
    void refusesWhatSpotRefuses() {
        String g = createGroup(client, "r", 0, 2, 4).path("id").asText();
        assertValidationError(client.spot("PUT", GROUPS + "/" + g + "/roll", "{\"batchSizePercentage\": 0}"),
                "body:batchSizePercentage");
        assertValidationError(client.spot("PUT", GROUPS + "/" + g + "/roll", "{\"batchSizePercentage\": 101}"),
                "body:batchSizePercentage");
        // OAS start-deployment: gracePeriod is required with batchSizePercentage
        assertValidationError(client.spot("PUT", GROUPS + "/" + g + "/roll", "{\"batchSizePercentage\": 50}"),
                "body:gracePeriod");
        assertValidationError(client.spot("PUT", GROUPS + "/" + g + "/roll",
                "{\"batchSizePercentage\": 50, \"gracePeriod\": null}"), "body:gracePeriod");
        assertValidationError(client.spot("PUT", GROUPS + "/" + g + "/roll",
                "{\"batchSizePercentage\": 50, \"gracePeriod\": 60, \"strategy\": {\"action\": \"SWAP\"}}"),
                "body:strategy.action");
        assertValidationError(client.spot("PUT", GROUPS + "/" + g + "/roll",
                "{\"batchSizePercentage\": 50, \"gracePeriod\": 60, \"healthCheckType\": \"PING\"}"),
                "body:healthCheckType");
        String empty = createGroup(client, "e", 0, 0, 4).path("id").asText();
        assertSpotError(client.spot("PUT", GROUPS + "/" + empty + "/roll",
                "{\"batchSizePercentage\": 50, \"gracePeriod\": 60}"), 400, "CANT_ROLL_GROUP");
        String id = roll(g, "{\"batchSizePercentage\": 50, \"gracePeriod\": 60}").path("id").asText();
        SimClient.Reply second = client.spot("PUT", GROUPS + "/" + g + "/roll",
                "{\"batchSizePercentage\": 50, \"gracePeriod\": 60}");
        assertSpotError(second, 400, "DEPLOYMENT_ALREADY_IN_PROGRESS");
        assertThat(second.error().path("message").asText()).contains(id);
        assertSpotError(other.spot("GET", GROUPS + "/" + g + "/roll/" + id, null), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(client.spot("GET", GROUPS + "/" + g + "/roll/sbgd-00000000", null), 400, "DEPLOYMENT_NOT_FOUND");
    }

    @Test
    void restartServerKeepsTheInstancesAndNoneHealthChecksPassABadImage() {
        String g = createGroup(client, "r", 0, 2, 4).path("id").asText();
        Set<String> before = fleet(g);
        String restart = roll(g, "{\"batchSizePercentage\": 50, \"gracePeriod\": 10, \"strategy\": {\"action\": \"RESTART_SERVER\"}}")
                .path("id").asText();
        advanceClock("{\"seconds\": 20}");
        assertThat(client.spot("GET", GROUPS + "/" + g + "/roll/" + restart, null).item().path("status").asText())
                .isEqualTo("FINISHED");
        assertThat(fleet(g)).isEqualTo(before);

        client.admin("PUT", "/_sim/unhealthyImages", "{\"imageIds\": [\"ami-00000000000000000\"]}");
        String none = roll(g, "{\"batchSizePercentage\": 100, \"gracePeriod\": 10, \"healthCheckType\": \"NONE\"}")
                .path("id").asText();
        advanceClock("{\"seconds\": 10}");
        assertThat(client.spot("GET", GROUPS + "/" + g + "/roll/" + none, null).item().path("status").asText())
                .isEqualTo("FINISHED");
        assertThat(fleet(g)).hasSize(2).doesNotContainAnyElementsOf(before);

        String lenient = roll(g, "{\"batchSizePercentage\": 100, \"gracePeriod\": 10, \"healthCheckType\": \"EC2\","
                + " \"strategy\": {\"batchMinHealthyPercentage\": 0}}").path("id").asText();
        advanceClock("{\"seconds\": 10}");
        assertThat(client.spot("GET", GROUPS + "/" + g + "/roll/" + lenient, null).item().path("status").asText())
                .as("a minimum of 0 %% healthy passes an unhealthy batch").isEqualTo("FINISHED");

        String strict = roll(g, "{\"batchSizePercentage\": 100, \"gracePeriod\": 10, \"healthCheckType\": \"EC2\"}")
                .path("id").asText();
        advanceClock("{\"seconds\": 10}");
        JsonNode status = client.spot("GET", GROUPS + "/" + g + "/roll/" + strict + "/status", null).item();
        assertThat(status.path("instances").path(0).path("green").path(0).path("status").asText()).isEqualTo("UNHEALTHY");
        assertThat(client.spot("GET", GROUPS + "/" + g + "/instanceHealthiness", null).items())
                .extracting(i -> i.path("healthStatus").asText()).contains("UNHEALTHY");
        String exported = client.admin("GET", "/_sim/state", null).body();
        assertThat(exported).as("rolls are part of the group's stored state").contains(strict);
    }
}
