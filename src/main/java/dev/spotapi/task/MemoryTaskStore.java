package dev.spotapi.task;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tasks in this process (the embedded default, one replica): the same fields and events as flywheel's
 * Redis layout, lost with the process. A task expires {@code ttl} after its last write (swept by
 * {@link #sweep()}); at most {@code maxEvents} events per task are kept (oldest dropped).
 */
public final class MemoryTaskStore implements TaskStore {
    private static final class Entry {
        final TaskWork work;
        String status = Task.CREATED;
        String createdAt;
        String checkinAt = "";
        String completedAt = "";
        String failedAt = "";
        String failure = "";
        final Deque<String> events = new ArrayDeque<>();
        long expiresAtMillis;

        Entry(TaskWork work) {
            this.work = work;
        }
    }

    private final Map<String, Entry> tasks = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration ttl;
    private final int maxEvents;

    /**
     * @param clock     the time of {@code *_at} fields and events
     * @param ttl       how long a task is kept after its last write
     * @param maxEvents events kept per task
     */
    public MemoryTaskStore(Clock clock, Duration ttl, int maxEvents) {
        this.clock = clock;
        this.ttl = ttl;
        this.maxEvents = maxEvents;
    }

    @Override
    public void create(TaskWork work) {
        Entry e = new Entry(work);
        synchronized (e) {
            e.createdAt = now();
            tasks.put(work.id(), e);
            log(e, "created task " + work.id());
        }
    }

    @Override
    public void start(String id) {
        update(id, e -> {
            e.status = Task.RUNNING;
            log(e, "starting task " + id);
        });
    }

    @Override
    public void checkin(String id) {
        update(id, e -> {
            e.checkinAt = now();
            e.expiresAtMillis = clock.millis() + ttl.toMillis();
        });
    }

    @Override
    public void event(String id, String message) {
        update(id, e -> log(e, message));
    }

    @Override
    public void complete(String id) {
        update(id, e -> {
            e.status = Task.COMPLETED;
            e.completedAt = now();
            log(e, "complete task " + id);
        });
    }

    @Override
    public void fail(String id, String failure) {
        update(id, e -> {
            e.status = Task.FAILED;
            e.failedAt = now();
            e.failure = failure;
            log(e, "failed task " + id);
        });
    }

    @Override
    public Task get(String id, String org) {
        Entry e = tasks.get(id);
        if (e == null || !e.work.org().equals(org)) {
            return null;
        }
        synchronized (e) {
            if (e.expiresAtMillis <= clock.millis()) {
                return null;
            }
            return new Task(id, e.status, e.createdAt, e.checkinAt, e.completedAt, e.failedAt, e.failure,
                    List.copyOf(e.events));
        }
    }

    @Override
    public TaskWork work(String id) {
        Entry e = tasks.get(id);
        return e == null ? null : e.work;
    }

    @Override
    public List<String> unfinished(int limit) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, Entry> t : tasks.entrySet()) {
            if (out.size() >= limit) {
                break;
            }
            String s;
            synchronized (t.getValue()) {
                s = t.getValue().status;
            }
            if (Task.CREATED.equals(s) || Task.RUNNING.equals(s)) {
                out.add(t.getKey());
            }
        }
        return out;
    }

    /** Forgets the tasks whose time to live has passed. */
    public void sweep() {
        long now = clock.millis();
        tasks.entrySet().removeIf(t -> {
            synchronized (t.getValue()) {
                return t.getValue().expiresAtMillis <= now;
            }
        });
    }

    /** Tasks held (expired ones not yet swept included). */
    public int size() {
        return tasks.size();
    }

    @Override
    public boolean durable() {
        return false;
    }

    @Override
    public void close() {
        // nothing held outside the heap
    }

    private void update(String id, java.util.function.Consumer<Entry> change) {
        Entry e = tasks.get(id);
        if (e == null) {
            return;
        }
        synchronized (e) {
            change.accept(e);
        }
    }

    private void log(Entry e, String message) {
        e.events.addLast(now() + " " + message);
        while (e.events.size() > maxEvents) {
            e.events.removeFirst();
        }
        e.expiresAtMillis = clock.millis() + ttl.toMillis();
    }

    private String now() {
        return FlywheelTime.format(clock.instant());
    }
}
