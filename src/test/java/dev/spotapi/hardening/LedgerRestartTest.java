package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without Redis, the cost ledger (the costs of resources deleted through spot-api, {@code cost.CostLedger}) lived
 * only in the process: a restart (a deploy, a crash) right after the expiry service's deletes lost those costs from
 * every later roll-up of their space. With {@code idempotency.stateFile} set (the sandbox sets it) the entries are
 * written to that file before the delete is answered, and loaded at start.
 */
class LedgerRestartTest {
    @TempDir
    Path dir;

    @Test
    void aDeletedInstancesCostsSurviveAKillOfTheProcessRightAfterTheDelete() throws Exception {
        try (SpotSimulator sim = TestService.simulator()) {
            int port = ServiceProcess.freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, ServiceProcess.config(port, sim.baseUrl(),
                    "\"idempotency\": {\"stateFile\": \"" + dir.resolve("state").resolve("idempotency.jsonl") + "\"}"));
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            admin(sim, "/_sim/clock/set", "{\"frozen\": true}");
            LocalDate first = Instant.parse(TestService.JSON.readTree(ServiceProcess.send("GET", sim.baseUrl()
                    + "/_sim/clock", null, Map.of()).body()).path("now").asText()).atZone(ZoneOffset.UTC).toLocalDate();
            String space = "space-" + System.nanoTime();
            String window = base + "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space
                    + "&groupBy=resource";
            String instance;
            BigDecimal before;
            Process one = ServiceProcess.start(config, dir.resolve("first.log"));
            try {
                ServiceProcess.awaitUp(one, base, dir.resolve("first.log"));
                HttpResponse<String> created = ServiceProcess.send("POST", base + "/main/instances", Harness.tagged(
                        Harness.instanceBody(Harness.uniqueName("mi")), "spinup:spaceid", space).toString(), Map.of());
                assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
                JsonNode id = TestService.JSON.readTree(created.body());
                instance = id.isTextual() ? id.asText() : id.path("id").asText();
                admin(sim, "/_sim/clock/advance", "{\"hours\": 30}");
                before = total(ServiceProcess.send("GET", window, null, Map.of()));
                assertThat(before).isPositive();
                HttpResponse<String> deleted = ServiceProcess.send("DELETE", base + "/main/instances/" + instance, null,
                        Map.of());
                assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
                one.destroyForcibly(); // SIGKILL right after the delete's answer
                assertThat(one.waitFor(20, TimeUnit.SECONDS)).isTrue();
            } finally {
                one.destroyForcibly();
            }
            Process two = ServiceProcess.start(config, dir.resolve("second.log"));
            try {
                ServiceProcess.awaitUp(two, base, dir.resolve("second.log"));
                HttpResponse<String> after = ServiceProcess.send("GET", window, null, Map.of());
                assertThat(after.headers().firstValue("X-Cost-Partial")).as(after.body()).isEmpty();
                assertThat(after.body()).contains(instance);
                assertThat(total(after)).as("the space's cost after the restart: %s", after.body())
                        .isEqualByComparingTo(before);
            } finally {
                two.destroyForcibly();
                two.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void admin(SpotSimulator sim, String path, String body) throws Exception {
        HttpResponse<String> r = ServiceProcess.send("POST", sim.baseUrl() + path, body, Map.of());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private static BigDecimal total(HttpResponse<String> rollup) throws Exception {
        assertThat(rollup.statusCode()).as(rollup.body()).isEqualTo(200);
        JsonNode periods = TestService.JSON.readTree(rollup.body());
        return Harness.costTotal(periods);
    }
}
