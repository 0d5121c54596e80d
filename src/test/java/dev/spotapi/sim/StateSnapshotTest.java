package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Item 10 of issue 11: seed files and the whole state exported and imported as JSON. */
class StateSnapshotTest extends SimTestBase {
    private static final String SEED = """
            {"groups": [{"id": "sig-0a1b2c3d", "name": "web", "region": "us-east-1", "createdAt": "2030-01-01T00:00:00Z",
                         "capacity": {"minimum": 1, "target": 2, "maximum": 3, "unit": "instance"},
                         "compute": {"product": "Linux/UNIX", "instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro"]}}}],
             "managedInstances": [{"name": "db", "region": "us-east-1", "createdAt": "2030-01-01T00:00:00Z",
                         "compute": {"subnetIds": ["subnet-1"], "vpcId": "vpc-1",
                           "launchSpecification": {"instanceTypes": {"preferredType": "t3a.micro"}}}}],
             "accounts": {"act-5678ef90": {"groups": [{"name": "other", "region": "us-east-1",
                         "capacity": {"minimum": 0, "target": 0, "maximum": 1}, "compute": {}}]}}}
            """;

    @Test
    void aSeedOfBareObjectsLoadsIntoTheDefaultAndNamedAccounts() {
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-03T03:00:00Z\", \"frozen\": true}");
        SimClient.Reply loaded = client.admin("PUT", "/_sim/state", SEED);
        assertThat(loaded.status()).as(loaded.toString()).isEqualTo(200);
        assertThat(loaded.json().path("loaded").asInt()).isEqualTo(3);
        JsonNode group = client.get(GROUPS + "/sig-0a1b2c3d").item();
        assertThat(group.path("createdAt").asText()).isEqualTo("2030-01-01T00:00:00.000Z");
        assertThat(client.get(GROUPS + "/sig-0a1b2c3d/status").items().size()).isEqualTo(2);
        JsonNode mi = client.get(INSTANCES).item();
        assertThat(mi.path("id").asText()).matches("smi-[0-9a-f]{8}");
        String miId = mi.path("id").asText();
        assertThat(client.get(INSTANCES + "/" + miId + "/status").item().path("status").asText()).isEqualTo("ACTIVE");
        // ACTIVE since createdAt: 51 hours of t3a.micro
        JsonNode costs = client.get(INSTANCES + "/" + miId + "/costs").item();
        assertThat(costs.path("running").path("value").asInt()).isEqualTo(51);
        assertThat(costs.path("costs").path("actual").decimalValue()).isEqualByComparingTo("0.1581");
        assertThat(other.get(GROUPS).item().path("name").asText()).isEqualTo("other");
    }

    @Test
    void exportThenImportGivesBackTheSameState() {
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-01T00:00:00Z\", \"frozen\": true}");
        String groupId = createGroup(client, "g", 1, 2, 3).path("id").asText();
        String miId = createInstance(client, "mi", "t3a.micro").path("id").asText();
        createInstance(other, "theirs", "t3.micro");
        advanceClock("{\"hours\": 5}");
        client.put(INSTANCES + "/" + miId + "/pause", null);
        advanceClock("{\"hours\": 1}");
        JsonNode groupStatus = client.get(GROUPS + "/" + groupId + "/status").json().path("response").path("items");
        JsonNode miStatus = client.get(INSTANCES + "/" + miId + "/status").item();
        JsonNode costs = client.get(INSTANCES + "/" + miId + "/costs").item();
        SimClient.Reply exported = client.admin("GET", "/_sim/state", null);
        assertThat(exported.status()).isEqualTo(200);
        assertThat(exported.json().path("format").asText()).isEqualTo("spot-simulator-state/1");
        assertThat(exported.json().path("accounts").path(ACCOUNT).path("groups").get(0).path("object").path("id").asText())
                .isEqualTo(groupId);

        client.admin("POST", "/_sim/reset", null);
        assertThat(client.get(GROUPS).items().size()).isZero();
        SimClient.Reply imported = client.admin("PUT", "/_sim/state", exported.body());
        assertThat(imported.status()).as(imported.toString()).isEqualTo(200);
        assertThat(imported.json().path("loaded").asInt()).isEqualTo(3);
        // reset put the clock back to real time; the import moved it forward to the snapshot's "now"
        assertThat(client.admin("GET", "/_sim/clock", null).json().path("now").asText()).startsWith("2030-01-01T06:00");
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-01T06:00:05Z\", \"frozen\": true}");
        assertThat(client.get(GROUPS + "/" + groupId + "/status").json().path("response").path("items")).isEqualTo(groupStatus);
        assertThat(client.get(INSTANCES + "/" + miId + "/status").item()).isEqualTo(miStatus);
        assertThat(client.get(INSTANCES + "/" + miId + "/costs").item()).isEqualTo(costs);
        assertThat(other.get(INSTANCES).item().path("config").path("name").asText()).isEqualTo("theirs");
        assertThat(client.admin("GET", "/_sim/state", null).json().path("accounts")).isEqualTo(exported.json().path("accounts"));
    }

    @Test
    void postAddsAndRefusesIdsInUse() {
        assertThat(client.admin("PUT", "/_sim/state", SEED).status()).isEqualTo(200);
        SimClient.Reply again = client.admin("POST", "/_sim/state", SEED);
        assertThat(again.status()).isEqualTo(400);
        assertThat(again.json().path("message").asText()).contains("sig-0a1b2c3d");
        assertThat(client.get(INSTANCES).items().size()).as("all or nothing").isEqualTo(1);
        SimClient.Reply added = client.admin("POST", "/_sim/state",
                "{\"groups\": [{\"name\": \"more\", \"region\": \"us-east-1\", \"capacity\": {\"minimum\": 0, \"target\": 1, \"maximum\": 1}, \"compute\": {}}]}");
        assertThat(added.status()).as(added.toString()).isEqualTo(200);
        assertThat(client.get(GROUPS).items().size()).isEqualTo(2);
    }

    @Test
    void invalidStatesAreRefusedWithAMessage() {
        assertRefused("{\"groups\": [{\"name\": \"g\", \"region\": \"us-east-1\", \"compute\": {},"
                + " \"capacity\": {\"minimum\": 0, \"target\": \"1\", \"maximum\": 1}}]}", "body:group.capacity.target");
        assertRefused("{\"accounts\": {\"act-00000000\": {\"groups\": []}}}", "not configured");
        assertRefused("{\"managedInstances\": [{\"id\": \"sig-12345678\", \"name\": \"x\", \"region\": \"r\","
                + " \"compute\": {\"subnetIds\": [\"s\"], \"vpcId\": \"v\"}}]}", "smi-");
        assertRefused("{\"format\": \"something/2\"}", "format");
        assertRefused("{\"groups\": {}}", "must be an array");
        assertRefused("{\"managedInstances\": [{\"object\": {\"name\": \"x\", \"region\": \"r\","
                + " \"compute\": {\"subnetIds\": [\"s\"], \"vpcId\": \"v\"}}, \"state\": {\"status\": \"LOST\"}}]}", "state");
        assertThat(client.admin("PUT", "/_sim/state", "[]").status()).isEqualTo(400);
    }

    private static void assertRefused(String body, String messagePart) {
        SimClient.Reply reply = client.admin("PUT", "/_sim/state", body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(400);
        assertThat(reply.json().path("message").asText()).contains(messagePart);
    }

    @Test
    void theBuilderLoadsASeedFileAtStart(@TempDir Path dir) throws Exception {
        Path seed = dir.resolve("seed.json");
        Files.writeString(seed, SEED);
        try (SpotSimulator seeded = SpotSimulator.builder().transitionDuration(Duration.ZERO)
                .account(ACCOUNT, TOKEN).account(OTHER_ACCOUNT, OTHER_TOKEN).seed(seed).start()) {
            SimClient c = new SimClient(seeded.baseUrl(), ACCOUNT, TOKEN);
            assertThat(c.get(GROUPS + "/sig-0a1b2c3d").item().path("name").asText()).isEqualTo("web");
            assertThat(c.get(INSTANCES).items().size()).isEqualTo(1);
        }
        Files.writeString(seed, "{\"groups\": [{\"name\": 1}]}");
        assertThatThrownBy(() -> SpotSimulator.builder().account(ACCOUNT, TOKEN).seed(seed).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("body:group.name");
        assertThatThrownBy(() -> SpotSimulator.builder().seed(dir.resolve("missing.json")).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("missing.json");
    }
}
