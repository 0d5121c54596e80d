package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Attack round 2: bulk power ({@code PUT /{account}/instances-power}, 1-100 ids) is documented to cost one list
 * call and one {@code PUT /aws/ec2/managedInstance/state} whatever the number of ids. One id Spot refuses in the
 * all-or-nothing call (an instance already stopped) makes it fall back to one status read and one pause per id:
 * a caller who always includes one stopped instance turns each request into 2N+2 Spot calls (201 for 100 ids,
 * measured in the sandbox), out of the account's per-route rate budgets that every other caller shares.
 *
 * <p>Expected: the Spot calls of one bulk request do not grow with the number of ids (the stopped instance is
 * answered from the one list, or left out of the bulk call).
 */
class BulkPowerAmplificationAttackTest extends HarnessPerClass {

    @Test
    void oneStoppedInstanceDoesNotTurnABulkStopIntoOneSpotCallPerId() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            ids.add(h.createInstance());
        }
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 600}").status()).isEqualTo(200);
        Reply one = h.call("PUT", "/main/instances/" + ids.get(0) + "/power", "{\"state\": \"stop\"}");
        assertThat(one.status()).as(one.body()).isEqualTo(204);
        h.clearRequestLog();

        Reply bulk = h.call("PUT", "/main/instances-power",
                "{\"state\": \"stop\", \"instances\": [\"" + String.join("\", \"", ids) + "\"]}");

        assertThat(bulk.status()).as(bulk.body()).isEqualTo(200);
        int calls = h.spotRequests().size();
        assertThat(calls).as("Spot calls for one bulk stop of %d ids", ids.size()).isLessThan(ids.size());
        // the list, then halves until the stopped one is alone (~2 log2 N), then its own status read
        assertThat(calls).isLessThanOrEqualTo(2 + 2 * 5 + 2);
        assertThat(bulk.json().path("instances")).hasSize(ids.size())
                .allSatisfy(r -> assertThat(r.path("result").asText()).as("%s", r).isEqualTo("accepted"));
    }
}
