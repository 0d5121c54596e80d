package dev.spotapi.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.shared.SharedState.Outcome;
import dev.spotapi.shared.SharedState.StoredReply;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code idempotency.stateFile}: the embedded records as a later process finds them, whether the first one
 * stopped (close) or died (never closed: a second instance opens the file while the first still has it open,
 * as after a SIGKILL).
 */
class IdempotencyStateFileTest {
    private static final Duration DAY = Duration.ofDays(1);

    @TempDir
    Path dir;

    private long lease() {
        return System.currentTimeMillis() + 60_000;
    }

    @Test
    void aStoredAnswerIsReplayedByTheNextProcessEvenWithoutAStop() {
        Path file = dir.resolve("sub/idem.jsonl");
        EmbeddedSharedState first = EmbeddedSharedState.forService(file);
        SharedState.Claim k1 = first.claim("k1", "fp1", lease(), DAY);
        assertThat(k1.outcome()).isEqualTo(Outcome.NEW);
        first.complete("k1", k1.owner(), new StoredReply(200, "application/json", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)), DAY);
        first.killedForTests(); // no close: the process died right after the answer
        EmbeddedSharedState second = EmbeddedSharedState.forService(file);
        SharedState.Claim again = second.claim("k1", "fp1", lease(), DAY);
        assertThat(again.outcome()).isEqualTo(Outcome.DONE);
        assertThat(again.reply().status()).isEqualTo(200);
        assertThat(again.reply().contentType()).isEqualTo("application/json");
        assertThat(new String(again.reply().body(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
        assertThat(second.claim("k1", "other", lease(), DAY).outcome()).isEqualTo(Outcome.MISMATCH);
        second.close();
        first.close();
    }

    @Test
    void aRequestInFlightWhenItsProcessDiedComesBackInDoubtNeverAbsent() {
        Path file = dir.resolve("idem.jsonl");
        EmbeddedSharedState first = EmbeddedSharedState.forService(file);
        assertThat(first.claim("flying", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.NEW);
        SharedState.Claim doubt = first.claim("doubt", "fp", lease(), DAY);
        assertThat(doubt.outcome()).isEqualTo(Outcome.NEW);
        first.markUncertain("doubt", doubt.owner(), DAY);
        first.killedForTests(); // first never closed (killed)
        EmbeddedSharedState second = EmbeddedSharedState.forService(file);
        // its lease has not run out, but its process is gone: in doubt at once, not 409 until the lease ends
        assertThat(second.claim("flying", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.RESUMED);
        assertThat(second.claim("doubt", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.RESUMED);
        second.close();
        // the resumed claims are themselves in flight again: the next process finds them in doubt too
        EmbeddedSharedState third = EmbeddedSharedState.forService(file);
        assertThat(third.claim("flying", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.RESUMED);
        third.close();
        first.close();
    }

    @Test
    void aReleasedKeyIsFreeAfterARestartAndExpiredRecordsAreDropped() throws Exception {
        Path file = dir.resolve("idem.jsonl");
        EmbeddedSharedState first = EmbeddedSharedState.forService(file);
        first.release("released", first.claim("released", "fp", lease(), DAY).owner());
        String shortOwner = first.claim("short", "fp", lease(), Duration.ofMillis(50)).owner();
        first.complete("short", shortOwner, new StoredReply(200, "", new byte[0]), Duration.ofMillis(50));
        first.close();
        Thread.sleep(80);
        EmbeddedSharedState second = EmbeddedSharedState.forService(file);
        assertThat(Files.readString(file)).as("expired and released records are not kept").doesNotContain("\"short\"")
                .doesNotContain("\"released\"");
        assertThat(second.claim("released", "fp2", lease(), DAY).outcome()).isEqualTo(Outcome.NEW);
        assertThat(second.claim("short", "fp2", lease(), DAY).outcome()).isEqualTo(Outcome.NEW);
        second.close();
    }

    @Test
    void aLineTornByACrashIsSkippedAndTheOthersKept() throws Exception {
        Path file = dir.resolve("idem.jsonl");
        EmbeddedSharedState first = EmbeddedSharedState.forService(file);
        first.complete("kept", first.claim("kept", "fp", lease(), DAY).owner(), new StoredReply(202, "text/plain", "x".getBytes(StandardCharsets.UTF_8)), DAY);
        first.killedForTests(); // killed while writing its next line
        Files.writeString(file, "{\"k\":\"torn\",\"f\":\"fp\",\"s\":\"D\",\"e\":99", StandardOpenOption.APPEND);
        EmbeddedSharedState second = EmbeddedSharedState.forService(file);
        assertThat(second.claim("kept", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.DONE);
        assertThat(second.claim("torn", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.NEW);
        second.close();
        first.close();
    }

    @Test
    void theFileIsRewrittenWhenItsLinesOutnumberTheLiveRecords() throws Exception {
        Path file = dir.resolve("idem.jsonl");
        EmbeddedSharedState state = EmbeddedSharedState.forService(file);
        int writes = IdempotencyJournal.MIN_LINES_TO_COMPACT / 2 + 100; // two lines each: past the threshold once
        for (int i = 0; i < writes; i++) {
            String key = "k" + (i % 10);
            state.release(key, state.claim(key, "fp", lease(), DAY).owner());
        }
        state.claim("last", "fp", lease(), DAY);
        long lines = Files.readAllLines(file).size();
        assertThat(lines).as("lines after %d changes of 10 keys", 2 * writes).isLessThanOrEqualTo(IdempotencyJournal.MIN_LINES_TO_COMPACT);
        state.close();
        assertThat(Files.readAllLines(file)).as("at stop: only the live record").hasSize(1);
        EmbeddedSharedState again = EmbeddedSharedState.forService(file);
        assertThat(again.claim("last", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.RESUMED);
        assertThat(again.claim("k3", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.NEW);
        again.close();
    }

    @Test
    void withoutAFileNothingIsWritten() throws Exception {
        EmbeddedSharedState state = EmbeddedSharedState.forService(null);
        SharedState.Claim k = state.claim("k", "fp", lease(), DAY);
        assertThat(k.outcome()).isEqualTo(Outcome.NEW);
        state.complete("k", k.owner(), new StoredReply(200, "", new byte[0]), DAY);
        assertThat(state.claim("k", "fp", lease(), DAY).outcome()).isEqualTo(Outcome.DONE);
        state.close();
        try (var files = Files.list(dir)) {
            assertThat(files).isEmpty();
        }
    }
}
