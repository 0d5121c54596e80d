package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The owner's tests of attack round 16's fixes, at their edges: cost-ledger entries an earlier version kept under the
 * config's account name, AWS ids of forms AWS never gives, and a roll read through another group.
 */
class AttackRound16FixesTest extends HarnessPerClass {
    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);

    /**
     * Before round 16 the cost ledger kept a deleted resource's costs under the config's account name ({@code main});
     * it now keeps them under the Spot account id. An entry written the old way (into Redis, as the old version did)
     * is still counted in its space's roll-up: an upgrade loses no deleted resource's costs.
     */
    @Test
    void ledgerEntriesKeptUnderTheConfigsNameByAnEarlierVersionAreStillCounted() {
        try (RedisProcess redis = RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService svc = TestService.replica(simulator, Harness.quick(),
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 5_000)))) {
            LocalDate day = LocalDate.now(ZoneOffset.UTC).minusDays(3);
            String space = "legacy-space";
            String window = "/main/costs?start=" + day + "&end=" + day.plusDays(1) + "&space=" + space;
            Reply before = svc.call("GET", window, null, TOKEN);
            assertThat(before.status()).as(before.body()).isEqualTo(200);
            assertThat(Harness.costTotal(before.json())).as(before.body()).isEqualByComparingTo(BigDecimal.ZERO);

            long until = System.currentTimeMillis() + Duration.ofDays(399).toMillis();
            YearMonth month = YearMonth.from(day);
            String entry = until + " {\"kind\":\"managed instance\",\"id\":\"smi-0legacy1\",\"space\":\"" + space
                    + "\",\"deletedAt\":\"" + day.plusDays(1) + "T12:00:00Z\",\"days\":{\"" + day
                    + "\":[0.0123,0.0456,24.0]}}";
            io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
            try (var c = client.connect()) {
                c.sync().hset(ledgerKey(dev.spotapi.cost.CostLedger.bucket("main", TestService.ORG, space, month)),
                        "managed instance:smi-0legacy1", entry);
                c.sync().hset(ledgerKey(dev.spotapi.cost.CostLedger.index("main", TestService.ORG, month)), space,
                        until + " " + space);
            } finally {
                client.shutdown();
            }

            Reply after = svc.call("GET", window, null, TOKEN);
            assertThat(after.status()).as(after.body()).isEqualTo(200);
            assertThat(Harness.costTotal(after.json())).as("the roll-up of a space whose deleted instance an earlier"
                    + " version kept under the account's name: %s", after.body()).isPositive();
        }
    }

    private static String ledgerKey(String name) {
        return "spot-api:ledger:" + dev.spotapi.shared.Hashes.sha256Hex(name);
    }

    /**
     * EC2 instance and EBS volume ids have two forms, 8 or 17 hexadecimal digits: a detach of {@code i-0123456789}
     * (10 digits) and a volume delete of {@code vol-0123456789abcd} (14) are refused before anything reaches Spot.
     */
    @Test
    void idsOfNoFormAwsGivesAreRefusedBeforeSpot() {
        String group = h.createGroup();
        String instance = h.createInstance();
        h.clearRequestLog();
        Reply detach = h.call("PUT", "/main/elastigroups/" + group + "/detach", TestService.json("""
                {"instancesToDetach": ["i-0123456789"], "shouldDecrementTargetCapacity": true,
                 "shouldTerminateInstances": true}"""));
        assertThat(detach.status()).as(detach.body()).isEqualTo(400);
        assertThat(detach.body()).contains("8 or 17");
        Reply volume = h.call("DELETE", "/main/instances/" + instance + "/volumes/vol-0123456789abcd", null);
        assertThat(volume.status()).as(volume.body()).isEqualTo(404);
        assertThat(h.spotRequests().stream().filter(r -> !"GET".equals(r.path("method").asText())).toList())
                .as("writes sent to Spot").isEmpty();
    }

    /**
     * A roll of group B read through group A ({@code GET /main/elastigroups/A/rolls/<B's roll>}): 404, from A's own
     * list of rolls; the roll's status is never asked of Spot under A.
     */
    @Test
    void anotherGroupsRollIsNotReadThroughThisGroup() {
        String a = h.createGroup();
        String b = h.createGroup();
        Reply started = h.call("POST", "/main/elastigroups/" + b + "/rolls",
                TestService.json("{\"batchSizePercentage\": 50, \"gracePeriod\": 60}"));
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        String roll = started.json().path("rollId").asText();
        assertThat(roll).startsWith("sbgd-");
        Reply own = h.call("GET", "/main/elastigroups/" + b + "/rolls/" + roll, null);
        assertThat(own.status()).as(own.body()).isEqualTo(200);

        h.clearRequestLog();
        Reply other = h.call("GET", "/main/elastigroups/" + a + "/rolls/" + roll, null);
        assertThat(other.status()).as(other.body()).isEqualTo(404);
        for (JsonNode sent : h.spotRequests()) {
            assertThat(sent.path("path").asText()).as("Spot asked under group A").doesNotContain(roll);
        }
    }
}
