package dev.spotapi.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** Unit tests of the task parts with tricky rules: flywheel's time format, the event bound, org scoping, TTL. */
class TaskPartsTest {
    @Test
    void timesAreGosRfc3339NanoWithoutTrailingZeros() {
        assertThat(FlywheelTime.format(Instant.parse("2026-12-06T17:45:43Z"))).isEqualTo("2026-12-06T17:45:43Z");
        assertThat(FlywheelTime.format(Instant.parse("2026-12-06T17:45:43.120Z"))).isEqualTo("2026-12-06T17:45:43.12Z");
        assertThat(FlywheelTime.format(Instant.parse("2026-12-06T17:45:43.000000001Z")))
                .isEqualTo("2026-12-06T17:45:43.000000001Z");
        assertThat(FlywheelTime.format(Instant.parse("2026-12-06T17:45:43.123456789Z")))
                .isEqualTo("2026-12-06T17:45:43.123456789Z");
    }

    @Test
    void theMemoryStoreKeepsTheNewestEventsAnswersOnlyItsOrgAndForgetsAfterTheTtl() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T18:00:00Z"));
        MemoryTaskStore store = new MemoryTaskStore(clock, Duration.ofMinutes(60), 3);
        store.create(new TaskWork("t1", "org-a", TaskKind.INSTANCE_CREATE, "main", "smi-1", "", 0, Long.MAX_VALUE));
        store.start("t1");
        for (int i = 0; i < 5; i++) {
            store.event("t1", "event " + i);
        }
        Task t = store.get("t1", "org-a");
        assertThat(t.status()).isEqualTo(Task.RUNNING);
        assertThat(t.events()).hasSize(3).last().asString().endsWith(" event 4");
        assertThat(store.get("t1", "org-b")).as("another org's task is unknown").isNull();

        store.fail("t1", "Spot: boom");
        assertThat(store.get("t1", "org-a").failure()).isEqualTo("Spot: boom");
        clock.now = clock.now.plus(Duration.ofMinutes(59));
        assertThat(store.get("t1", "org-a")).as("within the TTL of the last write").isNotNull();
        clock.now = clock.now.plus(Duration.ofMinutes(2));
        assertThat(store.get("t1", "org-a")).as("after the TTL").isNull();
        store.sweep();
        assertThat(store.size()).isZero();
    }

    @Test
    void theMemoryStoreForgetsTheOldestFinishedTasksBeyondItsBound() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-06T18:00:00Z"));
        MemoryTaskStore store = new MemoryTaskStore(clock, Duration.ofMinutes(60), 10).bounded(3);
        for (String id : new String[] {"a", "b", "c"}) {
            store.create(new TaskWork(id, "o", TaskKind.GROUP_SCALE, "main", "sig-1", "", 0, Long.MAX_VALUE));
            clock.now = clock.now.plusSeconds(1);
        }
        store.complete("b");
        clock.now = clock.now.plusSeconds(1);
        store.complete("a");
        store.create(new TaskWork("d", "o", TaskKind.GROUP_SCALE, "main", "sig-1", "", 0, Long.MAX_VALUE));
        assertThat(store.size()).isEqualTo(3);
        assertThat(store.get("b", "o")).as("the finished task expiring first is forgotten").isNull();
        assertThat(store.get("a", "o")).isNotNull();
        assertThat(store.get("c", "o")).as("unfinished tasks are never forgotten").isNotNull();
    }

    @Test
    void theMemoryQueueIsBounded() {
        MemoryWorkQueue queue = new MemoryWorkQueue(2);
        queue.offer("a");
        queue.offer("b");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> queue.offer("c"))
                .isInstanceOf(TaskRefusedException.class);
        assertThat(queue.take(10)).extracting(WorkQueue.Taken::taskId).containsExactly("a", "b");
        queue.done("a");
        queue.offer("c");
        assertThat(queue.size()).isEqualTo(2);
    }

    @Test
    void theConfigKnowsEveryKindAndRefusesOthers() {
        assertThat(java.util.Arrays.stream(TaskKind.values()).map(TaskKind::configName))
                .containsExactlyInAnyOrderElementsOf(dev.spotapi.config.TaskConfig.KINDS);
        var bad = dev.spotapi.config.TaskConfig.DEFAULTS.with(20, 1, 1, 1, 1, java.util.Map.of("instanceCreat", 5L));
        var config = dev.spotapi.support.TestService.config("http://127.0.0.1:9", dev.spotapi.support.TestService
                .fastSettings()).withTasks(bad);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> dev.spotapi.config.ConfigLoader.validate(config))
                .hasMessageContaining("tasks.deadlineSeconds.instanceCreat");
        assertThat(dev.spotapi.config.TaskConfig.DEFAULTS.deadline("instancePower")).isEqualTo(Duration.ofMinutes(30));
    }

    private static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }

    @Test
    void aPowerChangeUndoneInSpotIsSeenAsSuch() {
        assertThat(SpotProbe.undone("s", "RESUMING", "PAUSED", "i").failure()).as("resumed after a stop")
                .contains("RESUMING").contains("undid");
        assertThat(SpotProbe.undone("s", "PAUSING", "ACTIVE", "i").failure()).as("paused after a start")
                .contains("PAUSING");
        assertThat(SpotProbe.undone("s", "ACTIVE", "PAUSED", "i").opposite()).as("still ACTIVE after a stop").isTrue();
        assertThat(SpotProbe.undone("s", "PAUSED", "ACTIVE", "i").opposite()).isTrue();
        assertThat(SpotProbe.undone("s", "PAUSING", "PAUSED", "i")).as("on its way").isNull();
        assertThat(SpotProbe.undone("s", "ACTIVE", SpotProbe.RECYCLED, "i")).as("a reboot: not a power target").isNull();
        assertThat(SpotProbe.undone("s", "PAUSED", "", "i")).as("a create").isNull();
    }
}
