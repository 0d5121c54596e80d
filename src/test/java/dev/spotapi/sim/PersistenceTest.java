package dev.spotapi.sim;

import static dev.spotapi.sim.SimTestBase.GROUPS;
import static dev.spotapi.sim.SimTestBase.INSTANCES;
import static dev.spotapi.sim.SimTestBase.groupBody;
import static dev.spotapi.sim.SimTestBase.instanceBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PersistenceTest {
    private static final String ACCOUNT = "act-0000aaaa";
    private static final String TOKEN = "persist-token";

    @TempDir
    Path dataDir;

    private SpotSimulator start() {
        return SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO).dataDir(dataDir).account(ACCOUNT, TOKEN).start();
    }

    private static SimClient client(SpotSimulator sim) {
        return new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
    }

    @Test
    void stateSurvivesARestartWithTheSameDataDir() {
        String groupId;
        String miId;
        String pausedId;
        JsonNode group;
        JsonNode mi;
        JsonNode clockBefore;
        String deletedId;
        try (SpotSimulator sim = start()) {
            SimClient c = client(sim);
            c.admin("POST", "/_sim/clock/set", "{\"now\":\"2030-05-01T00:00:00Z\",\"frozen\":true}");
            group = c.post(GROUPS, groupBody("persisted", 1, 2, 3)).item();
            groupId = group.path("id").asText();
            group = c.put(GROUPS + "/" + groupId, "{\"group\":{\"extra\":{\"kept\":true}}}").item();
            mi = c.post(INSTANCES, instanceBody("mi", "t3a.micro")).item();
            miId = mi.path("id").asText();
            pausedId = c.post(INSTANCES, instanceBody("paused", "t3a.micro")).item().path("id").asText();
            deletedId = c.post(INSTANCES, instanceBody("deleted", "t3a.micro")).item().path("id").asText();
            c.admin("POST", "/_sim/clock/advance", "{\"hours\": 51}");
            c.put(INSTANCES + "/" + pausedId + "/pause", null);
            c.delete(INSTANCES + "/" + deletedId, "{}");
            clockBefore = c.admin("GET", "/_sim/clock", null).json();
            assertThat(c.admin("GET", "/_sim/health", null).json().path("persistent").asBoolean()).isTrue();
        }
        assertThat(dataDir.resolve("spot-simulator.db")).exists();

        try (SpotSimulator sim = start()) {
            SimClient c = client(sim);
            assertThat(c.get(GROUPS + "/" + groupId).item()).isEqualTo(group);
            assertThat(c.get(GROUPS + "/" + groupId + "/status").items()).hasSize(2);
            assertThat(c.get(INSTANCES + "/" + miId).item()).isEqualTo(mi);
            assertThat(c.get(INSTANCES).items()).hasSize(2);
            assertThat(c.get(INSTANCES + "/" + deletedId).errorCode()).isEqualTo("MANAGED_INSTANCE_DOESNT_EXIST");
            assertThat(c.get(INSTANCES + "/" + pausedId + "/status").item().path("status").asText()).isEqualTo("PAUSED");
            assertThat(c.get(INSTANCES + "/" + miId + "/status").item().path("status").asText()).isEqualTo("ACTIVE");
            JsonNode clockAfter = c.admin("GET", "/_sim/clock", null).json();
            assertThat(clockAfter.path("now")).isEqualTo(clockBefore.path("now"));
            assertThat(clockAfter.path("frozen").asBoolean()).isTrue();
            JsonNode costs = c.get(INSTANCES + "/" + miId + "/costs").item();
            assertThat(costs.path("costs").path("actual").decimalValue()).isEqualByComparingTo("0.1581");
            assertThat(costs.path("running").path("value").decimalValue()).isEqualByComparingTo("51");
        }
    }

    @Test
    void acknowledgedWritesAreCommittedBeforeTheReply() {
        SpotSimulator first = start();
        String id = client(first).post(GROUPS, groupBody("committed", 0, 0, 1)).item().path("id").asText();
        // The first simulator is still running and never closed cleanly before the second one reads the file.
        try (SpotSimulator second = start()) {
            assertThat(client(second).get(GROUPS + "/" + id).item().path("name").asText()).isEqualTo("committed");
        } finally {
            first.close();
        }
    }

    @Test
    void resetAlsoClearsTheDatabase() {
        try (SpotSimulator sim = start()) {
            client(sim).post(GROUPS, groupBody("g", 0, 0, 1));
            client(sim).admin("POST", "/_sim/reset", null);
        }
        try (SpotSimulator sim = start()) {
            assertThat(client(sim).get(GROUPS).items()).isEmpty();
        }
    }

    @Test
    void theGeneratedDefaultAccountIsReusedWithADataDir() throws Exception {
        Map<String, String> firstAccounts;
        String id;
        try (SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO).dataDir(dataDir).start()) {
            firstAccounts = sim.accounts();
            Map.Entry<String, String> account = firstAccounts.entrySet().iterator().next();
            id = new SimClient(sim.baseUrl(), account.getKey(), account.getValue())
                    .post(GROUPS, groupBody("g", 0, 0, 1)).item().path("id").asText();
        }
        try (SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO).dataDir(dataDir).start()) {
            assertThat(sim.accounts()).isEqualTo(firstAccounts);
            Map.Entry<String, String> account = sim.accounts().entrySet().iterator().next();
            assertThat(new SimClient(sim.baseUrl(), account.getKey(), account.getValue())
                    .get(GROUPS + "/" + id).status()).isEqualTo(200);
        }
        assertThat(Files.list(dataDir).map(p -> p.getFileName().toString())).contains("spot-simulator.db");
    }

    @Test
    void withoutADataDirNothingSurvives() {
        String id;
        try (SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO).account(ACCOUNT, TOKEN).start()) {
            id = client(sim).post(GROUPS, groupBody("g", 0, 0, 1)).item().path("id").asText();
        }
        try (SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO).account(ACCOUNT, TOKEN).start()) {
            assertThat(client(sim).get(GROUPS + "/" + id).errorCode()).isEqualTo("GROUP_DOESNT_EXIST");
        }
    }
}
