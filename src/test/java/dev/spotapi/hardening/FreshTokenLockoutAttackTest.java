package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack (round after issue 27): the failed-verification budget per client address
 * ({@code auth.failedVerificationsPerMinute}, 10) also refuses <em>valid</em> tokens that are not yet in the
 * verdict cache. Eleven made-up tokens a minute from an address (one unauthenticated request every six
 * seconds) make every fresh valid token from that address 429 without being checked: behind the ingress or
 * a NAT (one address for every caller; {@code X-Forwarded-For} is not trusted) that is every caller of a
 * replica that just started, and every client that hashes the key anew.
 *
 * <p>StarvationTest only checks that a token verified <em>before</em> the flood still passes. Expected: a
 * valid token is served whatever another caller from the same address sent; only the made-up ones are
 * refused without hashing.
 */
class FreshTokenLockoutAttackTest {
    @Test
    void aFewMadeUpTokensDoNotLockAFreshValidTokenOutOfItsAddress() {
        try (Harness h = Harness.start(Harness.quick())) {
            for (int i = 0; i < 12; i++) {
                RawHttp.Answer a = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances",
                        Map.of("X-Auth-Token", StarvationLatencyTest.bogusToken(4)), null);
                assertThat(a.status()).as("made-up token %d: %s", i, a).isIn(403, 429);
            }
            String fresh = TokenVerifier.hash(TestService.KEY, 4);
            RawHttp.Answer valid = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances",
                    Map.of("X-Auth-Token", fresh), null);
            assertThat(valid.status()).as("a fresh valid token from the same address: %s", valid).isEqualTo(200);
            // the kind: made-up tokens (cheap and costly) and fresh valid ones interleaved, all from one address
            for (int i = 0; i < 6; i++) {
                RawHttp.Answer bogus = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances",
                        Map.of("X-Auth-Token", StarvationLatencyTest.bogusToken(i % 2 == 0 ? 4 : 10)), null);
                assertThat(bogus.status()).as("made-up token: %s", bogus).isIn(403, 429);
                RawHttp.Answer again = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances",
                        Map.of("X-Auth-Token", TokenVerifier.hash(TestService.KEY, 4 + i % 3)), null);
                assertThat(again.status()).as("fresh valid token %d after a made-up one: %s", i, again).isEqualTo(200);
            }
        }
    }
}
