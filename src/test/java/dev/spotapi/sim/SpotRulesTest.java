package dev.spotapi.sim;

import dev.spotapi.sim.fleet.PriceTable;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpRequest;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Item 7 of issue 11: Spot's known rules of contract §9.3-9.6, 9.11 and 9.12. */
class SpotRulesTest extends SimTestBase {

    /** §9.3: an update may not change capacity.unit or compute.product (400); sending the same value is fine. */
    @Test
    void updateMayNotChangeCapacityUnitOrProduct_9_3() {
        String id = createGroup(client, "g", 1, 1, 2).path("id").asText();
        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\": {\"capacity\": {\"unit\": \"weight\"}}}"),
                "body:group.capacity.unit");
        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\": {\"compute\": {\"product\": \"Windows\"}}}"),
                "body:group.compute.product");
        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\": {\"compute\": {\"product\": null}}}"),
                "body:group.compute.product");
        SimClient.Reply same = client.put(GROUPS + "/" + id,
                "{\"group\": {\"capacity\": {\"unit\": \"instance\", \"target\": 2}, \"compute\": {\"product\": \"Linux/UNIX\"}}}");
        assertThat(same.status()).as(same.toString()).isEqualTo(200);
        assertThat(same.item().path("capacity").path("unit").asText()).isEqualTo("instance");
        assertThat(same.item().path("compute").path("product").asText()).isEqualTo("Linux/UNIX");
    }

    /** §9.3: a group created without a unit counts instances, so setting "instance" later is no change. */
    @Test
    void absentUnitIsInstance_9_3() {
        String body = groupBody("g", 0, 0, 1).replace(", \"unit\": \"instance\"", "");
        String id = client.post(GROUPS, body).item().path("id").asText();
        assertThat(client.put(GROUPS + "/" + id, "{\"group\": {\"capacity\": {\"unit\": \"instance\"}}}").status()).isEqualTo(200);
        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\": {\"capacity\": {\"unit\": \"weight\"}}}"),
                "body:group.capacity.unit");
    }

    /** §9.4: region is optional when compute.availabilityZones names the zones, required otherwise. */
    @Test
    void regionIsOptionalWithAvailabilityZones_9_4() {
        String withoutRegion = groupBody("g", 1, 1, 1).replace("\"region\": \"us-east-1\",", "");
        SimClient.Reply created = client.post(GROUPS, withoutRegion);
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        assertThat(created.item().has("region")).isFalse();
        JsonNode status = client.get(GROUPS + "/" + created.item().path("id").asText() + "/status").item();
        assertThat(status.path("availabilityZone").asText()).isEqualTo("us-east-1a");

        String noZones = withoutRegion.replace(
                "\"availabilityZones\": [{\"name\": \"us-east-1a\", \"subnetId\": \"subnet-00000000000000000\"}],",
                "\"subnetIds\": [\"subnet-00000000000000000\"],");
        assertValidationError(client.post(GROUPS, noZones), "body:group.region");
        assertValidationError(client.post(GROUPS, withoutRegion.replace("\"capacity\"", "\"region\": \"\", \"capacity\"")),
                "body:group.region");
    }

    /**
     * §9.5: fromDate/toDate take ISO 8601 dates or date-times, or Unix seconds (not milliseconds).
     * A t3a.micro active 51 hours costs actual 0.1581, potential 0.4794 (contract §5.2).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "unix seconds, 1893456000, 1893639600",
            "date-times, 2030-01-01T00:00:00Z, 2030-01-03T03:00:00Z",
            "offset date-times, 2030-01-01T02:00:00+02:00, 2030-01-03T05:00:00+02:00",
            "dates, 2030-01-01, 2030-01-04",
    })
    void costDatesTakeIsoOrUnixSeconds_9_5(String form, String from, String to) {
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-01T00:00:00Z\", \"frozen\": true}");
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        advanceClock("{\"hours\": 51}");
        JsonNode costs = client.get(INSTANCES + "/" + id + "/costs?fromDate=" + URLEncoder.encode(from, StandardCharsets.UTF_8)
                + "&toDate=" + URLEncoder.encode(to, StandardCharsets.UTF_8)).item();
        assertThat(costs.path("running").path("value").asInt()).as(costs.toString()).isEqualTo(51);
        assertThat(costs.path("costs").path("actual").decimalValue()).isEqualByComparingTo("0.1581");
        assertThat(costs.path("costs").path("potential").decimalValue()).isEqualByComparingTo("0.4794");
        assertThat(Instant.ofEpochSecond(1893456000L)).isEqualTo(Instant.parse("2030-01-01T00:00:00Z"));
    }

    @Test
    void aDateThatDoesNotParseIsAValidationError_9_5() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        assertValidationError(client.get(INSTANCES + "/" + id + "/costs?fromDate=yesterday&toDate=2030-01-01"), "query:fromDate");
        assertValidationError(client.get(INSTANCES + "/" + id + "/costs?fromDate=2030-01-01&toDate=2030-13-01"), "query:toDate");
    }

    /** §9.6: with capacity.unit weight each instance counts its weightedCapacity: target 4, weight 4 = one instance. */
    @Test
    void weightUnitCountsWeightedCapacity_9_6() {
        String body = groupBody("w", 0, 4, 16).replace("\"unit\": \"instance\"", "\"unit\": \"weight\"")
                .replace("\"spot\": [\"t3.micro\", \"t3a.micro\"]}",
                        "\"spot\": [\"m5.xlarge\"], \"weights\": [{\"instanceType\": \"m5.xlarge\", \"weightedCapacity\": 4}]}");
        String id = client.post(GROUPS, body).item().path("id").asText();
        assertThat(client.get(GROUPS + "/" + id + "/status").items().size()).isEqualTo(1);
        client.put(GROUPS + "/" + id + "/scale/up?adjustment=5", null);
        // target 9 needs three instances of weight 4
        assertThat(client.get(GROUPS + "/" + id).item().path("capacity").path("target").asInt()).isEqualTo(9);
        assertThat(client.get(GROUPS + "/" + id + "/status").items().size()).isEqualTo(3);
        JsonNode down = client.put(GROUPS + "/" + id + "/scale/down?adjustment=1", null).item();
        // target 8: two instances suffice, the newest goes
        assertThat(down.path("victimInstances").size()).isEqualTo(1);
        assertThat(client.get(GROUPS + "/" + id + "/status").items().size()).isEqualTo(2);
    }

    /** §9.6: without weights, each instance counts its vCPUs (t3.micro: 2). */
    @Test
    void weightUnitWithoutWeightsCountsVcpus_9_6() {
        String body = groupBody("w", 0, 4, 16).replace("\"unit\": \"instance\"", "\"unit\": \"weight\"")
                .replace("\"spot\": [\"t3.micro\", \"t3a.micro\"]", "\"spot\": [\"t3.micro\"]");
        String id = client.post(GROUPS, body).item().path("id").asText();
        assertThat(client.get(GROUPS + "/" + id + "/status").items().size()).isEqualTo(2);
        assertThat(PriceTable.vcpus("t2.micro")).isEqualTo(1);
        assertThat(PriceTable.vcpus("m5.4xlarge")).isEqualTo(16);
        assertThat(PriceTable.vcpus("c5.large")).isEqualTo(2);
    }

    /** §9.11: no accountId acts on the first account configured for the token. */
    @Test
    void noAccountIdActsOnTheTokensDefaultAccount_9_11() {
        SimClient.Reply created = SimClient.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + INSTANCES))
                .header("Authorization", "Bearer " + TOKEN), "POST", instanceBody("no-account", "t3.micro"));
        assertThat(created.status()).as(created.toString()).isEqualTo(200);
        String id = created.item().path("id").asText();
        assertThat(client.get(INSTANCES + "/" + id).item().path("name").asText()).isEqualTo("no-account");
        assertSpotError(other.get(INSTANCES + "/" + id), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
    }

    /** §9.12: a path that is one of Spot's own route names is a 404, never read as an id. */
    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({
            "GET, /aws/ec2/managedInstance/state",
            "GET, /aws/ec2/managedInstance/migration",
            "DELETE, /aws/ec2/managedInstance/migration",
            "GET, /aws/ec2/group/instance",
            "PUT, /aws/ec2/group/autoScalingGroup",
            "GET, /aws/ec2/group/instance/status",
    })
    void spotRouteNamesAreNotIds_9_12(String method, String path) {
        SimClient.Reply reply = client.spot(method, path,
                method.equals("PUT") ? "{\"managedInstanceStates\": [{\"id\": \"smi-00000000\", \"state\": \"PAUSE\"}]}" : null);
        assertSpotError(reply, 404, "NOT_FOUND");
    }
}
