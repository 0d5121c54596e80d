package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** /{account}/instances/{instance}/costs and its start/end dates. */
class InstanceCostsTest extends ApiTestSupport {

    @Test
    void withoutDatesItIsTheLifetimeCostsAsSpotReportsThem() {
        freezeSimulatorClock();
        String id = createInstance(); // preferredType t3a.micro
        advanceSimulatorClock(51);

        Reply r = get("/main/instances/" + id + "/costs");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThat(r.json()).isEqualTo(TestService.json("""
                {"costs":{"actual":0.1581,"potential":0.4794},"running":{"unit":"hours","value":51},
                 "savings":{"unit":"percentage","value":67.0213}}"""));
        JsonNode sent = onlySpotRequest("GET", "/aws/ec2/managedInstance/" + id + "/costs");
        // issue 24: Spot's OpenAPI file and Python SDK require both dates: the lifetime is from the day the
        // instance was created (its createdAt, simulated time) to a week after spot-api's today
        java.time.Instant simNow = java.time.Instant.parse(svc.sim("GET", "/_sim/clock", null).json().path("now").asText());
        java.time.LocalDate createdDay = java.time.LocalDate.ofInstant(simNow.minusSeconds(51 * 3600), java.time.ZoneOffset.UTC);
        assertThat(sent.path("query").asText()).contains("accountId=" + MAIN_ID)
                .matches(".*fromDate=" + createdDay + "(&.*)?")
                .contains("toDate=" + java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(7));
    }

    @Test
    void startAndEndArePassedAsFromDateAndToDate() {
        String id = createInstance();

        Reply r = get("/main/instances/" + id + "/costs?start=2024-01-01&end=2024-01-31");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().has("costs")).as(r.body()).isTrue();
        assertThat(r.json().path("running").path("unit").asText()).isEqualTo("hours");
        JsonNode sent = onlySpotRequest("GET", "/aws/ec2/managedInstance/" + id + "/costs");
        assertThat(sent.path("query").asText())
                .contains("fromDate=2024-01-01")
                .contains("toDate=2024-01-31")
                .contains("accountId=" + MAIN_ID)
                .doesNotContain("start=")
                .doesNotContain("end=");
    }

    @Test
    void aWindowCoveringTheLifetimeCostsTheSame() {
        freezeSimulatorClock();
        String id = createInstance();
        advanceSimulatorClock(51);
        JsonNode clock = svc.sim("GET", "/_sim/clock", null).json();
        String now = clock.path("now").asText();
        java.time.LocalDate today = java.time.LocalDate.parse(now.substring(0, 10));

        Reply r = get("/main/instances/" + id + "/costs?start=" + today.minusDays(10) + "&end=" + today.plusDays(1));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("running").path("value").asDouble()).isEqualTo(51.0);
        assertThat(r.json().path("costs").path("actual").asDouble()).isEqualTo(0.1581);
    }

    @ParameterizedTest(name = "start={0} end={1}")
    @CsvSource(value = {"2024-01-01,", ",2024-01-31", "2024-01-01,''", "'',2024-01-31"})
    void onlyOneDateIs400(String start, String end) {
        String id = createInstance();
        StringBuilder q = new StringBuilder("?");
        if (start != null) {
            q.append("start=").append(start).append('&');
        }
        if (end != null) {
            q.append("end=").append(end);
        }

        String message = assertError(get("/main/instances/" + id + "/costs" + q), 400);

        assertThat(message).isEqualTo("both start and end dates must be specified");
        assertThat(spotRequests("GET", "/aws/ec2/managedInstance/" + id + "/costs")).isEmpty();
    }

    @ParameterizedTest(name = "start={0} end={1}")
    @CsvSource({
            "2024/01/01,2024/01/31",
            "2024-1-01,2024-01-31",
            "2024-01-01,2024-02-30",
            "2024-13-01,2024-12-31",
            "yesterday,today",
            "2024-01-01T00:00:00Z,2024-01-31T00:00:00Z",
            "01-01-2024,31-01-2024",
            "2024-01-01,2024-01-3x",
    })
    void aDateThatDoesNotParseIs400(String start, String end) {
        String id = createInstance();

        assertError(get("/main/instances/" + id + "/costs?start=" + start + "&end=" + end), 400);

        assertThat(spotRequests("GET", "/aws/ec2/managedInstance/" + id + "/costs")).isEmpty();
    }

    @ParameterizedTest(name = "start={0} end={1}")
    @CsvSource({"2024-01-31,2024-01-01", "2024-01-01,2024-01-01", "2025-01-01,2024-12-31"})
    void endNotAfterStartIs400(String start, String end) {
        String id = createInstance();

        assertError(get("/main/instances/" + id + "/costs?start=" + start + "&end=" + end), 400);

        assertThat(spotRequests("GET", "/aws/ec2/managedInstance/" + id + "/costs")).isEmpty();
    }

    private void freezeSimulatorClock() {
        Reply r = svc.sim("POST", "/_sim/clock/set", "{\"frozen\": true}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private void advanceSimulatorClock(int hours) {
        Reply r = svc.sim("POST", "/_sim/clock/advance", "{\"hours\": " + hours + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }
}
