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
 * Redis layout, lost with the process unless saved to a state file ({@link #save}, {@link #writeThrough},
 * {@link #load}: {@code tasks.stateFile}). A task expires {@code ttl} after its last write (swept by
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
    /** Where {@link #create}, {@link #complete} and {@link #fail} are appended before they return; null: nowhere. */
    private java.nio.channels.FileChannel journal;
    private java.nio.file.Path journalFile;
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
     * Makes {@link #create}, {@link #complete} and {@link #fail} durable before they return: the task's new state
     * is appended to the journal beside {@code file} ({@code <file>.journal}, one JSON line per change) and
     * flushed to the disk (fsync), so a task whose id or outcome a caller was told survives a kill of the
     * process. Each {@link #save} to {@code file} (every second, and at stop) empties the journal; {@link #load}
     * applies it after the file. Other changes (start, check-ins, events) wait for the next save. A write that
     * fails is logged (WARN, at most every 10 s) and the change stays in memory (saved by the next save).
     * Throws {@link java.io.UncheckedIOException} when the journal cannot be opened.
     */
    public synchronized MemoryTaskStore writeThrough(java.nio.file.Path file) {
        java.nio.file.Path path = journalOf(file);
        try {
            java.nio.file.Files.createDirectories(path.toAbsolutePath().getParent());
            journal = java.nio.channels.FileChannel.open(path, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.APPEND);
            journalFile = path;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return this;
    }

    /** The journal of the state file {@code file}: {@code <file>.journal}. */
    static java.nio.file.Path journalOf(java.nio.file.Path file) {
        return file.resolveSibling(file.getFileName() + ".journal");
    }

    /** At most {@code max} tasks are kept: beyond, finished tasks are forgotten, those expiring first first. */
    public MemoryTaskStore bounded(int max) {
        this.maxTasks = max;
        return this;
    }

    @Override
    public boolean create(TaskWork work, Duration keepAtLeast) {
        if (tasks.size() >= maxTasks) {
            evictFinished(tasks.size() - maxTasks + 1);
        }
        Entry e = new Entry(work);
        synchronized (e) {
            e.createdAt = now();
            long now = clock.millis();
            Entry had = tasks.putIfAbsent(work.id(), e);
            if (had != null) {
                if (had.expiresAtMillis > now) {
                    return false;
                }
                tasks.put(work.id(), e); // expired, not yet swept: as if gone
            }
            log(e, "created task " + work.id());
            e.expiresAtMillis = Math.max(e.expiresAtMillis, clock.millis() + keepAtLeast.toMillis());
        }
        persist(work.id());
        return true;
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
            e.expiresAtMillis = Math.max(e.expiresAtMillis, clock.millis() + ttl.toMillis());
            changes.incrementAndGet();
        });
    }

    @Override
    public void event(String id, String message) {
        update(id, e -> log(e, message));
    }

    @Override
    public boolean complete(String id) {
        boolean written = update(id, e -> {
            e.status = Task.COMPLETED;
            e.completedAt = now();
            log(e, "complete task " + id);
        });
        if (written) {
            persist(id);
        }
        return written;
    }

    @Override
    public boolean fail(String id, String failure) {
        boolean written = update(id, e -> {
            e.status = Task.FAILED;
            e.failedAt = now();
            e.failure = failure;
            log(e, "failed task " + id);
        });
        if (written) {
            persist(id);
        }
        return written;
    }

    /** Appends task {@code id}'s state to the journal and flushes it (see {@link #writeThrough}). */
    private void persist(String id) {
        Entry e = tasks.get(id);
        if (e == null) {
            return;
        }
        synchronized (this) {
            if (journal == null) {
                return;
            }
            try {
                byte[] line = (JSON.writeValueAsString(saved(e)) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                java.nio.ByteBuffer buffer = java.nio.ByteBuffer.wrap(line);
                while (buffer.hasRemaining()) {
                    journal.write(buffer);
                }
                journal.force(false);
            } catch (java.io.IOException | RuntimeException failed) {
                long suppressed = SAVE_WARNINGS.allow("journal");
                if (suppressed >= 0) {
                    LOG.atWarn().addKeyValue("suppressed", suppressed).log("tasks: cannot write {} (the change is kept "
                            + "in memory and saved by the next save): {}", journalFile, failed.toString());
                }
            }
        }
    }

    /** The state-file form of a task. */
    private static Saved saved(Entry e) {
        synchronized (e) {
            TaskWork w = e.work;
            return new Saved(w.id(), w.org(), w.kind().configName(), w.account(), w.resource(), w.target(),
                    w.createdAtMillis(), w.deadlineMillis(), e.status, e.createdAt, e.checkinAt, e.completedAt,
                    e.failedAt, e.failure, List.copyOf(e.events), e.expiresAtMillis);
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
    public synchronized void close() {
        if (journal != null) {
            try {
                journal.close();
            } catch (java.io.IOException e) {
                LOG.debug("ignored: {}", e.toString());
            }
            journal = null;
        }
    }

    /** Applies {@code change} unless the task is unknown or finished (final); true when applied. */
    private boolean update(String id, java.util.function.Consumer<Entry> change) {
        Entry e = tasks.get(id);
        if (e == null) {
            return false;
        }
        synchronized (e) {
            if (finished(e.status)) {
                return false;
            }
            change.accept(e);
            return true;
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
            out.add(saved(t.getValue()));
        }
        try {
            dev.spotapi.shared.AtomicFiles.replace(file, stream -> JSON.writer()
                    .without(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET).writeValue(stream, out));
            savedAt = version;
            if (journal != null) { // the file now holds every change the journal held (appends wait for this lock)
                journal.truncate(0);
                journal.force(false);
            } else if (journalFile != null) { // the save at stop, after close
                java.nio.file.Files.deleteIfExists(journalFile);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Loads the tasks saved in {@code file} and then the changes of its journal ({@link #writeThrough}; a line cut
     * by a crash is skipped) (none when they do not exist; expired ones are skipped) and answers the ids of
     * those not finished, to be resumed. Throws {@link java.io.UncheckedIOException} when it cannot be read.
     */
    public List<String> load(java.nio.file.Path file) {
        List<Saved> saved = new ArrayList<>();
        try {
            if (java.nio.file.Files.exists(file)) {
                saved.addAll(JSON.readValue(file.toFile(),
                        new com.fasterxml.jackson.core.type.TypeReference<List<Saved>>() { }));
            }
            java.nio.file.Path changes = journalOf(file);
            if (java.nio.file.Files.exists(changes)) {
                int torn = 0;
                for (String line : java.nio.file.Files.readAllLines(changes, java.nio.charset.StandardCharsets.UTF_8)) {
                    if (line.isBlank()) {
                        continue;
                    }
                    try {
                        saved.add(JSON.readValue(line, Saved.class)); // later than the file's: replaces its task
                    } catch (java.io.IOException cut) {
                        torn++;
                    }
                }
                if (torn > 0) {
                    LOG.warn("tasks: {} unreadable line(s) in {} skipped (a write cut by a crash)", torn, changes);
                }
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        long now = clock.millis();
        for (Saved s : saved) {
            if (s.expiresAtMillis() <= now) {
                tasks.remove(s.id());
                continue;
            }
            Entry known = tasks.get(s.id());
            if (known != null && finished(known.status) && !finished(s.status())) {
                continue; // a journal line older than the file's finished task
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
        }
        changes.incrementAndGet(); // the next save folds the journal into the file
        List<String> unfinished = new ArrayList<>();
        for (Map.Entry<String, Entry> t : tasks.entrySet()) {
            String status = t.getValue().status;
            if (Task.CREATED.equals(status) || Task.RUNNING.equals(status)) {
                unfinished.add(t.getKey());
            }
        }
        return unfinished;
    }

    private static boolean finished(String status) {
        return Task.COMPLETED.equals(status) || Task.FAILED.equals(status);
    }

    private void log(Entry e, String message) {
        e.events.addLast(now() + " " + message);
        while (e.events.size() > maxEvents) {
            e.events.removeFirst();
        }
        e.expiresAtMillis = Math.max(e.expiresAtMillis, clock.millis() + ttl.toMillis());
        changes.incrementAndGet();
    }

    private String now() {
        return FlywheelTime.format(clock.instant());
    }
}
