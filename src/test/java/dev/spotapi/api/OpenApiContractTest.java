package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.OpenApiContract;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document is what the server does: the cases a validating proxy found it silent on,
 * each checked by {@link OpenApiContract} (which {@link TestService} applies to every reply of every
 * black-box test), and proof that the contract check catches a drift.
 */
class OpenApiContractTest extends ApiTestSupport {
    private static final String URL = "http://127.0.0.1:1/v1/spot";

    @Test
    void jsonNullsTheServiceAcceptsAreValidRequests() {
        String id = createGroup();
        ObjectNode update = TestService.json("""
                {"description": null, "capacity": {"target": 3, "unit": null}, "scaling": null,
                 "scheduling": null, "thirdPartiesIntegration": null}""");
        Reply r = call("PUT", "/main/elastigroups/" + id, update);
        assertThat(r.status()).as(r.body()).isEqualTo(200); // and the request validated against the document
        ObjectNode instance = instanceBody();
        instance.putNull("description");
        instance.putNull("scheduling");
        instance.putNull("integrations");
        assertThat(call("POST", "/main/instances", instance).status()).isEqualTo(200);
    }

    @Test
    void requestBodiesAreJsonWhateverTheContentType() {
        String id = createGroup();
        for (String type : List.of("application/json", "application/json; charset=utf-8", "text/plain",
                "application/x-www-form-urlencoded")) {
            Reply r = svc.call("PUT", "/main/elastigroups/" + id, "{\"description\": \"via " + type + "\"}",
                    Map.of("X-Auth-Token", TestService.TOKEN, "Content-Type", type));
            assertThat(r.status()).as("%s: %s", type, r.body()).isEqualTo(200);
        }
    }

    @Test
    void volumesAnswer501ForAnyAccountKnownOrNot() {
        assertThat(get("/main/volumes").status()).isEqualTo(501);
        assertThat(get("/no-such-account/volumes").status()).isEqualTo(501);
    }

    @Test
    void aMethodAPathDoesNotHaveIs405WithAllow() {
        Reply r = call("DELETE", "/ping", null);
        assertError(r, 405);
        assertThat(r.header("Allow")).contains("GET");
        Reply onAccount = call("PATCH", "/main/elastigroups", TestService.json("{}"));
        assertError(onAccount, 405);
        assertThat(onAccount.header("Allow")).contains("GET").contains("POST");
        // a browser's Accept (text/html) gets the same list (under Javalin its Allow was empty)
        Reply browser = svc.call("PATCH", "/main/elastigroups", TestService.json("{}"),
                java.util.Map.of("X-Auth-Token", TestService.TOKEN, "Accept", "text/html,application/xhtml+xml"));
        assertError(browser, 405);
        assertThat(browser.header("Allow")).isEqualTo("GET, HEAD, POST");
    }

    @Test
    void getsAnswer400WhenSpotRejectsTheId() {
        Reply r = get("/main/elastigroups/not-an-id");
        assertThat(r.status()).as(r.body()).isIn(400, 404);
    }

    // ---- the contract check itself catches drift ----------------------------------------------------

    private static final Map<String, List<String>> JSON_WITH_ID = Map.of(
            "Content-Type", List.of("application/json"), "X-Request-Id", List.of("r1"));

    @Test
    void anUndocumentedStatusFails() {
        assertThatThrownBy(() -> OpenApiContract.get().check("GET", URI.create(URL + "/ping"), Map.of(), null, 418,
                JSON_WITH_ID, "{\"status\":418,\"message\":\"x\",\"requestId\":\"r1\"}"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("418");
    }

    @Test
    void anUndeclaredResponseHeaderFails() {
        Map<String, List<String>> headers = Map.of("Content-Type", List.of("text/plain"), "X-Request-Id",
                List.of("r1"), "X-Something-New", List.of("1"));
        assertThatThrownBy(() -> OpenApiContract.get().check("GET", URI.create(URL + "/ping"), Map.of(), null, 200,
                headers, "pong")).isInstanceOf(AssertionError.class).hasMessageContaining("X-Something-New");
    }

    @Test
    void aMissingRequestIdFails() {
        assertThatThrownBy(() -> OpenApiContract.get().check("GET", URI.create(URL + "/ping"), Map.of(), null, 200,
                Map.of("Content-Type", List.of("text/plain")), "pong"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("X-Request-Id");
    }

    @Test
    void aBodyOffItsSchemaFails() {
        assertThatThrownBy(() -> OpenApiContract.get().check("GET", URI.create(URL + "/main/instances"),
                Map.of("X-Auth-Token", TestService.TOKEN), null, 200, JSON_WITH_ID, "{\"not\": \"a list\"}"))
                .isInstanceOf(AssertionError.class);
    }

    @Test
    void a405WhoseAllowDiffersFromTheDocumentFails() {
        Map<String, List<String>> headers = Map.of("Content-Type", List.of("application/json"), "X-Request-Id",
                List.of("r1"), "Allow", List.of("GET, DELETE"));
        assertThatThrownBy(() -> OpenApiContract.get().check("PUT", URI.create(URL + "/ping"), Map.of(), null, 405,
                headers, "{\"status\":405,\"message\":\"x\",\"requestId\":\"r1\"}"))
                .isInstanceOf(AssertionError.class).hasMessageContaining("Allow");
    }

    @Test
    void anAcceptedRequestOffTheDocumentFails() {
        assertThatThrownBy(() -> OpenApiContract.get().check("GET",
                URI.create(URL + "/main/instances/smi-12345678/costs?start=yesterday&end=2020-01-02"),
                Map.of("X-Auth-Token", TestService.TOKEN), null, 200, JSON_WITH_ID, "{}"))
                .isInstanceOf(AssertionError.class);
    }
}
