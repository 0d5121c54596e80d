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
 * {@link #sweep()}); at most {@code maxEvents} events per task are kept (oldest dropped); beyond
 * {@code maxTasks} tasks the finished ones that expire first are forgotten early (memory stays bounded
 * whatever the request rate).
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
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();
    private long savedAt = -1;
    /** Where {@link #create}, {@link #complete} and {@link #fail} are saved before they return; null: nowhere. */
    private volatile java.nio.file.Path writeThrough;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(MemoryTaskStore.class);
    private static final dev.spotapi.log.Throttle SAVE_WARNINGS = new dev.spotapi.log.Throttle(10_000);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    /** One task as saved in the state file. */
    record Saved(String id, String org, String kind, String account, String resource, String target, long createdMs,
            long deadlineMs, String status, String createdAt, String checkinAt, String completedAt, String failedAt,
            String failure, List<String> events, long expiresAtMillis) {
    }
    private final Clock clock;
    private final Duration ttl;
    private final int maxEvents;
    private int maxTasks = Integer.MAX_VALUE;

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

    /**
     * Saves the whole store to {@code file} ({@link #save}) before {@link #create}, {@link #complete} and
     * {@link #fail} return: a task whose id or outcome a caller was told survives a kill of the process. Other
     * changes (start, check-ins, events) are left to the periodic save. A save that fails is logged (WARN, at
     * most every 10 s) and the change stays in memory (saved again by the next save).
     */
    public MemoryTaskStore writeThrough(java.nio.file.Path file) {
        this.writeThrough = file;
        return this;
    }

    /** At most {@code max} tasks are kept: beyond, finished tasks are forgotten, those expiring first first. */
    public MemoryTaskStore bounded(int max) {
        this.maxTasks = max;
        return this;
    }

    @Override
    public void create(TaskWork work) {
        if (tasks.size() >= maxTasks) {
            evictFinished(tasks.size() - maxTasks + 1);
        }
        Entry e = new Entry(work);
        synchronized (e) {
            e.createdAt = now();
            tasks.put(work.id(), e);
            log(e, "created task " + work.id());
        }
        persist();
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
            changes.incrementAndGet();
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
        persist();
    }

    @Override
    public void fail(String id, String failure) {
        update(id, e -> {
            e.status = Task.FAILED;
            e.failedAt = now();
            e.failure = failure;
            log(e, "failed task " + id);
        });
        persist();
    }

    /** The write-through save of a change the caller is told about (see {@link #writeThrough}). */
    private void persist() {
        java.nio.file.Path file = writeThrough;
        if (file == null) {
            return;
        }
        try {
            save(file);
        } catch (RuntimeException e) {
            long suppressed = SAVE_WARNINGS.allow("save");
            if (suppressed >= 0) {
                LOG.atWarn().addKeyValue("suppressed", suppressed).log("tasks: cannot save {} (the change is kept in "
                        + "memory and saved again by the next save): {}", file, e.toString());
            }
        }
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
        changes.incrementAndGet();
        tasks.entrySet().removeIf(t -> {
            synchronized (t.getValue()) {
                return t.getValue().expiresAtMillis <= now;
            }
        });
    }

    private synchronized void evictFinished(int count) {
        sweep();
        List<Map.Entry<String, Long>> finished = new ArrayList<>();
        for (Map.Entry<String, Entry> t : tasks.entrySet()) {
            synchronized (t.getValue()) {
                String s = t.getValue().status;
                if (Task.COMPLETED.equals(s) || Task.FAILED.equals(s)) {
                    finished.add(Map.entry(t.getKey(), t.getValue().expiresAtMillis));
                }
            }
        }
        finished.sort(Map.Entry.comparingByValue());
        for (int i = 0; i < Math.min(count, finished.size()); i++) {
            tasks.remove(finished.get(i).getKey());
        }
        changes.incrementAndGet();
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

    /**
     * Writes every task to {@code file} (JSON, through a temporary file that is flushed to disk, an atomic rename
     * and a flush of the directory: the file holds the old or the new tasks whatever happens) when anything
     * changed since the last save. Concurrent callers share one write: a change made before a running save read
     * the store is not written again. Throws {@link java.io.UncheckedIOException} when the file cannot be written.
     */
    public synchronized void save(java.nio.file.Path file) {
        long version = changes.get();
        if (version == savedAt) {
            return;
        }
        List<Saved> out = new ArrayList<>();
        for (Map.Entry<String, Entry> t : tasks.entrySet()) {
            Entry e = t.getValue();
            synchronized (e) {
                TaskWork w = e.work;
                out.add(new Saved(w.id(), w.org(), w.kind().configName(), w.account(), w.resource(), w.target(),
                        w.createdAtMillis(), w.deadlineMillis(), e.status, e.createdAt, e.checkinAt, e.completedAt,
                        e.failedAt, e.failure, List.copyOf(e.events), e.expiresAtMillis));
            }
        }
        try {
            dev.spotapi.shared.AtomicFiles.replace(file, JSON.writeValueAsBytes(out));
            savedAt = version;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Loads the tasks saved in {@code file} (none when it does not exist; expired ones are skipped) and answers
     * the ids of those not finished, to be resumed. Throws {@link java.io.UncheckedIOException} when it cannot be read.
     */
    public List<String> load(java.nio.file.Path file) {
        if (!java.nio.file.Files.exists(file)) {
            return List.of();
        }
        List<Saved> saved;
        try {
            saved = JSON.readValue(file.toFile(),
                    new com.fasterxml.jackson.core.type.TypeReference<List<Saved>>() { });
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<String> unfinished = new ArrayList<>();
        long now = clock.millis();
        for (Saved s : saved) {
            if (s.expiresAtMillis() <= now) {
                continue;
            }
            Entry e = new Entry(new TaskWork(s.id(), s.org(), TaskKind.ofConfigName(s.kind()), s.account(),
                    s.resource(), s.target(), s.createdMs(), s.deadlineMs()));
            e.status = s.status();
            e.createdAt = s.createdAt();
            e.checkinAt = s.checkinAt();
            e.completedAt = s.completedAt();
            e.failedAt = s.failedAt();
            e.failure = s.failure();
            e.events.addAll(s.events());
            e.expiresAtMillis = s.expiresAtMillis();
            tasks.put(s.id(), e);
            if (Task.CREATED.equals(s.status()) || Task.RUNNING.equals(s.status())) {
                unfinished.add(s.id());
            }
        }
        return unfinished;
    }

    private void log(Entry e, String message) {
        e.events.addLast(now() + " " + message);
        while (e.events.size() > maxEvents) {
            e.events.removeFirst();
        }
        e.expiresAtMillis = clock.millis() + ttl.toMillis();
        changes.incrementAndGet();
    }

    private String now() {
        return FlywheelTime.format(clock.instant());
    }
}
