package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/** How spot-api answers when Spot throttles, refuses the account's token, is down or answers garbage. */
class SpotFailureTest extends ApiTestSupport {

    // Spot's 429 holds its route for Retry-After (issue 14): these use account throttled, so that the
    // hold does not reach the tests of account main that share this service.
    @Test
    void spotRateLimitingIs429WithRetryAfter() {
        addFault("""
                {"method":"GET","path":"/aws/ec2/managedInstance/**","action":"status","status":429,
                 "errorCode":"RATE_LIMIT","message":"slow down","retryAfter":30}""");

        Reply r = get("/throttled/instances/smi-0000abcd/status");

        assertError(r, 429);
        String retryAfter = r.header("Retry-After");
        assertThat(retryAfter).as("Retry-After header").isNotNull().matches("\\d+");
        assertThat(Integer.parseInt(retryAfter)).isBetween(1, 30);
    }

    @Test
    void spotRateLimitingOnAListIs429() {
        addFault("""
                {"method":"GET","path":"/aws/ec2/group","action":"status","status":429,"retryAfter":60}""");

        Reply r = get("/throttled/elastigroups");

        assertError(r, 429);
        assertThat(r.header("Retry-After")).isNotNull().matches("\\d+");
    }

    @Test
    void aSingle429IsRetriedTransparently() {
        String id = createInstance();
        addFault("""
                {"method":"GET","path":"/aws/ec2/managedInstance/*/status","action":"status","status":429,"count":1}""");

        Reply r = get("/main/instances/" + id + "/status");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("status").asText()).isEqualTo("ACTIVE");
        assertThat(spotRequests("GET", "/aws/ec2/managedInstance/" + id + "/status")).hasSize(2);
    }

    @Test
    void spotRefusingTheAccountsTokenIs502NamingTheAccount() {
        Reply r = get("/badtoken/instances");

        String message = assertError(r, 502);
        assertThat(message).contains("badtoken");
        assertThat(message).doesNotContain("not-the-token");
        assertThat(spotRequests("GET", "/aws/ec2/managedInstance")).isNotEmpty();
    }

    @Test
    void spotRefusingTheTokenOnAWriteIs502Too() {
        Reply r = call("POST", "/badtoken/elastigroups", groupBody());

        assertThat(assertError(r, 502)).contains("badtoken");
    }

    @Test
    void anUnreachableEndpointIs502() {
        long start = System.nanoTime();
        Reply r = get("/down/instances");
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertError(r, 502);
        assertThat(millis).as("gives up within the configured deadline").isLessThan(10_000);
    }

    @Test
    void anHtmlErrorPageFromSpotIs502() {
        addFault("""
                {"method":"GET","path":"/aws/ec2/group","action":"html","status":502}""");

        assertError(get("/main/elastigroups"), 502);
    }

    @Test
    void garbageFromSpotIsNotPassedOn() {
        addFault("""
                {"method":"GET","path":"/aws/ec2/group","action":"garbage"}""");

        Reply r = get("/main/elastigroups");

        assertError(r, 502);
        assertThat(r.body()).doesNotContain("~garbage~");
    }

    @Test
    void aConnectionDroppedBySpotIs502() {
        addFault("""
                {"method":"GET","path":"/aws/ec2/group","action":"drop"}""");

        assertError(get("/main/elastigroups"), 502);
    }

    @Test
    void volumesIs501() {
        Reply r = get("/main/volumes");

        assertError(r, 501);
        assertThat(allSpotRequests()).isEmpty();
    }

    @Test
    void volumesNeedsAToken() {
        assertError(anonymous("GET", "/main/volumes"), 403);
    }
}
