package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/**
 * Attack round 21 (helper "verify20"): round 20's tag limit let a stopped group carry 51 tags because "no instance is
 * launched at capacity 0" (ElastigroupService#power). But round 14/15 made a group whose target was set above 0 after
 * a stop count as started, its {@code spot-api:stopped-capacity} tag left in place ("replaced by the next stop"): a
 * capacity set on a stopped group at the tag bound launched instances with 51 tags (AWS refuses more than 50 on an
 * instance), and the start was then a no-op that never removed the tag. Failed on 8f62171.
 */
class AttackRound21VerifyTest extends ApiTestSupport {


    private JsonNode storedTags(String id) {
        return get("/main/elastigroups/" + id).json().path("compute").path("launchSpecification").path("tags");
    }

    /**
     * A group at the bound (48 of the caller's + spinup:org + spot-api:correlation = 50) stopped by the scheduler got
     * its 51st tag, then a capacity set (the capacity route, or a group update with a capacity) ran it with 51: its
     * instances carried more than AWS allows. Now the stop is refused at the bound, nothing changed; a capacity set
     * and a group update with a capacity then run it at 50.
     */
    @Test
    void aCapacitySetOnAStoppedGroupAtTheBoundDoesNotLaunchInstancesPastFiftyTags() {
        ObjectNode body = groupBody();
        callerTags(body, 48);
        String id = createGroup(body);
        assertThat(storedTags(id).size()).isEqualTo(50);
        Reply stop = call("PUT", "/main/elastigroups/" + id + "/power", TestService.json("{\"state\": \"stop\"}"));
        assertThat(stop.status()).as("stop at the bound: %s", stop.body()).isEqualTo(400);
        assertThat(storedTags(id).size()).isEqualTo(50);
        Reply capacity = call("PUT", "/main/elastigroups/" + id + "/capacity",
                TestService.json("{\"minimum\": 1, \"maximum\": 3, \"target\": 2}"));
        assertThat(capacity.status()).as(capacity.body()).isEqualTo(200);
        Reply update = call("PUT", "/main/elastigroups/" + id,
                TestService.json("{\"capacity\": {\"minimum\": 1, \"maximum\": 4, \"target\": 3}}"));
        assertThat(update.status()).as(update.body()).isEqualTo(200);
        JsonNode group = get("/main/elastigroups/" + id).json();
        assertThat(group.path("capacity").path("target").asInt()).isEqualTo(3);
        assertThat(storedTags(id).size()).as("a running group's tags").isLessThanOrEqualTo(50);
    }
}
