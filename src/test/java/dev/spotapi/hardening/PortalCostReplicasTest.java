package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 23: Spot answers 400 to concurrent cost calls of one account, so the cost roll-up
 * ({@code GET /{account}/costs}) sends them one at a time, across replicas too: two real replicas share one real
 * Redis and one simulator; roll-ups sent to both at once never overlap their cost calls (simulator request log,
 * each held 150 ms by a delay fault), and a closed window computed on one replica is served by the other
 * without a Spot cost call (the shared cache).
 */
class PortalCostReplicasTest {
    private static final SpotClientSettings SETTINGS = new SpotClientSettings(1_000, 800, 5_000, 3, 20, 200, 0, 100);
    private static RedisProcess redis;
    private static SpotSimulator sim;
    private static Harness a;
    private static Harness b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        sim = TestService.simulator();
        a = replica();
        b = replica();
    }

    @AfterAll
    static void stop() {
        TestService.closeAll(a, b, sim, redis);
    }

    private static Harness replica() {
        return Harness.of(TestService.replica(sim, SETTINGS,
                c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), SETTINGS);
    }

    private static List<JsonNode> costCalls(Harness h) {
        return h.spotRequests().stream().filter(r -> "GET".equals(r.path("method").asText())
                && r.path("path").asText().endsWith("/costs")).toList();
    }

    @Test
    void costCallsOfTwoReplicasNeverOverlapAndAClosedWindowIsShared() throws Exception {
        a.reset();
        for (int i = 0; i < 3; i++) {
            a.createInstance();
        }
        a.fault("""
                {"method":"GET","path":"/aws/ec2/managedInstance/*/costs","action":"delay","delayMs":150}""");
        a.clearRequestLog();
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String open = "/main/costs?start=" + today + "&end=" + today.plusDays(1);
        List<CompletableFuture<Reply>> calls = new ArrayList<>();
        for (Harness h : List.of(a, b, a, b)) {
            calls.add(CompletableFuture.supplyAsync(() -> h.get(open)));
        }
        for (var c : calls) {
            Reply r = c.join();
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.header("X-Cost-Partial")).as(r.body()).isNull();
        }
        List<Instant> times = costCalls(a).stream().map(Harness::time).sorted().toList();
        assertThat(times).hasSize(12);
        for (int i = 1; i < times.size(); i++) {
            assertThat(Duration.between(times.get(i - 1), times.get(i)).toMillis()).as("gap %d of %s", i, times)
                    .isGreaterThanOrEqualTo(140);
        }

        a.clearFaults();
        a.clearRequestLog();
        String closed = "/main/costs?start=2026-01-01&end=2026-01-08&groupBy=resource";
        Reply first = a.get(closed);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(costCalls(a)).hasSize(3);
        Reply second = b.get(closed);
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(second.json()).isEqualTo(first.json());
        assertThat(costCalls(a)).as("the other replica used the shared cache").hasSize(3);
    }

    /** A delete on one replica keeps the instance's costs in the shared cost ledger: the other's roll-up counts them. */
    @Test
    void anInstanceDeletedOnOneReplicaStillCountsInTheOthersRollUp() {
        a.reset();
        a.svc.sim("POST", "/_sim/clock/set", "{\"frozen\": true}"); // the same costs before and after the delete
        String instance = a.createInstance();
        a.svc.sim("POST", "/_sim/clock/advance", "{\"hours\": 12}");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        String window = "/main/costs?start=" + today.minusDays(1) + "&end=" + today.plusDays(2) + "&groupBy=resource";
        Reply before = b.get(window);
        assertThat(before.status()).as(before.body()).isEqualTo(200);
        assertThat(before.body()).contains(instance);

        Reply deleted = a.svc.call("DELETE", "/main/instances/" + instance, null,
                java.util.Map.of("X-Auth-Token", TestService.TOKEN));
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);

        Reply after = b.get(window);
        assertThat(after.status()).as(after.body()).isEqualTo(200);
        assertThat(after.header("X-Cost-Partial")).as(after.body()).isNull();
        assertThat(after.body()).contains(instance);
        assertThat(after.json().path(0).path("Total")).as("the same total after the delete").isEqualTo(
                before.json().path(0).path("Total"));
    }
}
