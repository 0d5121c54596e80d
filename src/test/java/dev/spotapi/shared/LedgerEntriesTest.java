package dev.spotapi.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RedisProcess;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link SharedState#putLedgerEntry} and {@link SharedState#ledgerEntries}, the same contract in both stores. */
class LedgerEntriesTest {
    private static final Duration DAY = Duration.ofDays(1);

    @Test
    void embedded() throws InterruptedException {
        try (EmbeddedSharedState state = EmbeddedSharedState.forService(null)) {
            entriesAreKeptPerLedgerReplacedByIdAndForgottenAfterTheirTtl(state);
        }
    }

    @Test
    void embeddedWithAStateFileKeepsEntriesAcrossAKillAndARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws InterruptedException {
        java.nio.file.Path file = dir.resolve("idem.jsonl");
        EmbeddedSharedState first = EmbeddedSharedState.forService(file);
        entriesAreKeptPerLedgerReplacedByIdAndForgottenAfterTheirTtl(first);
        first.killedForTests(); // no close: the process died right after the delete's answer
        try (EmbeddedSharedState second = EmbeddedSharedState.forService(file)) {
            assertThat(second.ledgerEntries("costs\nmain\nalpha")).containsExactlyInAnyOrder("{\"n\":2}", "{\"n\":3}");
            assertThat(second.ledgerEntries("costs\nmain\nbeta")).containsExactly("{\"n\":4}");
            second.putLedgerEntry("costs\nmain\nbeta", "group:sig-9", "{\"n\":9}", DAY);
        }
        try (EmbeddedSharedState third = EmbeddedSharedState.forService(file)) { // after a clean stop (rewritten)
            assertThat(third.ledgerEntries("costs\nmain\nbeta")).containsExactlyInAnyOrder("{\"n\":4}", "{\"n\":9}");
            assertThat(third.ledgerEntries("costs\nmain\nalpha")).hasSize(2);
        }
    }

    @Test
    void aLedgerThatLostEntriesToTheBoundStillSaysSoAfterARestart(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path file = dir.resolve("idem.jsonl");
        String big = "x".repeat(64 * 1024);
        EmbeddedSharedState first = EmbeddedSharedState.forService(file);
        first.putLedgerEntry("small", "a", "{}", DAY);
        long entries = EmbeddedSharedState.MAX_LEDGER_BYTES / (2L * big.length()) + 2;
        for (int i = 0; i < entries; i++) {
            first.putLedgerEntry("big", "e" + i, big, DAY);
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> first.ledgerEntries("big"))
                .isInstanceOf(SharedStateUnavailableException.class);
        first.killedForTests();
        try (EmbeddedSharedState second = EmbeddedSharedState.forService(file)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> second.ledgerEntries("big"))
                    .as("the loss is remembered, not a silently smaller ledger")
                    .isInstanceOf(SharedStateUnavailableException.class);
            assertThat(second.ledgerEntries("small")).as("the small ledger kept its entry").containsExactly("{}");
        }
    }

    @Test
    void aLedgerEntryLineCutByACrashMarksItsLedgerIncomplete(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path file = dir.resolve("idem.jsonl");
        EmbeddedSharedState first = EmbeddedSharedState.forService(file);
        first.putLedgerEntry("costs\nmain\nalpha", "group:sig-1", "{\"n\":1}", DAY);
        first.putLedgerEntry("costs\nmain\nbeta", "group:sig-2", "{\"n\":2}", DAY);
        first.killedForTests();
        java.util.List<String> lines = new java.util.ArrayList<>(java.nio.file.Files.readAllLines(file));
        String last = lines.remove(lines.size() - 1); // beta's entry, cut in the middle of its text
        java.nio.file.Files.writeString(file, String.join("\n", lines) + "\n" + last.substring(0, last.length() - 8));
        try (EmbeddedSharedState second = EmbeddedSharedState.forService(file)) {
            assertThat(second.ledgerEntries("costs\nmain\nalpha")).containsExactly("{\"n\":1}");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> second.ledgerEntries("costs\nmain\nbeta"))
                    .as("never silently empty").isInstanceOf(SharedStateUnavailableException.class);
        }
        java.util.List<String> again = new java.util.ArrayList<>(java.nio.file.Files.readAllLines(file));
        java.nio.file.Files.writeString(file, String.join("\n", again) + "\n{\"k\":\"\\u0000Lco");
        try (EmbeddedSharedState third = EmbeddedSharedState.forService(file)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> third.ledgerEntries("costs\nmain\nalpha"))
                    .as("a cut before the ledger's name: every ledger").isInstanceOf(SharedStateUnavailableException.class);
        }
    }

    @Test
    void redis() throws InterruptedException {
        try (RedisProcess redis = RedisProcess.start();
                RedisSharedState state = new RedisSharedState(redis.url(), null, Duration.ofSeconds(2))) {
            entriesAreKeptPerLedgerReplacedByIdAndForgottenAfterTheirTtl(state);
            try (RedisSharedState other = new RedisSharedState(redis.url(), null, Duration.ofSeconds(2))) {
                assertThat(other.ledgerEntries("costs\nmain\nalpha")).as("another replica").containsExactlyInAnyOrder(
                        "{\"n\":2}", "{\"n\":3}");
            }
        }
    }

    @Test
    void redisDownIsAnErrorForReadersNotASilentEmptyLedger() {
        RedisProcess redis = RedisProcess.start();
        try (RedisSharedState state = new RedisSharedState(redis.url(), null, Duration.ofMillis(500))) {
            state.putLedgerEntry("l", "a", "{}", DAY);
            redis.close();
            state.putLedgerEntry("l", "b", "{}", DAY); // never throws
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> state.ledgerEntries("l"))
                    .isInstanceOf(SharedStateUnavailableException.class);
        }
    }

    private static void entriesAreKeptPerLedgerReplacedByIdAndForgottenAfterTheirTtl(SharedState state)
            throws InterruptedException {
        state.putLedgerEntry("costs\nmain\nalpha", "group:sig-1", "{\"n\":1}", DAY);
        state.putLedgerEntry("costs\nmain\nalpha", "group:sig-1", "{\"n\":2}", DAY);
        state.putLedgerEntry("costs\nmain\nalpha", "managed instance:smi-1", "{\"n\":3}", DAY);
        state.putLedgerEntry("costs\nmain\nbeta", "group:sig-1", "{\"n\":4}", DAY);
        state.putLedgerEntry("costs\nmain\nalpha", "group:sig-2", "{\"n\":5}", Duration.ofMillis(50));

        Thread.sleep(120);

        assertThat(state.ledgerEntries("costs\nmain\nalpha")).containsExactlyInAnyOrder("{\"n\":2}", "{\"n\":3}");
        assertThat(state.ledgerEntries("costs\nmain\nbeta")).containsExactly("{\"n\":4}");
        assertThat(state.ledgerEntries("costs\nother\nalpha")).isEmpty();
    }
}
