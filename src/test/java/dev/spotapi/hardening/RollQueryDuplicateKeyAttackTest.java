package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Attack round 2: the roll given as JSON in the query of an update ({@code PUT .../elastigroups/{id}?roll={...}})
 * is caller JSON that reaches Spot, but it misses the body routes' check of a key given twice
 * ({@code AmbiguousInputTest#aKeyGivenTwiceInOneObjectIsRefused}): {@code {"batchSizePercentage":50,
 * "batchSizePercentage":60}} updates the group and sends Spot a roll of 60 % (the last one wins).
 *
 * <p>Expected: 400 naming the repeated key, nothing sent to Spot, as for every body.
 */
class RollQueryDuplicateKeyAttackTest extends HarnessPerClass {

    @Test
    void aKeyGivenTwiceInTheRollQueryIsRefusedAndNothingReachesSpot() {
        String id = h.createGroup();
        h.clearRequestLog();
        String roll = URLEncoder.encode("{\"batchSizePercentage\":50,\"batchSizePercentage\":60}", StandardCharsets.UTF_8);

        Reply r = h.call("PUT", "/main/elastigroups/" + id + "?roll=" + roll, "{\"name\": \"" + Harness.uniqueName("dup") + "\"}");

        assertThat(h.spotRequests().stream().filter(e -> !"GET".equals(e.path("method").asText())).toList())
                .as("writes sent to Spot (answer %d: %s)", r.status(), r.body()).isEmpty();
        Harness.assertJsonError(r, 400);
        assertThat(r.json().path("message").asText()).contains("more than once");
    }
}
