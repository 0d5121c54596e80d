package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Attack round 2, a bypass of the lock-out fix ({@code auth.TokenVerifier}: past its failed-verification
 * budget an address gets one verification at a time, and a token arriving while it runs is 429 unhashed).
 * A caller on the same address (behind an ingress every caller shares one) that keeps one costly made-up
 * token (cost 12 here; up to 14 is accepted) always being verified, sending the next as soon as the last is
 * answered, keeps that one slot busy nearly all the time: every fresh valid token from the address arrives
 * while a verification runs and is 429 without being checked, the lock-out the fix removed.
 *
 * <p>Expected: a valid token is served whatever another caller from the same address sends.
 */
class BusyVerifierLockoutAttackTest {
    @Test
    void aCallerKeepingOneCostlyMadeUpTokenInFlightDoesNotLockFreshValidTokensOut() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            for (int i = 0; i < 12; i++) { // past the address's failed-verification budget
                RawHttp.Answer a = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances",
                        Map.of("X-Auth-Token", StarvationLatencyTest.bogusToken(4)), null);
                assertThat(a.status()).as("made-up token %d: %s", i, a).isIn(403, 429);
            }
            AtomicBoolean stop = new AtomicBoolean();
            ExecutorService attackers = Executors.newFixedThreadPool(2);
            for (int t = 0; t < 2; t++) {
                attackers.submit(() -> {
                    while (!stop.get()) {
                        RawHttp.send(h.port(), "GET", "/v1/spot/main/instances",
                                Map.of("X-Auth-Token", StarvationLatencyTest.bogusToken(12)), null); // costly lane (cost > 10)
                    }
                });
            }
            List<Integer> statuses = new ArrayList<>();
            try {
                Thread.sleep(500);
                for (int i = 0; i < 4; i++) {
                    RawHttp.Answer valid = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances",
                            Map.of("X-Auth-Token", TokenVerifier.hash(TestService.KEY, 4)), null);
                    statuses.add(valid.status());
                    Thread.sleep(100);
                }
            } finally {
                stop.set(true);
                attackers.shutdown();
                attackers.awaitTermination(30, TimeUnit.SECONDS);
            }
            assertThat(statuses).as("fresh valid tokens from the address while another caller keeps one costly"
                    + " made-up token in flight").containsOnly(200);
        }
    }
}
