package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.auth.TokenVerifier.Verdict;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Checking X-Auth-Token values: bcrypt of the pre-shared key, cost cap, remembered verdicts. */
class TokenVerifierTest {
    private static final String KEY = "the-pre-shared-key";
    private static final String GOOD = TokenVerifier.hash(KEY, 4);
    /** 53 characters of the bcrypt alphabet: a well-formed salt and hash part. */
    private static final String TAIL = "abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUV012345678";

    @Test
    void theHashOfTheKeyIsAccepted() {
        assertThat(new TokenVerifier(KEY).check(GOOD)).isEqualTo(Verdict.OK);
        assertThat(Verdict.OK.allowed()).isTrue();
    }

    @Test
    void everyBcryptPrefixIsAccepted() {
        TokenVerifier v = new TokenVerifier(KEY);
        String body = GOOD.substring(4);

        assertThat(v.check("$2a$" + body)).isEqualTo(Verdict.OK);
        assertThat(v.check("$2b$" + body)).isEqualTo(Verdict.OK);
        assertThat(v.check("$2y$" + body)).isEqualTo(Verdict.OK);
        String native2b = BCrypt.with(BCrypt.Version.VERSION_2B).hashToString(4, KEY.toCharArray());
        assertThat(native2b).startsWith("$2b$");
        assertThat(v.check(native2b)).isEqualTo(Verdict.OK);
        String native2y = BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(4, KEY.toCharArray());
        assertThat(v.check(native2y)).isEqualTo(Verdict.OK);
    }

    @Test
    void theHashOfAnotherKeyIsWrong() {
        TokenVerifier v = new TokenVerifier(KEY);

        assertThat(v.check(TokenVerifier.hash("another-key", 4))).isEqualTo(Verdict.WRONG);
        assertThat(Verdict.WRONG.allowed()).isFalse();
    }

    @Test
    void aVerifierForAnotherKeyRefusesTheSameHash() {
        assertThat(new TokenVerifier("another-key").check(GOOD)).isEqualTo(Verdict.WRONG);
    }

    @Test
    void missingIsRefused() {
        TokenVerifier v = new TokenVerifier(KEY);

        assertThat(v.check(null)).isEqualTo(Verdict.MISSING);
        assertThat(v.check("")).isEqualTo(Verdict.MISSING);
        assertThat(Verdict.MISSING.allowed()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {KEY, "Bearer abc", "$2a$04$short", "$1$saltsalt$abcdefghijklmnopqrstuv",
            "$2a$xx$" + TAIL, "$2z$04$" + TAIL, "$2a$4$" + TAIL + "x", "$2a$04$" + TAIL + "x",
            "$2a$04$abcdefghijklmnopqrstuvABCDEFGHIJKLMNOPQRSTUV01234567!", " $2a$04$" + TAIL})
    void somethingThatIsNotABcryptHashIsMalformed(String value) {
        TokenVerifier v = new TokenVerifier(KEY);

        assertThat(v.check(value)).isEqualTo(Verdict.MALFORMED);
        assertThat(v.cachedVerdicts()).as("malformed values are not remembered").isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"15", "16", "20", "31", "99"})
    void aCostAbove14IsRefusedWithoutHashing(String cost) {
        TokenVerifier v = new TokenVerifier(KEY);
        String hash = "$2a$" + cost + "$" + TAIL;

        long start = System.nanoTime();
        Verdict verdict = v.check(hash);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(verdict).isEqualTo(Verdict.COST_REFUSED);
        assertThat(millis).as("refused before hashing").isLessThan(500);
        assertThat(v.cachedVerdicts()).isZero();
    }

    @Test
    void theCorrectKeyAtAnAbsurdCostIsStillRefused() {
        // cost 15 with the right salt+hash part of a valid cost-4 hash: the cost is read, never run
        String cost15 = "$2a$15$" + GOOD.substring(7);

        assertThat(new TokenVerifier(KEY).check(cost15)).isEqualTo(Verdict.COST_REFUSED);
    }

    @Test
    void aCostBelow4IsRefused() {
        assertThat(new TokenVerifier(KEY).check("$2a$03$" + TAIL)).isEqualTo(Verdict.COST_REFUSED);
        assertThat(new TokenVerifier(KEY).check("$2a$00$" + TAIL)).isEqualTo(Verdict.COST_REFUSED);
    }

    @Test
    void pastItsBudgetAClientsVerificationsRunOneAtATimeInArrivalOrder() throws Exception {
        // a budget of 2 failed runs a minute, bcrypt on one thread per lane
        TokenVerifier v = new TokenVerifier(KEY, new dev.spotapi.config.AuthSettings(0, 1, 16, 2, 0));
        String client = "203.0.113.7";
        assertThat(v.verify(TokenVerifier.hash("made-up-1", 4), client).join().verdict()).isEqualTo(Verdict.WRONG);
        assertThat(v.verify(TokenVerifier.hash("made-up-2", 4), client).join().verdict()).isEqualTo(Verdict.WRONG);

        // past the budget: one run at a time, the others wait their turn in arrival order (at most 8 waiting)
        var slow = v.verify(TokenVerifier.hash("made-up-3", 12), client);
        List<CompletableFuture<TokenVerifier.Result>> waiting = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            waiting.add(v.verify(TokenVerifier.hash("made-up-w" + i, 4), client));
        }
        var valid = v.verify(TokenVerifier.hash(KEY, 4), client); // the 8th waiting: a valid token
        var beyond = v.verify(TokenVerifier.hash("made-up-4", 4), client).join();
        assertThat(beyond.verdict()).as("a 9th waiting").isEqualTo(Verdict.THROTTLED);
        assertThat(beyond.retryAfterSeconds()).isEqualTo(1);
        assertThat(valid.isDone()).as("the valid token waits behind the running one").isFalse();
        assertThat(slow.join().verdict()).isEqualTo(Verdict.WRONG);
        assertThat(waiting).allSatisfy(w -> assertThat(w.join().verdict()).isEqualTo(Verdict.WRONG));
        assertThat(valid.join().verdict()).isEqualTo(Verdict.OK);

        // then a fresh valid token from that client is checked, and so is the next made-up one
        assertThat(v.verify(TokenVerifier.hash(KEY, 5), client).join().verdict()).isEqualTo(Verdict.OK);
        assertThat(v.verify(TokenVerifier.hash("made-up-5", 4), client).join().verdict()).isEqualTo(Verdict.WRONG);
        // another client has its own budget
        assertThat(v.verify(TokenVerifier.hash("made-up-6", 4), "198.51.100.9").join().verdict()).isEqualTo(Verdict.WRONG);
    }

    @Test
    void aVerdictIsRememberedOncePerHeaderValue() {
        TokenVerifier v = new TokenVerifier(KEY);
        assertThat(v.cachedVerdicts()).isZero();

        assertThat(v.check(GOOD)).isEqualTo(Verdict.OK);
        assertThat(v.cachedVerdicts()).isEqualTo(1);
        assertThat(v.check(GOOD)).isEqualTo(Verdict.OK);
        assertThat(v.cachedVerdicts()).as("the same header is not verified again").isEqualTo(1);

        String wrong = TokenVerifier.hash("another-key", 4);
        assertThat(v.check(wrong)).isEqualTo(Verdict.WRONG);
        assertThat(v.check(wrong)).as("a remembered refusal stays a refusal").isEqualTo(Verdict.WRONG);
        assertThat(v.cachedVerdicts()).isEqualTo(2);
    }

    @Test
    void aRememberedVerdictIsFast() {
        TokenVerifier v = new TokenVerifier(KEY);
        String cost10 = TokenVerifier.hash(KEY, 10);
        assertThat(v.check(cost10)).isEqualTo(Verdict.OK);

        long start = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            assertThat(v.check(cost10)).isEqualTo(Verdict.OK);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;

        // 100 bcrypt runs at cost 10 would take several seconds
        assertThat(millis).isLessThan(1_000);
        assertThat(v.cachedVerdicts()).isEqualTo(1);
    }

    @Test
    void aNewKeyStartsWithNoVerdicts() {
        TokenVerifier old = new TokenVerifier(KEY);
        old.check(GOOD);

        TokenVerifier fresh = new TokenVerifier("rotated-key");

        assertThat(fresh.cachedVerdicts()).isZero();
        assertThat(fresh.check(GOOD)).isEqualTo(Verdict.WRONG);
    }

    @Test
    void hashProducesAVerifiableBcryptHashOfTheRequestedCost() {
        String h = TokenVerifier.hash("k", 5);

        assertThat(h).hasSize(60).startsWith("$2a$05$");
        assertThat(new TokenVerifier("k").check(h)).isEqualTo(Verdict.OK);
    }
}
