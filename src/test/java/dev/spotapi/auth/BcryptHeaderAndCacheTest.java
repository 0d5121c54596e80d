package dev.spotapi.auth;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The package-private parts of token checking: reading a bcrypt header and the cache bound. */
class BcryptHeaderAndCacheTest {
    /** 53 characters of the bcrypt alphabet: a well-formed salt and hash part. */
    private static final String TAIL = "abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUV012345678";

    @Test
    void theCostIsReadWithoutHashing() {
        assertThat(BcryptHeader.cost("$2a$14$" + TAIL)).isEqualTo(14);
        assertThat(BcryptHeader.cost("$2y$04$" + TAIL)).isEqualTo(4);
        assertThat(BcryptHeader.cost("$2a$xx$" + TAIL)).isEqualTo(-1);
        assertThat(BcryptHeader.cost(null)).isEqualTo(-1);
    }

    @Test
    void theCacheIsBounded() {
        TokenVerifier v = new TokenVerifier("the-pre-shared-key", new dev.spotapi.config.AuthSettings(0, 0, 0, 0, 3));

        for (int i = 0; i < 10; i++) {
            v.check(TokenVerifier.hash("key-" + i, 4));
        }

        // Caffeine settles an async entry's eviction on the thread that completed its verdict (the bcrypt
        // pool), which may run just after check() returned here: poll briefly instead of reading once.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (v.cachedVerdicts() > 3 && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertThat(v.cachedVerdicts()).isLessThanOrEqualTo(3);
    }
}
