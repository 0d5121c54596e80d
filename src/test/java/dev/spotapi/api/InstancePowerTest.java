package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/** PUT /{account}/instances/{instance}/power: stop/start/reboot (and Spot's words) → pause/resume/recycle. */
class InstancePowerTest extends ApiTestSupport {

    private Reply power(String id, String state) {
        return call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"" + state + "\"}");
    }

    private String simStatus(String id) {
        Reply r = svc.sim("GET", "/aws/ec2/managedInstance/" + id + "/status?accountId=" + MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0).path("status").asText();
    }

    /** Waits (bounded, polling) for the simulator to report this status, advancing its clock when it is in a transition. */
    private void awaitStatus(String id, String wanted) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        String status = simStatus(id);
        while (!status.equals(wanted) && System.nanoTime() < deadline) {
            svc.sim("POST", "/_sim/clock/advance", "{\"minutes\":5}");
            Thread.sleep(10);
            status = simStatus(id);
        }
        assertThat(status).isEqualTo(wanted);
    }

    @Test
    void stopPausesStartResumesRebootRecycles() throws InterruptedException {
        String id = createInstance();
        clearSpotRequests();

        Reply stop = power(id, "stop");
        assertThat(stop.status()).as(stop.body()).isEqualTo(204);
        assertThat(stop.body()).isEmpty();
        JsonNode pause = onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id + "/pause");
        assertThat(pause.path("query").asText()).contains("accountId=" + MAIN_ID);
        awaitStatus(id, "PAUSED");

        assertThat(power(id, "start").status()).isEqualTo(204);
        onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id + "/resume");
        awaitStatus(id, "ACTIVE");

        assertThat(power(id, "reboot").status()).isEqualTo(204);
        onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id + "/recycle");
        awaitStatus(id, "ACTIVE");
    }

    @Test
    void spotsWordsAndAnyCaseAreSynonyms() throws InterruptedException {
        String id = createInstance();
        assertThat(power(id, "PAUSE").status()).isEqualTo(204);
        awaitStatus(id, "PAUSED");
        assertThat(power(id, "Resume").status()).isEqualTo(204);
        awaitStatus(id, "ACTIVE");
        assertThat(power(id, "recycle").status()).isEqualTo(204);
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/")).extracting(e -> e.path("path").asText())
                .containsExactly("/aws/ec2/managedInstance/" + id + "/pause", "/aws/ec2/managedInstance/" + id + "/resume",
                        "/aws/ec2/managedInstance/" + id + "/recycle");
    }

    @Test
    void powerIsIdempotentAlreadyThereIs204WithoutASpotCall() throws InterruptedException {
        String id = createInstance();
        clearSpotRequests();
        assertThat(power(id, "start").status()).isEqualTo(204);
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/")).isEmpty();

        assertThat(power(id, "poweroff").status()).isEqualTo(204);
        onlySpotRequest("PUT", "/aws/ec2/managedInstance/" + id + "/pause");
        awaitStatus(id, "PAUSED");
        clearSpotRequests();
        assertThat(power(id, "stop").status()).isEqualTo(204);
        assertThat(power(id, "poweroff").status()).isEqualTo(204);
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/")).isEmpty();
        // a reboot is not a state: a paused instance cannot be recycled, and that lasts until it is started
        Reply reboot = power(id, "reboot");
        assertError(reboot, 409);
        assertThat(reboot.header("Retry-After")).as("a paused instance does not change by itself").isNull();
    }

    @Test
    void duringThePausingPhaseStopIs204AndStartIs409WithRetryAfter() throws InterruptedException {
        freezeSimClock();
        assertThat(svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 120}").status()).isEqualTo(200);
        String id = createInstance();

        assertThat(power(id, "stop").status()).isEqualTo(204);
        assertThat(simStatus(id)).isEqualTo("PAUSING");
        clearSpotRequests();
        Reply start = power(id, "start");
        assertThat(assertError(start, 409)).contains("PAUSING");
        assertThat(start.header("Retry-After")).as("a transition takes tens of seconds").isEqualTo("5");
        Reply reboot = power(id, "reboot");
        assertThat(assertError(reboot, 409)).contains("PAUSING");
        assertThat(reboot.header("Retry-After")).as("Spot's ACTION_IN_PROGRESS passes by itself").isEqualTo("5");
        clearSpotRequests();
        assertThat(power(id, "stop").status()).isEqualTo(204);
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/")).isEmpty();
        advanceSimClock("{\"seconds\": 121}");
        assertThat(simStatus(id)).isEqualTo("PAUSED");
        assertThat(power(id, "start").status()).isEqualTo(204);
        assertThat(simStatus(id)).isEqualTo("RESUMING");
        assertThat(power(id, "start").status()).isEqualTo(204);
        assertThat(assertError(power(id, "stop"), 409)).contains("RESUMING");
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/")).hasSize(1);
    }

    @Test
    void anInstanceInATransitionIs409() {
        String id = createInstance();
        addFault("""
                {"method":"PUT","path":"/aws/ec2/managedInstance/*/pause","action":"status","status":400,
                 "errorCode":"MANAGED_INSTANCE_IN_TRANSITION","message":"Managed instance is RESUMING","count":1}""");

        Reply stop = power(id, "stop");
        assertThat(assertError(stop, 409)).contains("RESUMING");
        assertThat(stop.header("Retry-After")).isEqualTo("5");
    }

    @Test
    void spotSayingAlreadyPausedInARaceIs204() {
        String id = createInstance();
        addFault("""
                {"method":"PUT","path":"/aws/ec2/managedInstance/*/pause","action":"status","status":400,
                 "errorCode":"MANAGED_INSTANCE_ALREADY_PAUSED","message":"already paused","count":1}""");

        assertThat(power(id, "stop").status()).isEqualTo(204);
    }

    @Test
    void anotherSpotValidationErrorStays400() {
        String id = createInstance();
        addFault("""
                {"method":"PUT","path":"/aws/ec2/managedInstance/*/pause","action":"status","status":400,
                 "errorCode":"ValidationError","message":"something else","count":1}""");

        assertThat(assertError(power(id, "stop"), 400)).contains("something else");
    }

    @Test
    void spotRateLimitingIs429WithRetryAfter() {
        // account throttled: Spot's 429 holds the route for its Retry-After (issue 14)
        String id = createInstanceIn("throttled", instanceBody());
        addFault("""
                {"method":"PUT","path":"/aws/ec2/managedInstance/*/pause","action":"status","status":429,"retryAfter":30}""");

        assertError(call("PUT", "/throttled/instances/" + id + "/power", "{\"state\":\"stop\"}"), 429);
    }

    @Test
    void unknownStateIs400AndNothingReachesSpot() {
        String id = createInstance();
        clearSpotRequests();

        assertThat(assertError(power(id, "hibernate"), 400)).contains("unknown state");
        assertThat(assertError(call("PUT", "/main/instances/" + id + "/power", "{}"), 400)).contains("state is required");
        assertError(call("PUT", "/main/instances/" + id + "/power", "{\"state\":1}"), 400);
        assertError(call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\",\"force\":true}"), 400);
        assertError(call("PUT", "/main/instances/" + id + "/power", "[\"stop\"]"), 400);
        assertError(call("PUT", "/main/instances/" + id + "/power", "stop"), 400);
        assertError(call("PUT", "/main/instances/" + id + "/power", null), 400);
        // only the org check's read of the instance (issue 12: read, check, then act) reaches Spot
        assertThat(allSpotRequests()).allSatisfy(r -> {
            assertThat(r.path("method").asText()).isEqualTo("GET");
            assertThat(r.path("path").asText()).isEqualTo("/aws/ec2/managedInstance/" + id);
        });
    }

    @Test
    void unknownIdIs404() {
        assertError(power("smi-00000000", "stop"), 404);
        clearSpotRequests();
        assertError(power("not-an-id", "stop"), 404);
        assertThat(allSpotRequests()).isEmpty();
    }

    @Test
    void anotherAccountsInstanceIs404() {
        String id = createInstance();

        assertError(call("PUT", "/other/instances/" + id + "/power", "{\"state\":\"stop\"}"), 404);
        assertThat(simStatus(id)).isEqualTo("ACTIVE");
    }

    @Test
    void withoutTheTokenIs403() {
        String id = createInstance();
        assertError(anonymous("PUT", "/main/instances/" + id + "/power"), 403);
    }
}
