package dev.spotapi.sim;

import dev.spotapi.sim.fleet.PriceTable;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

class CostsTest extends SimTestBase {

    private static JsonNode costs(String id, String query) {
        SimClient.Reply reply = client.get(INSTANCES + "/" + id + "/costs" + query);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.json().path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:managedInstance:costs");
        assertThat(reply.json().path("response").path("count").asInt()).isEqualTo(1);
        return reply.item();
    }

    private static void assertCosts(JsonNode costs, String actual, String potential, String hours, String savings) {
        assertThat(costs.path("costs").path("actual").decimalValue()).isEqualByComparingTo(actual);
        assertThat(costs.path("costs").path("potential").decimalValue()).isEqualByComparingTo(potential);
        assertThat(costs.path("running").path("unit").asText()).isEqualTo("hours");
        assertThat(costs.path("running").path("value").decimalValue()).isEqualByComparingTo(hours);
        assertThat(costs.path("savings").path("unit").asText()).isEqualTo("percentage");
        assertThat(costs.path("savings").path("value").decimalValue()).isEqualByComparingTo(savings);
    }

    private static void freezeAt(String now) {
        SimClient.Reply reply = client.admin("POST", "/_sim/clock/set", "{\"now\":\"" + now + "\",\"frozen\":true}");
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
    }

    @Test
    void testVectorT3aMicroFor51Hours() {
        freezeAt("2030-01-05T00:00:00Z"); // a running clock adds the test's own (load-dependent) seconds
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        advanceClock("{\"hours\": 51}");

        JsonNode costs = costs(id, "");
        assertCosts(costs, "0.1581", "0.4794", "51", "67.0213");
        assertThat(client.get(INSTANCES + "/" + id + "/costs").body())
                .contains("\"actual\":0.1581", "\"potential\":0.4794", "\"value\":51}", "\"value\":67.0213");
    }

    @Test
    void testVectorOnAFrozenClockIsExact() {
        freezeAt("2030-01-01T00:00:00Z");
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        advanceClock("{\"hours\": 51}");
        assertCosts(costs(id, ""), "0.1581", "0.4794", "51", "67.0213");
    }

    @Test
    void dailyAggregationAnswersOneItemPerUtcDay() {
        freezeAt("2030-01-01T00:00:00Z");
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        advanceClock("{\"hours\": 51}");

        SimClient.Reply reply = client.get(INSTANCES + "/" + id + "/costs?aggregationPeriod=daily");

        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        JsonNode items = reply.json().path("response").path("items");
        assertThat(reply.json().path("response").path("count").asInt()).isEqualTo(3);
        assertThat(items.path(0).path("date").asText()).isEqualTo("2030-01-01");
        assertCosts(items.path(0), "0.0744", "0.2256", "24", "67.0213");
        assertThat(items.path(2).path("date").asText()).isEqualTo("2030-01-03");
        assertThat(items.path(2).path("running").path("value").decimalValue()).isEqualByComparingTo("3");
        SimClient.Reply weekly = client.get(INSTANCES + "/" + id + "/costs?aggregationPeriod=weekly");
        assertThat(weekly.status()).isEqualTo(400);
        assertThat(weekly.body()).contains("query:aggregationPeriod");
    }

    @Test
    void dateWindowCountsOnlyTheHoursInsideIt() {
        freezeAt("2030-01-01T12:00:00Z");
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        advanceClock("{\"hours\": 72}");

        assertCosts(costs(id, "?fromDate=2030-01-02&toDate=2030-01-03"), "0.0744", "0.2256", "24", "67.0213");
        assertCosts(costs(id, "?fromDate=2030-01-01&toDate=2030-01-02"), "0.0372", "0.1128", "12", "67.0213");
        assertCosts(costs(id, "?fromDate=2029-12-01&toDate=2029-12-31"), "0", "0", "0", "0");
        assertCosts(costs(id, "?fromDate=2030-01-03"), "0.1116", "0.3384", "36", "67.0213");
        assertCosts(costs(id, "?fromDate=2030-01-02T06:00:00Z&toDate=2030-01-02T12:00:00.000Z"),
                "0.0186", "0.0564", "6", "67.0213");
    }

    @Test
    void pausedTimeIsNotCounted() {
        freezeAt("2030-02-01T00:00:00Z");
        String id = createInstance(client, "mi", "t3.micro").path("id").asText();
        advanceClock("{\"hours\": 10}");
        client.put(INSTANCES + "/" + id + "/pause", null);
        advanceClock("{\"hours\": 5}");
        client.put(INSTANCES + "/" + id + "/resume", null);
        advanceClock("{\"hours\": 2}");
        client.put(INSTANCES + "/" + id + "/recycle", null);
        advanceClock("{\"minutes\": 30}");

        // t3.micro: 0.0104 on-demand, 0.0031 spot; 12.5 hours ACTIVE
        assertCosts(costs(id, ""), "0.0388", "0.13", "12.5", "70.1923");
    }

    @Test
    void fractionalHoursAreRoundedToFourDecimals() {
        freezeAt("2030-03-01T00:00:00Z");
        String id = createInstance(client, "mi", "m5.large").path("id").asText();
        advanceClock("{\"minutes\": 20}");
        // 1/3 hour: m5.large 0.096 on-demand, 0.0364 spot
        JsonNode costs = costs(id, "");
        assertCosts(costs, "0.0121", "0.032", "0.3333", "62.0833");
        assertThat(costs.path("running").path("value").decimalValue().scale()).isLessThanOrEqualTo(4);
    }

    @Test
    void unpricedInstanceTypesRunButCostNothing() {
        freezeAt("2030-04-01T00:00:00Z");
        String id = createInstance(client, "mi", "x9.gigantic").path("id").asText();
        advanceClock("{\"hours\": 3}");
        assertCosts(costs(id, ""), "0", "0", "3", "0");
    }

    @Test
    void everyFamilyOfThePriceTableIsCovered() {
        for (String family : new String[] {"t2", "t3", "t3a"}) {
            for (String size : new String[] {"nano", "micro", "small", "medium", "large", "xlarge", "2xlarge"}) {
                assertThat(PriceTable.price(family + "." + size)).as(family + "." + size).isPresent();
            }
        }
        for (String family : new String[] {"m5", "c5", "r5"}) {
            for (String size : new String[] {"large", "xlarge", "2xlarge"}) {
                assertThat(PriceTable.price(family + "." + size)).as(family + "." + size).isPresent();
            }
        }
        PriceTable.all().forEach((type, price) ->
                assertThat(price.spot()).as(type).isLessThan(price.onDemand()).isGreaterThan(BigDecimal.ZERO));
    }

    @Test
    void invalidDatesAreValidationErrors() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        assertValidationError(client.get(INSTANCES + "/" + id + "/costs?fromDate=yesterday&toDate=2030-01-01"),
                "query:fromDate");
        assertValidationError(client.get(INSTANCES + "/" + id + "/costs?fromDate=2030-01-01&toDate=2030-13-45"),
                "query:toDate");
        assertValidationError(client.get(INSTANCES + "/" + id + "/costs?fromDate=2030-01-05&toDate=2030-01-01"),
                "query:toDate");
    }
}
