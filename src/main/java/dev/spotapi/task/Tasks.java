package dev.spotapi.task;

import dev.spotapi.account.Account;
import dev.spotapi.account.AccountRegistry;
import dev.spotapi.config.TaskConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The flywheel tasks of asynchronous requests: creates them, runs them and answers them.
 *
 * <p>A task is created after Spot accepted the request (so a create's id is known) and its work item is
 * offered to the {@link WorkQueue}. Every {@code pumpMs} each replica takes as many items as it has room for:
 * {@code maxRunning} minus its tasks that still hold a slot. A task holds a slot for its first {@link #SLOT_POLLS}
 * poll periods only; a longer one (a roll, a slow transition) goes on here without one, so that it never keeps
 * newer tasks waiting (attack round 7: 200 long stops held every slot and a create whose instance was ACTIVE stayed
 * "created"), and its reads slow down with its age ({@link #pollIntervalMs}). A replica follows at most
 * {@code maxQueue} tasks. A running task reads Spot's state ({@link SpotProbe}) every
 * {@code pollMs} and writes an event for each change it sees; a heartbeat checks its running tasks in and renews
 * their leases whatever their reads are doing ({@link #heartbeat}); a task completes
 * when the target state is reached, or fails with Spot's reason, or when the kind's deadline passes. The
 * reaper fails tasks whose check-in is older than {@code staleSeconds} (their replica died and nobody took
 * the item over). Nothing here ever repeats the Spot request itself: a task taken over from a dead replica
 * only looks at Spot's actual state.
 */
public final class Tasks implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Tasks.class);
    private static final long PUMP_MS = 100;
    /** Poll periods a task holds one of {@code maxRunning} slots; after them it goes on without one. */
    static final int SLOT_POLLS = 5;
    /** The longest time between two reads of a long task. */
    static final long MAX_POLL_MS = 30_000;

    private final TaskStore store;
    private final WorkQueue queue;
    private final AccountRegistry accounts;
    private final TaskConfig config;
    private final String org;
    private final Clock clock;
    private final TaskMetrics metrics;
    private final Map<String, Running> running = new ConcurrentHashMap<>();
    /** Spot reads in flight at once ({@code maxReads}); polls beyond wait in {@link #waitingReads}. */
    private final java.util.concurrent.Semaphore reads;
    private final java.util.Queue<Running> waitingReads = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final ScheduledExecutorService timer;
    private final ExecutorService workers;
    private volatile boolean closed;
    /**
     * Since when (clock millis) this replica has reached the task store without a failed call; -1 after a failure
     * until the next call that succeeds. The reaper judges check-ins only once this is {@code staleSeconds} old: no
     * replica can check in while the store is out of reach, so after a long Redis outage every live replica's task
     * looked abandoned until its next heartbeat (attack round 19: one replica's reaper failed the others' tasks).
     */
    private volatile long reachableSince;
    private volatile long lastPumpWarning = System.nanoTime() - 20_000_000_000L;
    private final AutoCloseable resources;

    private static final class Running {
        final TaskWork work;
        final long startedNanos = System.nanoTime();
        String lastState;
        /** The instance was seen out of its target state (e.g. RECYCLING). */
        volatile boolean sawTransition;
        /** When the next read is due (System.nanoTime): polls keep a fixed rate from a random phase. */
        long nextDueNanos;
        String lastStateOrNone() {
            return lastState == null ? "not read yet" : "last seen " + lastState;
        }

        /** Another replica took the task over: whatever this one still has in flight for it writes nothing. */
        volatile boolean lost;
        /** Reads in a row that found the object in the state the task was asked to leave ({@link SpotProbe#undone}). */
        int oppositeReads;
        /** When the first of them was answered (System.nanoTime). */
        long firstOppositeNanos;
        /** The deadline passed: this read is the last look at Spot before the task fails. */
        boolean lastLook;
        /** The last look's read failed for a while and is looked at again ({@link #LAST_LOOK_GRACE_MS}). */
        boolean lastLookRetried;

        Running(TaskWork work) {
            this.work = work;
        }
    }

    /**
     * @param store    where tasks are recorded
     * @param queue    where work items wait
     * @param accounts the configured accounts (a task reads Spot with its account's client and rate budget)
     * @param config   the {@code tasks} settings
     * @param org      this deployment's org: tasks are answered only to it
     * @param registry where the task metrics go
     * @param clock    the time of task fields and deadlines
     * @param resources closed last by {@link #close()} (the Redis connection)
     */
    public Tasks(TaskStore store, WorkQueue queue, AccountRegistry accounts, TaskConfig config, String org,
            MeterRegistry registry, Clock clock, AutoCloseable resources) {
        this.resources = resources;
        this.store = store;
        this.queue = queue;
        this.accounts = accounts;
        this.config = config;
        this.org = org;
        this.clock = clock;
        this.reachableSince = clock.millis();
        this.reads = new java.util.concurrent.Semaphore(config.maxReads());
        this.metrics = new TaskMetrics(registry, () -> running.size(), queue::size);
        this.timer = Executors.newSingleThreadScheduledExecutor(daemon("tasks-timer"));
        this.workers = Executors.newFixedThreadPool(2, daemon("tasks"));
        timer.scheduleWithFixedDelay(handOff(this::pump), PUMP_MS, PUMP_MS, TimeUnit.MILLISECONDS);
        long reapEvery = Math.max(1_000, Math.min(config.staleSeconds() * 1_000 / 2, 30_000));
        timer.scheduleWithFixedDelay(handOff(this::reap), reapEvery, reapEvery, TimeUnit.MILLISECONDS);
        long beat = heartbeatMs(config);
        timer.scheduleWithFixedDelay(handOff(this::heartbeat), beat, beat, TimeUnit.MILLISECONDS);
    }

    /** How often a replica renews the items of its running tasks: a third of the lease, at most 5 s. */
    static long heartbeatMs(TaskConfig config) {
        return Math.max(100, Math.min(config.leaseSeconds() * 1_000 / 3, 5_000));
    }

    /**
     * Renews the work items of this replica's running tasks and checks them in, whatever their Spot reads are
     * doing: a live replica's task is never taken over because one read waited on a slow Spot longer than the lease
     * (attack round 6: renewed only after each read, a task whose read outlived the lease was run by two live
     * replicas). A task whose item another replica took over (this process was paused past the lease) is dropped.
     */
    void heartbeat() {
        if (closed) {
            return;
        }
        for (Running r : running.values()) {
            String id = r.work.id();
            try {
                if (!queue.renew(id)) {
                    if (store.work(id) == null) {
                        restore(r); // neither the item nor the task: the store lost its data, not another replica
                    } else {
                        lost(r);
                    }
                    continue;
                }
                store.checkin(id);
                reached();
            } catch (RuntimeException e) {
                unreachable();
                LOG.warn("task {}: renewing its lease failed (retried): {}", id, e.toString());
            }
        }
    }

    /**
     * Throws {@link TaskRefusedException} when a new task would exceed the bounds ({@code maxQueue} tasks not
     * finished) or the store cannot be reached; called before the Spot request is sent.
     */
    public void checkRoom() {
        long open;
        try {
            open = queue.size();
        } catch (TaskStoreUnavailableException e) {
            throw new TaskRefusedException("the task store cannot be reached: " + e.getMessage(), 5);
        }
        if (open >= config.maxQueue()) {
            throw new TaskRefusedException("too many asynchronous tasks (" + config.maxQueue()
                    + ") are not finished", 5);
        }
    }

    /** A new random task id (flywheel's: a UUID). */
    public static String newId() {
        return UUID.randomUUID().toString();
    }

    /**
     * Records and queues the task of an accepted request. {@code target} is {@code ACTIVE}/{@code PAUSED} for an
     * instance's power, else empty. Throws {@link TaskRefusedException} when the store or queue refuse it.
     * Answers the work (its id is the task id). The task is kept at least {@code keepAtLeast} (a keyed request's
     * task as long as its key: attack round 7, a replay after the task's TTL named a task flywheel no longer knew).
     */
    public TaskWork submit(String id, TaskKind kind, String account, String resource, String target,
            Duration keepAtLeast) {
        long now = clock.millis();
        TaskWork work = new TaskWork(id, org, kind, account, resource, target == null ? "" : target, now,
                now + config.deadline(kind.configName()).toMillis());
        try {
            if (!store.create(work, keepAtLeast)) {
                return work; // a task with this id exists (finished, or queued already): it stays as it is
            }
            queue.offer(id);
        } catch (TaskStoreUnavailableException e) {
            throw new TaskRefusedException("the task store cannot be reached: " + e.getMessage(), 5);
        } catch (TaskRefusedException e) {
            quietly(() -> store.fail(id, "refused: " + e.getMessage()));
            throw e;
        }
        metrics.status(kind, Task.CREATED);
        workers.execute(this::pump);
        return work;
    }

    /** The tasks of this org among {@code ids}, by id, in the order asked; unknown ids are left out. */
    public Map<String, Task> get(List<String> ids) {
        Map<String, Task> out = new LinkedHashMap<>();
        for (String id : ids) {
            if (out.containsKey(id)) {
                continue;
            }
            Task t = store.get(id, org);
            if (t != null) {
                out.put(id, t);
            }
        }
        return out;
    }


    /** Runs {@code job} every {@code period} on the task workers until {@link #close()}. */
    void every(Duration period, Runnable job) {
        timer.scheduleWithFixedDelay(handOff(job), period.toMillis(), period.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Tasks this replica is running now. */
    public int runningHere() {
        return running.size();
    }

    /** Takes work items while this replica has room. */
    private void pump() {
        if (closed) {
            return;
        }
        try {
            long now = System.nanoTime();
            long slotNanos = TimeUnit.MILLISECONDS.toNanos(SLOT_POLLS * config.pollMs());
            int holdingSlots = 0;
            for (Running r : running.values()) {
                if (now - r.startedNanos < slotNanos) {
                    holdingSlots++;
                }
            }
            int room = Math.min(config.maxRunning() - holdingSlots, config.maxQueue() - running.size());
            if (room <= 0) {
                return;
            }
            for (WorkQueue.Taken taken : queue.take(room)) {
                begin(taken);
            }
        } catch (RuntimeException e) {
            long now = System.nanoTime();
            if (now - lastPumpWarning > 10_000_000_000L) {
                lastPumpWarning = now;
                LOG.warn("taking task work failed (retried every {} ms, logged every 10 s): {}", PUMP_MS, e.toString());
            }
        }
    }

    private void begin(WorkQueue.Taken taken) {
        TaskWork work = store.work(taken.taskId());
        if (work == null) {
            queue.done(taken.taskId()); // expired or never recorded: nothing to wait for
            return;
        }
        Task now = store.get(work.id(), work.org());
        if (now != null && now.finished()) {
            queue.done(work.id());
            return;
        }
        Running r = new Running(work);
        if (running.putIfAbsent(work.id(), r) != null) {
            return;
        }
        try {
            if (taken.claimedFromAnother()) {
                metrics.claimedAfterCrash();
                store.event(work.id(), "taken over: the replica that ran this task stopped renewing it; resuming from"
                        + " Spot's actual state");
            } else {
                store.start(work.id());
                metrics.status(work.kind(), Task.RUNNING);
            }
        } catch (RuntimeException e) {
            // the task is this replica's now (running, its lease renewed): it must be followed even when its start
            // could not be recorded, or it stayed "created" for ever with its lease renewed (a flaky
            // AttackRound6ReplicasTest: Redis's connections killed while tasks began); its end records the outcome
            LOG.warn("task {}: recording its start failed (it runs; its end is recorded): {}", work.id(), e.toString());
        }
        // the first read at once, the following ones on a random phase of the poll period: the reads of many
        // tasks started together spread over the period instead of reaching Spot in bursts
        r.nextDueNanos = System.nanoTime() - java.util.concurrent.ThreadLocalRandom.current()
                .nextLong(TimeUnit.MILLISECONDS.toNanos(config.pollMs()));
        workers.execute(() -> poll(r));
    }

    private void poll(Running r) {
        if (closed || r.lost) {
            return;
        }
        TaskWork w = r.work;
        try {
            if (clock.millis() > w.deadlineMillis()) {
                if (r.lastLook && !r.lastLookRetried) {
                    finish(r, deadlinePassed(r));
                    return;
                }
                // one look at Spot first: a task resumed or started late (a restart, a takeover) must not fail
                // a change Spot has made (attack round 7)
                r.lastLook = true;
            }
            Account account = accounts.all().get(w.account());
            if (account == null) {
                finish(r, "account '" + w.account() + "' is not configured on this replica");
                return;
            }
            waitingReads.add(r);
            startReads();
        } catch (RuntimeException e) {
            LOG.warn("task {} poll failed (retried): {}", w.id(), e.toString());
            later(r);
        }
    }

    /** Starts the waiting reads while fewer than {@code maxReads} are in flight. */
    private void startReads() {
        while (!closed && !waitingReads.isEmpty() && reads.tryAcquire()) {
            Running next = waitingReads.poll();
            if (next == null) {
                reads.release();
                continue;
            }
            Account account = accounts.all().get(next.work.account());
            try {
                SpotProbe.look(account, next.work, next.sawTransition).whenCompleteAsync((seen, failure) -> {
                    reads.release();
                    startReads();
                    observed(next, seen, failure);
                }, workers);
            } catch (RuntimeException e) {
                reads.release();
                LOG.warn("task {} read failed to start (retried): {}", next.work.id(), e.toString());
                later(next);
            }
        }
    }

    private void observed(Running r, SpotProbe.Observation seen, Throwable failure) {
        if (closed || r.lost) {
            return;
        }
        String id = r.work.id();
        try {
            if (failure != null) {
                seen = new SpotProbe.Observation("read failed: " + dev.spotapi.spot.SpotClient.unwrap(failure), false, null, true);
            }
            if (seen.inTransition()) {
                r.sawTransition = true;
            }
            if (!seen.state().equals(r.lastState)) {
                r.lastState = seen.state();
                store.event(id, seen.state());
            }
            if (seen.failure() != null) {
                finish(r, seen.failure());
                return;
            }
            if (seen.done()) {
                finish(r, null);
                return;
            }
            if (!seen.opposite()) {
                r.oppositeReads = 0;
            } else if (r.oppositeReads++ == 0) {
                r.firstOppositeNanos = System.nanoTime();
            }
            long undoneAfter = TimeUnit.MILLISECONDS.toNanos(SpotProbe.UNDONE_POLLS * config.pollMs());
            if (r.oppositeReads >= SpotProbe.UNDONE_READS && System.nanoTime() - r.firstOppositeNanos >= undoneAfter) {
                finish(r, seen.state() + " on " + r.oppositeReads + " reads in a row over "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - r.firstOppositeNanos) + " ms, the state this"
                        + " change was to leave: a later change undid it");
                return;
            }
            if (r.lastLook) {
                if (seen.transientError() && clock.millis() - r.work.deadlineMillis() < LAST_LOOK_GRACE_MS) {
                    // the last look could not read Spot (the budget, a timeout, a 5xx): look again rather than fail
                    // a change Spot may have made (attack round 18)
                    r.lastLookRetried = true;
                    later(r);
                    return;
                }
                finish(r, deadlinePassed(r));
                return;
            }
        } catch (RuntimeException e) {
            LOG.warn("task {}: recording progress failed (retried): {}", id, e.toString());
        }
        later(r);
    }

    private String deadlinePassed(Running r) {
        TaskWork w = r.work;
        return "deadline of " + Duration.ofMillis(w.deadlineMillis() - w.createdAtMillis()).toSeconds() + " s for "
                + w.kind().configName() + " passed; last seen: " + (r.lastState == null ? "nothing yet" : r.lastState);
    }

    /**
     * How long past its deadline a task still looks at Spot while its reads fail for a while (the rate budget, a
     * timeout, a 5xx), ms: it is failed for its deadline only after a read showed Spot's state, or after this.
     */
    static final long LAST_LOOK_GRACE_MS = 120_000;

    /**
     * The time to the next read of a task followed here for {@code ageNanos}: {@code pollMs} while it holds a slot,
     * then a tenth of its age (at least {@code pollMs}, at most {@link #MAX_POLL_MS}): long tasks cost Spot fewer
     * reads, and none waits more than 10 % of its age, at most 30 s, past its end.
     */
    static long pollIntervalMs(long pollMs, long ageNanos) {
        long ageMs = TimeUnit.NANOSECONDS.toMillis(ageNanos);
        if (ageMs < SLOT_POLLS * pollMs) {
            return pollMs;
        }
        return Math.max(pollMs, Math.min(MAX_POLL_MS, ageMs / 10));
    }

    /** Schedules the next read one poll interval after the previous due time (never in the past: no catch-up). */
    private void later(Running r) {
        if (!closed) {
            long now = System.nanoTime();
            long interval = pollIntervalMs(config.pollMs(), now - r.startedNanos);
            r.nextDueNanos = Math.max(now, r.nextDueNanos + TimeUnit.MILLISECONDS.toNanos(interval));
            timer.schedule(() -> workers.execute(() -> poll(r)), r.nextDueNanos - now, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * The store lost the task this replica runs, and its item (Redis restarted without persistence, failed over to an
     * empty replica, or was flushed; attack round 11: the task answered 202 was unknown from then on): writes the task
     * back from what this replica holds (its kind, target and deadline; the events before are gone) and queues its
     * item again. Whichever replica takes the item follows the task (this one, when it is the one, goes on as before;
     * else it stops at its next renewal, finding the task there again).
     */
    private void restore(Running r) {
        String id = r.work.id();
        if (store.create(r.work, java.time.Duration.ZERO)) {
            store.start(id);
            store.event(id, "written back: the task store lost its data while the task ran (" + r.lastStateOrNone()
                    + "); the earlier events are gone");
            queue.offer(id);
            LOG.error("task {}: the task store lost it while it ran (Redis lost its data); written back and queued"
                    + " again", id);
        }
    }

    /**
     * This replica lost the task's item (its lease ran out, e.g. while the process was paused, and another replica
     * took it over): it stops following the task and writes nothing more to it; the slot is free.
     */
    private void lost(Running r) {
        r.lost = true;
        if (!running.remove(r.work.id(), r)) {
            return;
        }
        LOG.info("task {} was taken over by another replica (this one did not renew it in time); no longer followed here",
                r.work.id());
        workers.execute(this::pump);
    }

    /**
     * Completes ({@code failure} null) or fails the task; the item is done and the slot free. A task finished
     * meanwhile by another replica stays as that replica finished it (the store ignores the write) and is not
     * counted again.
     */
    private void finish(Running r, String failure) {
        String id = r.work.id();
        boolean ended;
        try {
            ended = failure == null ? store.complete(id) : store.fail(id, failure);
            queue.done(id);
        } catch (RuntimeException e) {
            LOG.warn("task {}: recording its end failed (another replica will take it over): {}", id, e.toString());
            running.remove(id);
            workers.execute(this::pump);
            return;
        }
        running.remove(id);
        if (ended) {
            String status = failure == null ? Task.COMPLETED : Task.FAILED;
            metrics.finished(r.work.kind(), status, System.nanoTime() - r.startedNanos);
            LOG.info("task {} {} kind={} account={} resource={}{}", id, status, r.work.kind().configName(),
                    r.work.account(), r.work.resource(), failure == null ? "" : " failure=\"" + failure + "\"");
        } else {
            LOG.info("task {} was finished by another replica meanwhile; left as it finished it", id);
        }
        workers.execute(this::pump);
    }

    /**
     * Fails the unfinished tasks whose last check-in (or creation) is older than {@code staleSeconds}; one that no
     * replica started yet (waiting for room) only once its deadline has passed too. Judged only once this replica
     * has reached the store without a failure for {@code staleSeconds} ({@link #reachableSince}).
     */
    void reap() {
        if (closed) {
            return;
        }
        try {
            List<String> unfinished = store.unfinished(config.maxQueue());
            reached();
            long since = reachableSince; // read once: a failed heartbeat on another thread may reset it meanwhile
            if (since < 0 || clock.millis() - since < config.staleSeconds() * 1_000L) {
                unfinished = List.of(); // out of reach within staleSeconds: a live replica may not have checked in since
            }
            Instant stale = clock.instant().minusSeconds(config.staleSeconds());
            for (String id : unfinished) {
                if (running.containsKey(id)) {
                    continue;
                }
                TaskWork w = store.work(id);
                Task t = w == null ? null : store.get(id, w.org());
                if (t == null || t.finished()) {
                    continue;
                }
                boolean checkedIn = t.checkinAt() != null && !t.checkinAt().isEmpty();
                if (!checkedIn && !Task.RUNNING.equals(t.status()) && clock.millis() <= w.deadlineMillis()) {
                    continue; // waiting for a replica with room, not abandoned (attack round 7): judged after its deadline
                }
                String last = checkedIn ? t.checkinAt() : t.createdAt();
                if (last != null && !last.isEmpty() && FlywheelTime.parse(last).isBefore(stale)) {
                    boolean reaped = store.fail(id, "no check-in for " + config.staleSeconds() + " s: the replica"
                            + " running this task stopped and no other took it over");
                    queue.done(id);
                    if (reaped) {
                        metrics.reaped(w.kind());
                    }
                }
            }
            if (store instanceof MemoryTaskStore m) {
                m.sweep();
            }
        } catch (RuntimeException e) {
            unreachable();
            LOG.warn("task reaper failed (retried): {}", e.toString());
        }
    }

    private void reached() {
        if (reachableSince < 0) {
            reachableSince = clock.millis();
        }
    }

    private void unreachable() {
        reachableSince = -1;
    }

    @Override
    public void close() {
        closed = true;
        timer.shutdownNow();
        workers.shutdownNow();
        quietly(queue::close);
        quietly(store::close);
        try {
            resources.close();
        } catch (Exception e) {
            LOG.debug("ignored: {}", e.toString());
        }
    }

    /**
     * The timer's periodic action for {@code job}: hands it to the workers. Nothing may escape it: a scheduled
     * executor never runs a periodic action again once it has thrown, and this replica would stop taking
     * tasks for good (an {@link OutOfMemoryError} while a request held the heap is enough). Refused once closed.
     */
    private Runnable handOff(Runnable job) {
        return () -> {
            try {
                workers.execute(job);
            } catch (Throwable t) {
                try {
                    if (!closed) {
                        LOG.warn("could not hand periodic task work to a worker, tried again next period: {}", t.toString());
                    }
                } catch (Throwable alsoFailed) {
                    // no memory to log it either: the next period tries again
                }
            }
        };
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            LOG.debug("ignored: {}", e.toString());
        }
    }

    private static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
