package dev.spotapi.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.shared.SharedState.Claim;
import dev.spotapi.shared.SharedState.Outcome;
import dev.spotapi.shared.SharedState.StoredReply;
import dev.spotapi.support.RedisProcess;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * An Idempotency-Key claim taken over by a retry after its lease ran out (attack round 6: a replica paused past
 * its lease): the first claim can no longer extend, complete, mark or release the key, in both stores; only the
 * claim that owns it now can.
 */
class ClaimOwnerTest {
    private static final Duration DAY = Duration.ofDays(1);

    @Test
    void embedded() throws InterruptedException {
        try (EmbeddedSharedState state = EmbeddedSharedState.forService(null)) {
            aClaimTakenOverChangesNothing(state);
        }
    }

    @Test
    void redis() throws InterruptedException {
        try (RedisProcess redis = RedisProcess.start();
                RedisSharedState state = new RedisSharedState(redis.url(), null, Duration.ofSeconds(2))) {
            aClaimTakenOverChangesNothing(state);
        }
    }

    private static void aClaimTakenOverChangesNothing(SharedState state) throws InterruptedException {
        String key = "owner-" + System.nanoTime();
        Claim first = state.claim(key, "fp", System.currentTimeMillis() + 60, DAY);
        assertThat(first.outcome()).isEqualTo(Outcome.NEW);
        assertThat(first.owner()).isNotBlank();
        assertThat(state.renewClaim(key, first.owner(), System.currentTimeMillis() + 60)).as("its own").isTrue();
        Thread.sleep(120); // the first attempt is paused past its lease

        Claim retry = state.claim(key, "fp", System.currentTimeMillis() + 60_000, DAY);
        assertThat(retry.outcome()).isEqualTo(Outcome.RESUMED);
        assertThat(retry.owner()).isNotEqualTo(first.owner());

        assertThat(state.renewClaim(key, first.owner(), System.currentTimeMillis() + 60_000))
                .as("the first attempt, resumed, learns it lost the key").isFalse();
        state.complete(key, first.owner(), new StoredReply(200, "application/json", bytes("\"first\"")), DAY);
        state.release(key, first.owner());
        state.markUncertain(key, first.owner(), DAY);
        assertThat(state.claim(key, "fp", System.currentTimeMillis() + 60_000, DAY).outcome())
                .as("still the retry's, in flight").isEqualTo(Outcome.IN_FLIGHT);

        assertThat(state.renewClaim(key, retry.owner(), System.currentTimeMillis() + 60_000)).isTrue();
        state.complete(key, retry.owner(), new StoredReply(200, "application/json", bytes("\"retry\"")), DAY);
        state.release(key, first.owner());
        Claim after = state.claim(key, "fp", System.currentTimeMillis() + 60_000, DAY);
        assertThat(after.outcome()).isEqualTo(Outcome.DONE);
        assertThat(new String(after.reply().body(), StandardCharsets.UTF_8)).isEqualTo("\"retry\"");
        assertThat(after.owner()).isNull();
        assertThat(state.renewClaim(key, retry.owner(), System.currentTimeMillis() + 60_000))
                .as("a finished claim is not extended").isFalse();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
