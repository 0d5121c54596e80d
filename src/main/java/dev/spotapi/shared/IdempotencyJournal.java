package dev.spotapi.shared;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file behind {@link EmbeddedSharedState}'s {@code Idempotency-Key} records and cost ledger entries
 * ({@code idempotency.stateFile}): one JSON object per line, each line the new state of one record or entry (or its
 * removal), appended and flushed to the disk (fsync) before the change is acknowledged, so a record is durable
 * before the answer it guards leaves, and a deleted resource's costs before its delete is answered.
 * When the lines outnumber the live records (at least {@value #MIN_LINES_TO_COMPACT}) the file is rewritten
 * with only the live records ({@link AtomicFiles#replace}); also at start and at stop. Records past their TTL
 * are dropped on load and at every rewrite; beyond {@code maxBytes} of stored answers the records written
 * longest ago are dropped first. One process per file (not shared by replicas: that is what Redis is for).
 */
final class IdempotencyJournal implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyJournal.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MIN_LINES_TO_COMPACT = 1024;

    /**
     * One line: the hashed key {@code k}, fingerprint {@code f}, state {@code s} ({@code F} in flight, {@code U}
     * uncertain, {@code D} done, {@code X} removed), lease end {@code l} and expiry {@code e} (epoch ms), and for
     * a done record the stored answer (status {@code st}, content type {@code ct}, body {@code b}, base64, replayed
     * headers {@code h}). A cost ledger entry ({@code s} = {@code L}) names its ledger {@code lg}, its id {@code id}
     * and its text {@code tx}; a ledger that lost entries to the memory bound before their expiry ({@code s} =
     * {@code T}, its ledger {@code lg}) is marked until {@code e}. Ledger lines do not count towards the answers'
     * bound (the embedded state bounds them itself and writes their removal).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Line(@JsonProperty("k") String key, @JsonProperty("f") String fingerprint, @JsonProperty("s") char state,
            @JsonProperty("l") long leaseUntilMillis, @JsonProperty("e") long expiresAtMillis,
            @JsonProperty("st") Integer status, @JsonProperty("ct") String contentType, @JsonProperty("b") byte[] body,
            @JsonProperty("h") String headers, @JsonProperty("lg") String ledger, @JsonProperty("id") String entryId,
            @JsonProperty("tx") String text) {
        /** An idempotency record's line (no ledger fields). */
        Line(String key, String fingerprint, char state, long leaseUntilMillis, long expiresAtMillis, Integer status,
                String contentType, byte[] body, String headers) {
            this(key, fingerprint, state, leaseUntilMillis, expiresAtMillis, status, contentType, body, headers, null,
                    null, null);
        }

        static Line removed(String key) {
            return new Line(key, null, 'X', 0, 0, null, null, null, null);
        }

        /** Entry {@code entryId} of cost ledger {@code ledger}, kept until {@code expiresAtMillis} (epoch ms). */
        static Line ledgerEntry(String ledger, String entryId, String text, long expiresAtMillis) {
            return new Line(ledgerKey(ledger, entryId), null, 'L', 0, expiresAtMillis, null, null, null, null, ledger,
                    entryId, text);
        }

        /** Ledger {@code ledger} lost entries that would have been kept until {@code untilMillis} (epoch ms). */
        static Line ledgerTruncated(String ledger, long untilMillis) {
            return new Line("\u0000T" + ledger, null, 'T', 0, untilMillis, null, null, null, null, ledger, null, null);
        }

        /** The line key of a ledger entry; never an idempotency record's (those are hex digests). */
        static String ledgerKey(String ledger, String entryId) {
            return "\u0000L" + ledger + '\u0000' + entryId;
        }

        boolean ledgerLine() {
            return state == 'L' || state == 'T';
        }

        long bytes() {
            return ledgerLine() ? 0 : 256 + (body == null ? 0 : body.length);
        }
    }

    private final Path file;
    private final long maxBytes;
    /** The live records as the file holds them, oldest written first (the source of every rewrite). */
    private final LinkedHashMap<String, Line> live = new LinkedHashMap<>();
    private long liveBytes;
    private long lines;
    private FileChannel out;
    /** Lines appended since the file was opened (guarded by this). */
    private long written;
    /** Of those, how many are known to be on the disk. */
    private final java.util.concurrent.atomic.AtomicLong durable = new java.util.concurrent.atomic.AtomicLong();
    /** Held while flushing, so that concurrent writers share one fsync. */
    private final Object flushLock = new Object();

    private IdempotencyJournal(Path file, long maxBytes) {
        this.file = file;
        this.maxBytes = maxBytes;
    }

    /**
     * Opens {@code file} (created when missing, with its directory), loads its live records and rewrites it
     * with only those. A record that was in flight when its process stopped comes back uncertain (its request
     * may have acted: a retry must not take it for new). A torn last line (a crash during its write) is skipped.
     * Throws {@link IOException} when the file cannot be read or written.
     */
    static IdempotencyJournal open(Path file, long maxBytes) throws IOException {
        IdempotencyJournal journal = new IdempotencyJournal(file, maxBytes);
        journal.hold = StateFileLock.acquire(file, StateFileLock.WAIT); // one process per file
        try {
            synchronized (journal) {
                journal.load();
                journal.compact();
            }
        } catch (IOException | RuntimeException e) {
            journal.hold.close();
            throw e;
        }
        return journal;
    }

    /** This process's hold on the file, released at {@link #close}. */
    private StateFileLock hold;

    /** The live records loaded at start, oldest written first. */
    synchronized List<Line> records() {
        return List.copyOf(live.values());
    }

    /**
     * Appends the new state of a record and returns once it is on the disk (fsync); rewrites the file when it
     * has grown. Concurrent callers share one fsync (group commit): each waits until a flush that started
     * after its line was written has ended. Throws {@link IOException} when the line cannot be written or
     * flushed (a line written only in part is cut off again).
     */
    void write(Line line) throws IOException {
        long mine;
        synchronized (this) {
            if (out == null) {
                throw new IOException("the idempotency state file " + file + " is closed");
            }
            byte[] bytes = (JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8);
            long start = out.position();
            try {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            } catch (IOException e) {
                try {
                    out.truncate(start);
                } catch (IOException alsoFailed) {
                    e.addSuppressed(alsoFailed);
                }
                throw e;
            }
            mine = ++written;
            lines++;
            apply(line);
            if (lines >= MIN_LINES_TO_COMPACT && lines > 2L * live.size()) {
                compact(); // flushes everything written so far
            }
        }
        flushUpTo(mine);
    }

    /** Returns once line number {@code mine} (of {@link #written}) is on the disk. */
    private void flushUpTo(long mine) throws IOException {
        synchronized (flushLock) {
            if (durable.get() >= mine) {
                return; // a flush that started after this line was written covered it
            }
            FileChannel channel;
            long upTo;
            synchronized (this) {
                channel = out;
                upTo = written;
            }
            if (channel == null) {
                throw new IOException("the idempotency state file " + file + " is closed");
            }
            try {
                channel.force(false);
            } catch (java.nio.channels.ClosedChannelException rewritten) {
                if (durable.get() >= mine) {
                    return; // the file was rewritten (and flushed) meanwhile
                }
                throw rewritten;
            }
            durable.accumulateAndGet(upTo, Math::max);
        }
    }

    /**
     * Drops the file as a killed process does: no rewrite, the OS's lock released (tests of a crash within one
     * JVM, where the lock of a process that never stopped would still be held).
     */
    synchronized void abandon() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            LOG.debug("ignored: {}", e.toString());
        }
        out = null;
        if (hold != null) {
            hold.close();
        }
    }

    /** Rewrites the file with the live records (dropping expired ones) and closes it. */
    @Override
    public synchronized void close() {
        if (out == null) {
            return;
        }
        try {
            compact();
        } catch (IOException e) {
            LOG.warn("idempotency: cannot rewrite {} at stop (its records are kept as they are): {}", file, e.toString());
        }
        try {
            out.close();
        } catch (IOException e) {
            LOG.debug("ignored: {}", e.toString());
        }
        out = null;
        if (hold != null) {
            hold.close();
        }
    }

    private void load() throws IOException {
        if (!Files.exists(file)) {
            return;
        }
        int torn = 0;
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String text;
            while ((text = in.readLine()) != null) {
                if (text.isBlank()) {
                    continue;
                }
                Line line;
                try {
                    line = JSON.readValue(text, Line.class);
                } catch (IOException e) {
                    torn++;
                    Line lostEntry = tornLedgerEntry(text);
                    if (lostEntry != null) {
                        apply(lostEntry);
                    }
                    continue;
                }
                if (line.key() == null) {
                    torn++;
                    continue;
                }
                if (line.state() == 'F') { // its process is gone: it may have acted
                    line = new Line(line.key(), line.fingerprint(), 'U', 0, line.expiresAtMillis(), null, null, null, null);
                }
                apply(line);
            }
        }
        if (torn > 0) {
            LOG.warn("idempotency: {} unreadable line(s) in {} skipped (a write cut by a crash)", torn, file);
        }
    }

    /** How long a ledger that lost an entry to a torn line says so: the cost ledger's retention, 400 days. */
    static final long TORN_LEDGER_MS = java.time.Duration.ofDays(400).toMillis();
    /** How a ledger entry's line begins (its key first: {@link Line#ledgerKey}). */
    private static final String LEDGER_LINE_START = "{\"k\":\"\\u0000L";

    /**
     * For an unreadable line (cut by a crash during its write) that was a ledger entry's: the mark that its ledger
     * is incomplete (all ledgers when the cut left its name unreadable), so that its roll-ups say so instead of being
     * silently lower (attack round 12). Null for any other line.
     */
    static Line tornLedgerEntry(String text) {
        if (!text.startsWith(LEDGER_LINE_START)) {
            return null;
        }
        long until = System.currentTimeMillis() + TORN_LEDGER_MS;
        int end = text.indexOf("\\u0000", LEDGER_LINE_START.length());
        String ledger = "";
        if (end > 0) {
            try {
                ledger = JSON.readValue("\"" + text.substring(LEDGER_LINE_START.length(), end) + "\"", String.class);
            } catch (IOException e) {
                ledger = "";
            }
        }
        return Line.ledgerTruncated(ledger, until);
    }

    /** Applies a line to the live records: replaces or removes its key, then drops what is expired or too much. */
    private void apply(Line line) {
        Line old = live.remove(line.key());
        if (old != null) {
            liveBytes -= old.bytes();
        }
        if (line.state() != 'X' && line.expiresAtMillis() > System.currentTimeMillis()) {
            live.put(line.key(), line);
            liveBytes += line.bytes();
        }
        for (Iterator<Line> oldest = live.values().iterator(); liveBytes > maxBytes && oldest.hasNext(); ) {
            Line l = oldest.next();
            if (!l.ledgerLine()) {
                liveBytes -= l.bytes();
                oldest.remove();
            }
        }
    }

    /** Writes the live, unexpired records to a new file that replaces the old one, and appends to it from now on. */
    private void compact() throws IOException {
        long now = System.currentTimeMillis();
        live.values().removeIf(l -> {
            boolean expired = l.expiresAtMillis() <= now;
            if (expired) {
                liveBytes -= l.bytes();
            }
            return expired;
        });
        AtomicFiles.replace(file, stream -> { // the old file stays when it fails
            for (Line l : live.values()) {
                stream.write(JSON.writeValueAsBytes(l));
                stream.write('\n');
            }
        });
        FileChannel next = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        if (out != null) {
            out.close();
        }
        out = next;
        lines = live.size();
        durable.accumulateAndGet(written, Math::max);
    }

    /** Live records by key (tests). */
    synchronized Map<String, Line> snapshot() {
        return Map.copyOf(live);
    }

    /** Lines the file holds now (tests). */
    synchronized long lines() {
        return lines;
    }
}
