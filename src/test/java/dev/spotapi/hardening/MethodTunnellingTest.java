package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, kind 2: no header or query parameter turns a read into a write (Javalin's Context.method()
 * honours X-HTTP-Method-Override; spot-api refuses every override form with 400 before routing), and HEAD
 * never mutates.
 */
class MethodTunnellingTest extends HarnessPerClass {
    private static final List<String> OVERRIDE_HEADERS = List.of("X-HTTP-Method-Override", "X-Method-Override",
            "X-HTTP-Method", "x-http-method-override", "X-Original-Method");

    @Test
    void noOverrideHeaderTurnsAReadIntoAWrite() {
        String id = h.createInstance();
        String group = h.createGroup();
        for (String header : OVERRIDE_HEADERS) {
            for (String method : List.of("GET", "HEAD", "POST")) {
                for (String path : List.of("/v1/spot/main/instances/" + id, "/v1/spot/main/elastigroups/" + group)) {
                    RawHttp.Answer a = RawHttp.send(h.port(), method, path,
                            Map.of("X-Auth-Token", TestService.TOKEN, header, "DELETE"), null);
                    assertThat(a.status()).as("%s %s with %s: DELETE -> %s", method, path, header, a).isEqualTo(400);
                }
            }
        }
        // also from a caller without a token: refused, never routed
        RawHttp.Answer anonymous = RawHttp.send(h.port(), "GET", "/v1/spot/ping",
                Map.of("X-HTTP-Method-Override", "DELETE"), null);
        assertThat(anonymous.status()).isEqualTo(400);
        assertThat(anonymous.body()).contains("method override");
        assertThat(h.stored(Harness.INSTANCES, id)).as("the instance still exists").isNotNull();
        assertThat(h.stored(Harness.GROUPS, group)).as("the group still exists").isNotNull();
        assertThat(h.countSpotRequests("DELETE", Harness.INSTANCES + "/" + id)).isZero();
        assertThat(h.countSpotRequests("DELETE", Harness.GROUPS + "/" + group)).isZero();
    }

    @Test
    void noMethodQueryParameterTurnsAReadIntoAWrite() {
        String id = h.createInstance();
        for (String query : List.of("_method=DELETE", "_METHOD=delete", "x-http-method-override=DELETE")) {
            RawHttp.Answer a = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances/" + id + "?" + query,
                    Map.of("X-Auth-Token", TestService.TOKEN), null);
            assertThat(a.status()).as("GET ?%s -> %s", query, a).isEqualTo(400);
        }
        assertThat(h.stored(Harness.INSTANCES, id)).as("the instance still exists").isNotNull();
    }

    @Test
    void headNeverMutates() {
        String id = h.createInstance();
        h.clearRequestLog();
        for (String path : List.of("/v1/spot/main/instances/" + id, "/v1/spot/main/instances",
                "/v1/spot/main/elastigroups", "/v1/spot/main/instances/" + id + "/status")) {
            RawHttp.Answer a = RawHttp.send(h.port(), "HEAD", path, Map.of("X-Auth-Token", TestService.TOKEN,
                    "Content-Type", "application/json"), Harness.instanceBody("head").toString().getBytes());
            assertThat(a.status()).as("HEAD %s: %s", path, a).isIn(200, 404);
            assertThat(a.body()).as("HEAD has no body").isEmpty();
        }
        assertThat(h.spotRequests()).as("HEAD only ever reads from Spot")
                .allSatisfy(r -> assertThat(r.path("method").asText()).isEqualTo("GET"));
        assertThat(h.stored(Harness.INSTANCES, id)).isNotNull();
    }
}
