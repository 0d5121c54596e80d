package dev.spotapi.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What made-up tokens from many client addresses leave behind (attack round 6: with room for 100,000 addresses,
 * ~575 bytes each, they ended the launcher's 64 MiB JVM): at most {@link TokenVerifier#MAX_CLIENTS} allowances are
 * remembered, whatever the number of addresses, and each verification still gets an answer.
 */
class VerifierMemoryTest {
    private static final String ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    @Test
    void madeUpTokensFromThreeTimesMoreAddressesThanTheBoundLeaveAtMostTheBound() {
        TokenVerifier verifier = new TokenVerifier("the-pre-shared-key");
        try {
            java.util.Random random = new java.util.Random(6);
            int addresses = TokenVerifier.MAX_CLIENTS * 3;
            List<CompletableFuture<TokenVerifier.Result>> answers = new ArrayList<>();
            for (int i = 0; i < addresses; i++) {
                StringBuilder token = new StringBuilder("$2a$04$");
                for (int k = 0; k < 53; k++) {
                    token.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
                }
                String client = "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255);
                answers.add(verifier.verify(token.toString(), client));
                if (i % 512 == 0) {
                    assertThat(verifier.clientsRemembered()).isLessThanOrEqualTo(TokenVerifier.MAX_CLIENTS);
                }
            }
            for (CompletableFuture<TokenVerifier.Result> answer : answers) {
                assertThat(answer.join().verdict()).as("each made-up token refused or deferred, never accepted")
                        .isIn(TokenVerifier.Verdict.WRONG, TokenVerifier.Verdict.BUSY);
            }
            assertThat(verifier.clientsRemembered()).isBetween(1L, (long) TokenVerifier.MAX_CLIENTS);
        } finally {
            verifier.close();
        }
    }
}
