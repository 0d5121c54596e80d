package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The X-Auth-Token matrix, CORS preflight, unknown routes, wrong methods and request ids. */
class AuthAndCorsTest extends ApiTestSupport {
    /** 53 characters of the bcrypt alphabet: a well-formed salt+hash part. */
    private static final String SALT_AND_HASH = "abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUV012345678";

    @Test
    void missingTokenIs403Json() {
        Reply r = anonymous("GET", "/main/instances");

        assertError(r, 403);
        assertThat(r.json().path("message").asText())
                .isEqualTo("forbidden: missing or invalid X-Auth-Token: no token was sent");
        assertThat(allSpotRequests()).as("nothing reaches Spot").isEmpty();
    }

    @Test
    void emptyTokenIs403() {
        assertError(withToken("GET", "/main/instances", ""), 403);
    }

    @Test
    void hashOfAnotherKeyIs403() {
        String wrong = TokenVerifier.hash("not-the-pre-shared-key", 4);

        Reply r = withToken("GET", "/main/instances", wrong);
        assertError(r, 403);
        assertThat(r.json().path("message").asText()).as("a well-formed hash of another key: no more said")
                .isEqualTo("forbidden: missing or invalid X-Auth-Token");
        assertThat(allSpotRequests()).isEmpty();
    }

    @Test
    void hashOfTheKeyIs200() {
        Reply r = withToken("GET", "/main/instances", TestService.TOKEN);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().isArray()).isTrue();
    }

    @Test
    void sameHeaderTwiceIsAcceptedTwice() {
        String token = TokenVerifier.hash(TestService.KEY, 5);

        assertThat(withToken("GET", "/main/instances", token).status()).isEqualTo(200);
        assertThat(withToken("GET", "/main/instances", token).status()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"$2y$", "$2b$", "$2a$"})
    void everyBcryptPrefixOfACorrectHashIsAccepted(String prefix) {
        String token = prefix + TestService.TOKEN.substring(4);

        Reply r = withToken("GET", "/main/instances", token);

        assertThat(r.status()).as("%s: %s", token, r.body()).isEqualTo(200);
    }

    @Test
    void costAbove14IsRefusedWithoutHashing() {
        String cost15 = "$2a$15$" + SALT_AND_HASH;
        assertThat(cost15).hasSize(60);

        long start = System.nanoTime();
        Reply r = withToken("GET", "/main/instances", cost15);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertError(r, 403);
        assertThat(millis).as("a cost-15 hash is refused before hashing").isLessThan(1_000);
    }

    @Test
    void cost31IsRefusedFast() {
        String cost31 = "$2a$31$" + SALT_AND_HASH;

        long start = System.nanoTime();
        Reply r = withToken("GET", "/main/instances", cost31);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertError(r, 403);
        assertThat(millis).as("a cost-31 hash is refused before hashing").isLessThan(1_000);
    }

    @Test
    void correctKeyAtCost15IsStillRefused() {
        // the cost cap applies even to a hash that would verify
        String realCost15 = "$2a$15$" + TestService.TOKEN.substring(7);

        Reply r = withToken("GET", "/main/instances", realCost15);
        assertError(r, 403);
        assertThat(r.json().path("message").asText())
                .isEqualTo("forbidden: missing or invalid X-Auth-Token: its bcrypt cost is outside 4-14");
    }

    @ParameterizedTest
    @ValueSource(strings = {"secret", "test-pre-shared-key", "Bearer xyz",
            "$1$abcdefgh$abcdefghijklmnopqrstuv",
            "$2a$04$tooshort",
            "$2a$xx$" + SALT_AND_HASH, "$3a$10$" + SALT_AND_HASH, "$2a$10$" + SALT_AND_HASH + "!"})
    void notABcryptHashIs403(String token) {
        Reply r = withToken("GET", "/main/instances", token);
        assertError(r, 403);
        assertThat(r.json().path("message").asText()).as("the pre-shared key itself is the usual mistake")
                .isEqualTo("forbidden: missing or invalid X-Auth-Token: it is not a bcrypt hash; send the bcrypt"
                        + " hash of the pre-shared key (`spot-api hash-token KEY` makes one), not the key itself");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/main/instances", "/main/elastigroups/sig-00000000", "/no/such/route", "/ping", "/nope"})
    void optionsOnAnyPathIs200WithCorsHeadersAndNoToken(String path) {
        Reply r = anonymous("OPTIONS", path);

        assertThat(r.status()).as("%s: %s", path, r.body()).isEqualTo(200);
        assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(r.header("Access-Control-Allow-Headers")).isNotNull();
        assertThat(r.header("Access-Control-Allow-Headers")).containsIgnoringCase("X-Auth-Token");
    }

    @Test
    void unknownRouteWithoutTokenIs403NotA404() {
        assertError(anonymous("GET", "/no/such/route"), 403);
        assertError(anonymous("GET", "/main/instances/smi-00000000/nothing"), 403);
    }

    @Test
    void unknownRouteWithTokenIs404Json() {
        assertError(get("/no/such/route"), 404);
        assertError(get("/main/instances/smi-00000000/nothing"), 404);
    }

    @Test
    void wrongMethodWithTokenIs405Json() {
        assertError(call("PATCH", "/main/instances", "{}"), 405);
        assertError(call("DELETE", "/main/elastigroups", null), 405);
        assertError(call("POST", "/main/instances/smi-00000000/costs", "{}"), 405);
    }

    @Test
    void errorsCarryARequestIdEqualToTheHeader() {
        Reply r = anonymous("GET", "/main/instances");

        String message = assertError(r, 403);
        assertThat(message).isNotBlank();
        assertThat(r.header("X-Request-Id")).isNotBlank();
    }

    @Test
    void aSaneCallerRequestIdIsEchoedInHeaderAndBody() {
        Reply r = svc.call("GET", "/main/elastigroups/sig-00000000", null,
                Map.of("X-Auth-Token", TestService.TOKEN, "X-Request-Id", "caller-req.42:abc"));

        assertError(r, 404);
        assertThat(r.header("X-Request-Id")).isEqualTo("caller-req.42:abc");
        assertThat(r.json().path("requestId").asText()).isEqualTo("caller-req.42:abc");
    }

    @Test
    void aSaneCallerRequestIdIsEchoedOnSuccess() {
        Reply r = svc.call("GET", "/main/instances", null,
                Map.of("X-Auth-Token", TestService.TOKEN, "X-Request-Id", "abc-123"));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Request-Id")).isEqualTo("abc-123");
    }

    @Test
    void anInsaneCallerRequestIdIsReplaced() {
        String insane = "has spaces and <html>";
        Reply r = svc.call("GET", "/main/elastigroups/sig-00000000", null,
                Map.of("X-Auth-Token", TestService.TOKEN, "X-Request-Id", insane));

        assertError(r, 404);
        assertThat(r.header("X-Request-Id")).isNotEqualTo(insane).isNotBlank();
        String tooLong = "a".repeat(65);
        Reply r2 = svc.call("GET", "/ping", null, Map.of("X-Request-Id", tooLong));
        assertThat(r2.header("X-Request-Id")).isNotEqualTo(tooLong).isNotBlank();
    }

    @Test
    void everyResponseHasARequestId() {
        assertThat(anonymous("GET", "/ping").header("X-Request-Id")).isNotBlank();
        assertThat(get("/main/instances").header("X-Request-Id")).isNotBlank();
    }
}
