package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * {@link HarnessPerClass} with the steps the cost roll-up tests share: calls with the token, the simulator's admin
 * routes and frozen clock, creates and roll-ups that must succeed.
 */
abstract class CostHarnessPerClass extends HarnessPerClass {
    static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);

    Reply call(String method, String path, Object body) {
        return h.svc.call(method, path, body, TOKEN);
    }

    /** An admin call to the simulator that must answer 200. */
    void sim(String method, String path, String body) {
        Reply r = h.svc.sim(method, path, body);
        assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
    }

    /** Freezes the simulator's clock; its UTC day. */
    LocalDate frozenToday() {
        sim("POST", "/_sim/clock/set", "{\"frozen\": true}");
        return Instant.parse(h.svc.sim("GET", "/_sim/clock", null).json().path("now").asText()).atZone(ZoneOffset.UTC)
                .toLocalDate();
    }

    /** The id of the resource a create of {@code body} at {@code path} made (200 required). */
    String create(String path, ObjectNode body) {
        Reply r = call("POST", path, body);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().isTextual() ? r.json().asText() : r.json().path("id").asText();
    }

    /** {@code GET /main/costs?<query>} (200 required). */
    Reply rollup(String query) {
        Reply r = call("GET", "/main/costs?" + query, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }
}
