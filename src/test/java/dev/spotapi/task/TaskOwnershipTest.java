package dev.spotapi.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RedisProcess;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Who may still write to a task (attack round 6): a finished task is final in both stores, whichever replica writes
 * later; a replica whose work item another replica took over (its lease ran out: the process was paused) learns it
 * at its next renewal and does not take the item back. Against a real redis-server.
 */
class TaskOwnershipTest {
    private static RedisProcess redis;
    private static RedisTaskConnection connection;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        connection = new RedisTaskConnection(redis.url(), null, Duration.ofSeconds(2));
    }

    @AfterAll
    static void stop() {
        connection.close();
        redis.close();
    }

    private static TaskWork work(String id) {
        long now = System.currentTimeMillis();
        return new TaskWork(id, "alpha", TaskKind.INSTANCE_POWER, "main", "smi-00000001", "PAUSED", now, now + 60_000);
    }

    @Test
    void aFinishedTaskIsFinalInRedis() {
        RedisTaskStore store = new RedisTaskStore(connection, "own-" + System.nanoTime(), Clock.systemUTC(),
                Duration.ofMinutes(5), 20, List::of);
        assertFinishedIsFinal(store, "t-redis-1");
    }

    @Test
    void aFinishedTaskIsFinalInMemory() {
        assertFinishedIsFinal(new MemoryTaskStore(Clock.systemUTC(), Duration.ofMinutes(5), 20), "t-memory-1");
    }

    private static void assertFinishedIsFinal(TaskStore store, String id) {
        store.create(work(id));
        store.start(id);
        assertThat(store.complete(id)).as("the first end is written").isTrue();
        Task done = store.get(id, "alpha");

        assertThat(store.fail(id, "deadline of 8 s for instancePower passed")).as("a later failure").isFalse();
        assertThat(store.complete(id)).as("a second completion").isFalse();
        store.start(id);
        store.event(id, "PAUSING");
        store.checkin(id);

        Task after = store.get(id, "alpha");
        assertThat(after.status()).isEqualTo(Task.COMPLETED);
        assertThat(after.failure()).isNullOrEmpty();
        assertThat(after.events()).as("nothing appended after the end").isEqualTo(done.events());
        assertThat(after.checkinAt()).isEqualTo(done.checkinAt());

        assertThat(store.fail("t-never-created", "x")).as("an unknown task").isFalse();
    }

    @Test
    void aReplicaWhoseItemWasTakenOverDoesNotTakeItBack() throws InterruptedException {
        String namespace = "own-" + System.nanoTime();
        Duration lease = Duration.ofMillis(200);
        RedisWorkQueue a = new RedisWorkQueue(connection, namespace, "alpha", 10, lease);
        RedisWorkQueue b = new RedisWorkQueue(connection, namespace, "alpha", 10, lease);
        a.offer("t-1");
        assertThat(a.take(5)).containsExactly(new WorkQueue.Taken("t-1", false));
        assertThat(a.renew("t-1")).as("still a's").isTrue();

        List<WorkQueue.Taken> taken = List.of();
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (taken.isEmpty() && System.nanoTime() < until) {
            Thread.sleep(50); // a is "paused": it renews nothing
            taken = b.take(5);
        }
        assertThat(taken).as("b takes it over once a's lease ran out").containsExactly(new WorkQueue.Taken("t-1", true));

        assertThat(a.renew("t-1")).as("a, resumed, learns it lost the item").isFalse();
        assertThat(a.renew("t-1")).isFalse();
        assertThat(b.renew("t-1")).as("b keeps it: a did not take it back").isTrue();
        String owner = connection.run("who owns it", r -> r.xpending(namespace + ":spotapi:org:alpha:queue",
                RedisWorkQueue.GROUP, io.lettuce.core.Range.create("-", "+"), io.lettuce.core.Limit.from(10)))
                .get(0).getConsumer();
        assertThat(owner).isEqualTo(b.consumer());

        b.done("t-1");
        assertThat(b.renew("t-1")).as("a done item is nobody's").isFalse();
        assertThat(b.size()).isZero();
    }

    @Test
    void inOneProcessAnItemIsRenewedUntilItIsDone() {
        MemoryWorkQueue queue = new MemoryWorkQueue(10);
        queue.offer("t-1");
        assertThat(queue.take(1)).hasSize(1);
        assertThat(queue.renew("t-1")).isTrue();
        queue.done("t-1");
        assertThat(queue.renew("t-1")).isFalse();
    }
}
