package dev.spotapi.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code tasks.stateFile}'s write-through: a created or finished task is on disk when {@code create},
 * {@code complete} or {@code fail} returns, before any periodic save (a process killed right after the 202
 * loses nothing); the periodic save folds the journal into the file.
 */
class TaskJournalTest {
    @TempDir
    Path dir;

    private static MemoryTaskStore store() {
        return new MemoryTaskStore(Clock.systemUTC(), Duration.ofHours(1), 100);
    }

    private static TaskWork work(String id) {
        long now = System.currentTimeMillis();
        return new TaskWork(id, "org", TaskKind.ofConfigName("instanceCreate"), "main", "i-1", "", now, now + 60_000);
    }

    @Test
    void createdAndFinishedTasksAreOnDiskBeforeAnySave() {
        Path file = dir.resolve("state/tasks.json");
        MemoryTaskStore first = store().writeThrough(file);
        first.create(work("a"));
        first.create(work("b"));
        first.create(work("c"));
        first.complete("b");
        first.fail("c", "boom");
        // killed: no save, no close
        MemoryTaskStore second = store();
        assertThat(second.load(file)).containsExactly("a");
        assertThat(second.get("a", "org").status()).isEqualTo(Task.CREATED);
        assertThat(second.get("b", "org").status()).isEqualTo(Task.COMPLETED);
        assertThat(second.get("c", "org").failure()).isEqualTo("boom");
        first.close();
    }

    @Test
    void theSaveEmptiesTheJournalAndAnOlderLineNeverUndoesAnEnd() throws Exception {
        Path file = dir.resolve("tasks.json");
        MemoryTaskStore first = store().writeThrough(file);
        first.create(work("a"));
        first.save(file);
        assertThat(Files.size(MemoryTaskStore.journalOf(file))).isZero();
        first.complete("a");
        first.create(work("b"));
        first.close();
        first.save(file); // the save at stop, after close
        assertThat(MemoryTaskStore.journalOf(file)).doesNotExist();
        // a journal line older than the file (the save ran between the change and its line)
        MemoryTaskStore stale = store().writeThrough(dir.resolve("other.json"));
        stale.create(work("a"));
        stale.close();
        Files.copy(MemoryTaskStore.journalOf(dir.resolve("other.json")), MemoryTaskStore.journalOf(file));
        Files.writeString(MemoryTaskStore.journalOf(file), "{\"id\":\"torn\",\"org\":", StandardOpenOption.APPEND);
        MemoryTaskStore second = store();
        assertThat(second.load(file)).containsExactly("b");
        assertThat(second.get("a", "org").status()).isEqualTo(Task.COMPLETED);
        assertThat(second.get("torn", "org")).isNull();
    }
}
