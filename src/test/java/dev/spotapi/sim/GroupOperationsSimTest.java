package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** The simulator's group capacity, costs, events and logs routes: envelope kinds, validation, not found. */
class GroupOperationsSimTest extends SimTestBase {

    @Test
    void capacityMergesChecksBoundsAndReconcilesTheFleet() {
        String id = createGroup(client, "g", 1, 2, 4).path("id").asText();

        SimClient.Reply r = client.put(GROUPS + "/" + id + "/capacity", "{\"capacity\":{\"target\":4}}");

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:group:capacity");
        assertThat(r.item().path("minimum").asInt()).isEqualTo(1);
        assertThat(r.item().path("target").asInt()).isEqualTo(4);
        assertThat(client.get(GROUPS + "/" + id + "/status").items()).hasSize(4);

        assertValidationError(client.put(GROUPS + "/" + id + "/capacity", "{\"capacity\":{\"target\":5}}"),
                "body:capacity.target");
        assertValidationError(client.put(GROUPS + "/" + id + "/capacity", "{\"capacity\":{\"minimum\":5}}"),
                "body:capacity.minimum");
        assertValidationError(client.put(GROUPS + "/" + id + "/capacity", "{\"capacity\":{\"target\":-1}}"),
                "body:capacity.target");
        assertValidationError(client.put(GROUPS + "/" + id + "/capacity", "{\"target\":1}"), "body:capacity");
        assertThat(client.get(GROUPS + "/" + id).item().path("capacity").path("target").asInt()).isEqualTo(4);
        assertSpotError(client.put(GROUPS + "/sig-00000000/capacity", "{\"capacity\":{\"target\":1}}"), 400,
                "GROUP_DOESNT_EXIST");
    }

    @Test
    void costsNeedBothDatesAndCountEveryInstanceTheGroupRan() {
        SimClient.Reply set = client.admin("POST", "/_sim/clock/set", "{\"now\":\"2030-03-01T00:00:00Z\",\"frozen\":true}");
        assertThat(set.status()).isEqualTo(200);
        String id = createGroup(client, "g", 0, 2, 4).path("id").asText();
        advanceClock("{\"hours\": 5}");
        assertThat(client.put(GROUPS + "/" + id + "/scale/down?adjustment=1", null).status()).isEqualTo(200);
        advanceClock("{\"hours\": 5}");

        SimClient.Reply r = client.get(GROUPS + "/" + id + "/costs?fromDate=2030-03-01&toDate=2030-03-02");

        assertThat(r.status()).as(r.toString()).isEqualTo(200);
        assertThat(r.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:group:stats");
        assertThat(r.item().path("running").path("value").decimalValue()).isEqualByComparingTo("15");
        assertValidationError(client.get(GROUPS + "/" + id + "/costs?toDate=2030-03-02"), "query:fromDate");
        assertValidationError(client.get(GROUPS + "/" + id + "/costs?fromDate=2030-03-01"), "query:toDate");
        assertValidationError(client.get(GROUPS + "/" + id + "/costs?fromDate=2030-03-01&toDate=2030-03-02"
                + "&aggregationPeriod=hourly"), "query:aggregationPeriod");
        assertSpotError(client.get(GROUPS + "/sig-00000000/costs?fromDate=2030-03-01&toDate=2030-03-02"), 400,
                "GROUP_DOESNT_EXIST");
    }

    @Test
    void eventsAndLogsComeFromTheGroupsActivity() {
        SimClient.Reply set = client.admin("POST", "/_sim/clock/set", "{\"now\":\"2030-04-01T10:00:00Z\",\"frozen\":true}");
        assertThat(set.status()).isEqualTo(200);
        String id = createGroup(client, "g", 0, 1, 4).path("id").asText();
        advanceClock("{\"hours\": 1}");
        assertThat(client.put(GROUPS + "/" + id + "/scale/up?adjustment=2", null).status()).isEqualTo(200);

        SimClient.Reply events = client.get(GROUPS + "/" + id + "/events?fromDate=2030-04-01");
        assertThat(events.status()).as(events.toString()).isEqualTo(200);
        JsonNode items = events.items();
        assertThat(items).hasSize(2);
        assertThat(items.get(1).path("subEvents")).hasSize(1);
        assertThat(items.get(1).path("subEvents").path(0).path("type").asText()).isEqualTo("scaleUp");
        assertThat(items.get(1).path("subEvents").path(0).path("newInstances")).hasSize(2);
        assertThat(items.get(1).path("subEvents").path(0).path("newInstances").path(0).path("instanceId").asText())
                .matches("i-[0-9a-f]{17}");
        assertThat(items.get(1).path("subEvents").path(0).path("newSpots").path(0).path("spotInstanceRequestId")
                .asText()).startsWith("sir-");
        assertThat(items.get(1).path("createdAt").asText()).matches(RESOURCE_TIME);
        assertValidationError(client.get(GROUPS + "/" + id + "/events"), "query:fromDate");

        long from = java.time.Instant.parse("2030-04-01T00:00:00Z").toEpochMilli();
        long to = java.time.Instant.parse("2030-04-02T00:00:00Z").toEpochMilli();
        SimClient.Reply logs = client.get(GROUPS + "/" + id + "/logs?fromDate=" + from + "&toDate=" + to);
        assertThat(logs.status()).as(logs.toString()).isEqualTo(200);
        assertThat(logs.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:group:log");
        assertThat(logs.items().get(0).path("message").asText()).contains("Scaled up");
        assertThat(logs.items().get(logs.items().size() - 1).path("message").asText()).contains("successfully created");
        assertThat(client.get(GROUPS + "/" + id + "/logs?fromDate=" + from + "&toDate=" + to + "&limit=2").items())
                .hasSize(2);
        assertValidationError(client.get(GROUPS + "/" + id + "/logs?fromDate=" + from + "&toDate=" + to + "&limit=1001"),
                "query:limit");
        assertValidationError(client.get(GROUPS + "/" + id + "/logs?fromDate=" + from + "&toDate=" + to + "&severity=x"),
                "query:severity");
        assertValidationError(client.get(GROUPS + "/" + id + "/logs?fromDate=" + from), "query:toDate");
        assertSpotError(client.get(GROUPS + "/sig-00000000/logs?fromDate=" + from + "&toDate=" + to), 400,
                "GROUP_DOESNT_EXIST");
    }
}
