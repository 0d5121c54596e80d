package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, the Spot rate budget with the embedded (in-process) shared state: per account, Spot route
 * template and method over Spot's 60 s window ({@code spot.rateBudgetPerMinute}); a caller over the
 * budget gets 429 with Retry-After at once, without a Spot call; after Spot's own 429 the route is held
 * for the window (contract section 9.2: a client that keeps sending keeps the block alive).
 * The per-second, per-replica limiter it replaces is gone.
 */
class RateBudgetTest {
    private static final int BUDGET = 4;
    private static Harness h;

    @BeforeAll
    static void start() {
        h = Harness.start(new SpotClientSettings(2_000, 3_000, 8_000, 3, 20, 200, BUDGET, 60_000));
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void callsOverTheBudgetOfARouteAre429AtOnceWithoutASpotCall() {
        h.reset();
        List<Reply> replies = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < BUDGET + 3; i++) {
            replies.add(h.get("/main/elastigroups/" + String.format("sig-%08x", 0x9000 + i)));
        }
        long millis = Harness.millisSince(start);

        long reached = h.spotRequests().stream().filter(e -> e.path("path").asText().startsWith(GROUPS + "/")).count();
        assertThat(reached).as("reads that reached Spot").isEqualTo(BUDGET);
        assertThat(replies.subList(0, BUDGET)).allMatch(r -> r.status() == 404);
        for (Reply r : replies.subList(BUDGET, replies.size())) {
            assertThat(assertJsonError(r, 429)).contains("rate budget").contains("'main'");
            assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 60L);
        }
        assertThat(millis).as("refusals are immediate, nobody waits for a permit").isLessThan(5_000);

        assertThat(h.get("/main/elastigroups").status()).as("another route (the list) has its own budget").isEqualTo(200);
        assertThat(h.get("/other/elastigroups/sig-00009999").status()).as("another account has its own budget")
                .isEqualTo(404);
        assertThat(h.metric("spotapi_spot_budget_refused_total", "account", "main")).isGreaterThanOrEqualTo(3);
    }

    @Test
    void afterSpots429TheRouteIsHeldForTheWindowInsteadOfBeingCalledAgain() {
        h.reset();
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"status\",\"status\":429,\"count\":1}");

        Reply limited = h.get("/throttled/instances/smi-0000aaaa");
        Reply held = h.get("/throttled/instances/smi-0000bbbb");

        assertJsonError(limited, 429);
        assertThat(Long.parseLong(limited.header("Retry-After"))).as("the whole window").isBetween(55L, 60L);
        assertThat(assertJsonError(held, 429)).contains("rate budget");
        assertThat(h.countSpotRequests("GET", "/aws/ec2/managedInstance/smi-0000aaaa")).as("not retried into the block")
                .isEqualTo(1);
        assertThat(h.countSpotRequests("GET", "/aws/ec2/managedInstance/smi-0000bbbb")).as("held: never sent").isZero();
    }

    @Test
    void whenSpotSaysNoCallIsLeftTheRouteIsHeldBeforeSpotBlocksIt() {
        h.reset();
        // Spot's own limit (simulated, contract section 9.2): 3 per route and method per 60 s, with
        // X-RateLimit-Remaining on every reply
        assertThat(h.svc.sim("PUT", "/_sim/rate-limit", "{\"enabled\": true, \"limit\": 3}").status()).isEqualTo(200);
        try {
            List<Reply> replies = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                replies.add(h.get("/throttled/elastigroups/" + String.format("sig-%08x", 0xa000 + i)));
            }

            assertThat(replies.subList(0, 3)).allMatch(r -> r.status() == 404);
            assertThat(assertJsonError(replies.get(3), 429)).contains("rate budget");
            assertThat(Long.parseLong(replies.get(3).header("Retry-After"))).isBetween(55L, 60L);
            assertThat(h.spotRequests().stream().filter(e -> e.path("path").asText().startsWith(GROUPS + "/")).count())
                    .as("the 4th call never reached Spot, so Spot's block never started").isEqualTo(3);
        } finally {
            h.svc.sim("PUT", "/_sim/rate-limit", "{\"enabled\": false}");
        }
    }

    @Test
    void offByDefault() {
        assertThat(SpotClientSettings.DEFAULTS.rateBudgeted()).isFalse();
        try (Harness unlimited = Harness.start(Harness.quick())) {
            for (int i = 0; i < 20; i++) {
                assertThat(unlimited.get("/main/elastigroups/" + String.format("sig-%08x", 0x100 + i)).status())
                        .isEqualTo(404);
            }
            assertThat(unlimited.spotRequests()).hasSize(20);
        }
    }
}
