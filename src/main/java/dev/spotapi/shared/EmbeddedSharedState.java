package dev.spotapi.shared;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The in-process {@link SharedState}: correct for one replica. Without a state file its idempotency records
 * are lost at restart; with one ({@link #forService}, {@code idempotency.stateFile}) every change of a record
 * is on disk ({@link IdempotencyJournal}) before the call that made it returns, so a stored answer survives a
 * restart or a kill, and a request in flight when its process died comes back uncertain. Records expire after
 * their TTL and the whole store is bounded by the bytes of the stored answers ({@link #MAX_BYTES}),
 * evicting the oldest first. Budgets are Bucket4j's local token buckets.
 */
public final class EmbeddedSharedState implements SharedState {
    /**
     * The stored answers' bytes kept at most: an eighth of the heap, at most 64 MiB (a fixed 64 MiB filled the
     * launcher's whole 64 MiB heap with ~200 KB answers of distinct keys: the replica ran out of memory).
     */
    static final long MAX_BYTES = Math.min(64L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 8);
    /** Deleted-object records kept at most (the oldest are forgotten first beyond it): about 10 MB. */
    static final long MAX_DELETED = 50_000;

    private final Cache<String, Record> records = Caffeine.newBuilder()
            .maximumWeight(MAX_BYTES)
            .weigher((String k, Record r) -> 256 + (r.reply == null ? 0 : r.reply.body().length))
            .expireAfter(new Expiry<String, Record>() {
                @Override
                public long expireAfterCreate(String key, Record r, long now) {
                    return r.expiresAt - System.nanoTime();
                }

                @Override
                public long expireAfterUpdate(String key, Record r, long now, long current) {
                    return r.expiresAt - System.nanoTime();
                }

                @Override
                public long expireAfterRead(String key, Record r, long now, long current) {
                    return current;
                }
            })
            .build();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EmbeddedSharedState.class);
    private static final dev.spotapi.log.Throttle WRITE_WARNINGS = new dev.spotapi.log.Throttle(10_000);
    /** Where records are kept across restarts; null: only in this process. */
    private final IdempotencyJournal journal;
    private final Cache<String, Bucket> buckets = Caffeine.newBuilder().expireAfterAccess(10, TimeUnit.MINUTES).build();
    private final Cache<String, Long> holds = Caffeine.newBuilder().expireAfterWrite(1, TimeUnit.HOURS).build();
    /**
     * The ledgers' entries kept at most, bytes of their text: a sixteenth of the heap, at most 8 MiB (a deleted
     * resource's month of daily costs is ~1.5 KB). Beyond it the largest ledger's oldest entries go first; with several
     * replicas the Redis store keeps them. With a state file they are kept in it too, so they survive a restart.
     */
    static final long MAX_LEDGER_BYTES = Math.min(8L * 1024 * 1024, Runtime.getRuntime().maxMemory() / 16);

    /** A ledger entry's text and when it expires (epoch ms). */
    private record LedgerEntry(String text, long expiresAtMillis) {
    }

    /** Per ledger: entry id → entry, oldest written first; guarded by {@code ledgerLock}. */
    private final java.util.Map<String, java.util.LinkedHashMap<String, LedgerEntry>> ledgers = new java.util.HashMap<>();
    private final java.util.Map<String, Long> ledgerSizes = new java.util.HashMap<>();
    private long ledgerBytes;
    private final Object ledgerLock = new Object();
    /**
     * Ledgers that lost an entry to the bound before its expiry, and until when (epoch ms: the lost entry's expiry):
     * their answers would be incomplete until then.
     */
    private final java.util.Map<String, Long> truncatedLedgers = new java.util.HashMap<>();

    private static long weigh(String ledger, String id, String text) {
        return 96 + 2L * (ledger.length() + id.length() + text.length());
    }
    /** Objects deleted by this process: epoch ms of the delete and, in nanoTime terms, when to forget it. */
    private final Cache<String, long[]> deleted = Caffeine.newBuilder()
            .maximumSize(MAX_DELETED)
            .expireAfter(new Expiry<String, long[]>() {
                @Override
                public long expireAfterCreate(String key, long[] r, long now) {
                    return r[1] - System.nanoTime();
                }

                @Override
                public long expireAfterUpdate(String key, long[] r, long now, long current) {
                    return r[1] - System.nanoTime();
                }

                @Override
                public long expireAfterRead(String key, long[] r, long now, long current) {
                    return current;
                }
            })
            .build();

    /**
     * One record; immutable, replaced on every change. {@code expiresAt} is in {@link System#nanoTime()} terms,
     * {@code expiresAtMillis} the same instant in epoch ms (for the state file).
     */
    private record Record(String fingerprint, char state, long leaseUntil, StoredReply reply, long expiresAt,
            long expiresAtMillis, String owner) {
        Record(String fingerprint, char state, long leaseUntil, StoredReply reply, Duration ttl, String owner) {
            this(fingerprint, state, leaseUntil, reply, System.nanoTime() + ttl.toNanos(),
                    System.currentTimeMillis() + ttl.toMillis(), owner);
        }

        IdempotencyJournal.Line line(String key) {
            return new IdempotencyJournal.Line(key, fingerprint, state, leaseUntil, expiresAtMillis,
                    reply == null ? null : reply.status(), reply == null ? null : reply.contentType(),
                    reply == null ? null : reply.body(), reply == null || reply.headers().isEmpty() ? null : reply.headers());
        }

        static Record of(IdempotencyJournal.Line l) {
            long left = l.expiresAtMillis() - System.currentTimeMillis();
            StoredReply reply = l.status() == null ? null
                    : new StoredReply(l.status(), l.contentType(), l.body() == null ? new byte[0] : l.body(), l.headers());
            // the owner of a claim is a token of the process that made it: none survives a restart
            return new Record(l.fingerprint(), l.state(), l.leaseUntilMillis(), reply, System.nanoTime()
                    + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(left), l.expiresAtMillis(), null);
        }
    }

    /** Records only in this process (lost at restart), as the fallback of {@link RedisSharedState} needs. */
    public EmbeddedSharedState() {
        this.journal = null;
    }

    private EmbeddedSharedState(IdempotencyJournal journal) {
        this.journal = journal;
        for (IdempotencyJournal.Line l : journal.records()) {
            if (l.state() == 'L') {
                putInMemory(l.ledger(), l.entryId(), new LedgerEntry(l.text(), l.expiresAtMillis()));
            } else if (l.state() == 'T') {
                truncatedLedgers.merge(l.ledger(), l.expiresAtMillis(), Math::max);
            } else {
                records.put(l.key(), Record.of(l));
            }
        }
    }

    /**
     * The embedded state of the service (one replica without Redis). With {@code stateFile} (not null): the
     * idempotency records are kept in that file ({@link IdempotencyJournal}: loaded now, every change flushed
     * to the disk before it is acknowledged); throws {@link java.io.UncheckedIOException} when it cannot be read
     * or written. Without: only in this process, and one WARN line says so.
     */
    public static EmbeddedSharedState forService(java.nio.file.Path stateFile) {
        if (stateFile == null) {
            LOG.warn("idempotency: without Redis or idempotency.stateFile, Idempotency-Key records and deleted resources'"
                    + " costs are kept only until this process stops: a keyed action retried after a restart runs again;"
                    + " set "
                    + "idempotency.stateFile (one replica) or sharedState.redisUrl to keep them");
            return new EmbeddedSharedState();
        }
        try {
            IdempotencyJournal journal = IdempotencyJournal.open(stateFile, MAX_BYTES);
            EmbeddedSharedState state = new EmbeddedSharedState(journal);
            LOG.info("idempotency: {} Idempotency-Key record(s) and {} cost ledger entries loaded from {}",
                    state.records.estimatedSize(), state.ledgerEntryCount(), stateFile);
            return state;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("idempotency.stateFile " + stateFile + ": " + e.getMessage(), e);
        }
    }

    /** Drops the state file as a killed process would (tests of a crash within one JVM: see the journal's abandon). */
    void killedForTests() {
        if (journal != null) {
            journal.abandon();
        }
    }

    /** Writes a record's new state (or its removal, {@code r} null) to the state file, when there is one. */
    private void persist(String key, Record r) throws java.io.IOException {
        if (journal != null) {
            journal.write(r == null ? IdempotencyJournal.Line.removed(key) : r.line(key));
        }
    }

    /** {@link #persist} for a change already made in memory: a failure is logged (the record stays in memory). */
    private void persistQuietly(String key, Record r) {
        try {
            persist(key, r);
        } catch (java.io.IOException | RuntimeException e) {
            long suppressed = WRITE_WARNINGS.allow("write");
            if (suppressed >= 0) {
                LOG.atWarn().addKeyValue("suppressed", suppressed).log("idempotency: cannot write the state file "
                        + "(the record is kept in memory only; after a restart its key is in doubt): {}", e.toString());
            }
        }
    }

    @Override
    public Claim claim(String key, String fingerprint, long leaseUntilMillis, Duration ttl) {
        AtomicReference<Claim> result = new AtomicReference<>();
        records.asMap().compute(key, (k, r) -> {
            if (r == null) {
                Claim claim = Claim.owning(Outcome.NEW);
                result.set(claim);
                return claimed(k, new Record(fingerprint, 'F', leaseUntilMillis, null, ttl, claim.owner()));
            }
            if (!r.fingerprint.equals(fingerprint)) {
                result.set(Claim.of(Outcome.MISMATCH));
                return r;
            }
            if (r.state == 'D') {
                result.set(new Claim(Outcome.DONE, r.reply, 0, null));
                return r;
            }
            if (r.state == 'F' && r.leaseUntil > System.currentTimeMillis()) {
                result.set(new Claim(Outcome.IN_FLIGHT, null, r.leaseUntil, null));
                return r;
            }
            Claim claim = Claim.owning(Outcome.RESUMED);
            result.set(claim);
            return claimed(k, new Record(fingerprint, 'F', leaseUntilMillis, null, ttl, claim.owner()));
        });
        return result.get();
    }

    /** A new claim is on disk before the request runs: a failure refuses it (fail closed, nothing runs). */
    private Record claimed(String key, Record r) {
        try {
            persist(key, r);
            return r;
        } catch (java.io.IOException | RuntimeException e) {
            throw new SharedStateUnavailableException("cannot write the idempotency state file: " + e, e);
        }
    }

    @Override
    public void complete(String key, String owner, StoredReply reply, Duration ttl) {
        records.asMap().computeIfPresent(key, (k, r) -> !owns(r, owner) ? r
                : written(k, new Record(r.fingerprint, 'D', 0, reply, ttl, owner)));
    }

    @Override
    public void markUncertain(String key, String owner, Duration ttl) {
        records.asMap().computeIfPresent(key, (k, r) -> !owns(r, owner) ? r
                : written(k, new Record(r.fingerprint, 'U', 0, null, ttl, owner)));
    }

    @Override
    public void release(String key, String owner) {
        records.asMap().computeIfPresent(key, (k, r) -> !owns(r, owner) ? r : written(k, null));
    }

    @Override
    public boolean renewClaim(String key, String owner, long leaseUntilMillis) {
        boolean[] renewed = {false};
        records.asMap().computeIfPresent(key, (k, r) -> {
            if (!owns(r, owner) || r.state != 'F') {
                return r;
            }
            renewed[0] = true;
            return new Record(r.fingerprint, 'F', leaseUntilMillis, null, r.expiresAt, r.expiresAtMillis, owner);
        });
        return renewed[0];
    }

    private static boolean owns(Record r, String owner) {
        return owner != null && owner.equals(r.owner);
    }

    /** {@code r} (null: removed) after writing it to the state file (see {@link #persistQuietly}). */
    private Record written(String key, Record r) {
        persistQuietly(key, r);
        return r;
    }

    @Override
    public Duration tryTake(String bucket, String holdBucket, long perWindow, Duration window) {
        Long heldUntil = holds.getIfPresent(holdBucket);
        long now = System.nanoTime();
        if (heldUntil != null && heldUntil - now > 0) {
            return Duration.ofNanos(heldUntil - now);
        }
        if (perWindow <= 0) {
            return Duration.ZERO;
        }
        Bucket b = buckets.get(bucket + '/' + perWindow + '/' + window.toMillis(), k -> Bucket.builder()
                .addLimit(limit -> limit.capacity(perWindow).refillIntervally(perWindow, window))
                .build());
        ConsumptionProbe probe = b.tryConsumeAndReturnRemaining(1);
        return probe.isConsumed() ? Duration.ZERO : Duration.ofNanos(Math.max(1, probe.getNanosToWaitForRefill()));
    }

    /** The holds not over yet: bucket → time left (a Redis store writes them again after Redis lost its data). */
    java.util.Map<String, Duration> holdsLeft() {
        long now = System.nanoTime();
        java.util.Map<String, Duration> out = new java.util.HashMap<>();
        holds.asMap().forEach((bucket, until) -> {
            if (until - now > 0) {
                out.put(bucket, Duration.ofNanos(until - now));
            }
        });
        return out;
    }

    /** How much longer {@code bucket} is held (zero: not held). */
    Duration heldFor(String bucket) {
        Long until = holds.getIfPresent(bucket);
        long left = until == null ? 0 : until - System.nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    @Override
    public void hold(String bucket, Duration duration) {
        long until = System.nanoTime() + duration.toNanos();
        holds.asMap().merge(bucket, until, (a, b) -> b - a > 0 ? b : a);
    }

    /** One process: the in-process fence and read sharing already see every write; nothing to share. */
    @Override
    public String writeMark(String scope) {
        return "";
    }

    @Override
    public void markWritten(String scope) {
        // one process: SpotClient counts its own writes
    }

    @Override
    public boolean tryLease(String object, String owner, Duration lease) {
        return true;
    }

    @Override
    public boolean renewLease(String object, String owner, Duration lease) {
        return true;
    }

    @Override
    public void releaseLease(String object, String owner) {
        // nothing held
    }

    @Override
    public void recordDeleted(String object, long atMillis, Duration ttl) {
        deleted.put(object, new long[] {atMillis, System.nanoTime() + ttl.toNanos()});
    }

    @Override
    public java.util.OptionalLong deletedAt(String object) {
        long[] r = deleted.getIfPresent(object);
        return r == null || r[1] - System.nanoTime() <= 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(r[0]);
    }

    /**
     * Keeps the entry in memory and, with a state file, on the disk before it returns; false when the state file
     * could not be written (the entry is then kept in memory only, and the caller writes it again later).
     */
    @Override
    public boolean putLedgerEntry(String ledger, String entryId, String entry, Duration ttl) {
        long expiresAt = System.currentTimeMillis() + ttl.toMillis();
        synchronized (ledgerLock) {
            putInMemory(ledger, entryId, new LedgerEntry(entry, expiresAt));
            if (journal == null) {
                return true;
            }
            try {
                journal.write(IdempotencyJournal.Line.ledgerEntry(ledger, entryId, entry, expiresAt));
                return true;
            } catch (java.io.IOException | RuntimeException e) {
                long suppressed = WRITE_WARNINGS.allow("ledger");
                if (suppressed >= 0) {
                    LOG.atWarn().addKeyValue("suppressed", suppressed).log("cost ledger: cannot write the state file"
                            + " (the entry is kept in memory and written again later): {}", e.toString());
                }
                return false;
            }
        }
    }

    /** Puts an entry in memory, then keeps the ledgers within their bound; under {@code ledgerLock}. */
    private void putInMemory(String ledger, String entryId, LedgerEntry entry) {
        var entries = ledgers.computeIfAbsent(ledger, k -> new java.util.LinkedHashMap<>());
        LedgerEntry had = entries.remove(entryId);
        if (had != null) {
            resize(ledger, -weigh(ledger, entryId, had.text()));
        }
        entries.put(entryId, entry);
        resize(ledger, weigh(ledger, entryId, entry.text()));
        while (ledgerBytes > MAX_LEDGER_BYTES) {
            evictFromLargestLedger();
        }
    }

    private long ledgerEntryCount() {
        synchronized (ledgerLock) {
            return ledgers.values().stream().mapToLong(java.util.Map::size).sum();
        }
    }

    private void resize(String ledger, long delta) {
        ledgerBytes += delta;
        ledgerSizes.merge(ledger, delta, Long::sum);
    }

    /**
     * The bound is shared, but taken from the largest ledger first (its oldest entry), so that one account's or
     * space's many deletes never push out another's few (attack round 8); that ledger is marked incomplete until
     * the evicted entry would have expired (in the state file too, so that a restart does not forget it).
     */
    private void evictFromLargestLedger() {
        String largest = null;
        for (var e : ledgerSizes.entrySet()) {
            if (largest == null || e.getValue() > ledgerSizes.get(largest)) {
                largest = e.getKey();
            }
        }
        var entries = largest == null ? null : ledgers.get(largest);
        if (entries == null || entries.isEmpty()) {
            ledgerBytes = 0;
            return;
        }
        var oldest = entries.entrySet().iterator().next();
        entries.remove(oldest.getKey());
        resize(largest, -weigh(largest, oldest.getKey(), oldest.getValue().text()));
        long until = oldest.getValue().expiresAtMillis();
        if (until > System.currentTimeMillis()) {
            truncatedLedgers.merge(largest, until, Math::max);
            persistLedgerQuietly(IdempotencyJournal.Line.ledgerTruncated(largest, truncatedLedgers.get(largest)));
        }
        persistLedgerQuietly(IdempotencyJournal.Line.removed(IdempotencyJournal.Line.ledgerKey(largest, oldest.getKey())));
        if (entries.isEmpty()) {
            ledgers.remove(largest);
            ledgerSizes.remove(largest);
        }
    }

    /** Writes a ledger line when there is a state file; a failure is logged (memory stays as it is). */
    private void persistLedgerQuietly(IdempotencyJournal.Line line) {
        if (journal == null) {
            return;
        }
        try {
            journal.write(line);
        } catch (java.io.IOException | RuntimeException e) {
            long suppressed = WRITE_WARNINGS.allow("ledger");
            if (suppressed >= 0) {
                LOG.atWarn().addKeyValue("suppressed", suppressed).log("cost ledger: cannot write the state file: {}",
                        e.toString());
            }
        }
    }

    @Override
    public java.util.List<String> ledgerEntries(String ledger) {
        synchronized (ledgerLock) {
            long now = System.currentTimeMillis();
            Long truncatedUntil = truncatedLedgers.get(ledger);
            Long everyLedger = truncatedLedgers.get(""); // a torn line whose ledger could not be read
            if (everyLedger != null && everyLedger > now && (truncatedUntil == null || truncatedUntil < everyLedger)) {
                truncatedUntil = everyLedger;
            }
            if (truncatedUntil != null && truncatedUntil > now) {
                throw new SharedStateUnavailableException("entries of this ledger were evicted from this process's"
                        + " bounded store (" + MAX_LEDGER_BYTES + " bytes; Redis keeps them all)", null);
            } else if (truncatedUntil != null) {
                truncatedLedgers.remove(ledger); // what was lost has expired since (its state file line too)
            }
            var entries = ledgers.get(ledger);
            if (entries == null) {
                return java.util.List.of();
            }
            java.util.List<String> out = new java.util.ArrayList<>();
            for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue().expiresAtMillis() > now) {
                    out.add(e.getValue().text());
                } else { // the state file drops it at its next rewrite
                    it.remove();
                    resize(ledger, -weigh(ledger, e.getKey(), e.getValue().text()));
                }
            }
            return out;
        }
    }

    @Override
    public boolean durable() {
        return false; // not seen by other replicas, even with a state file
    }

    @Override
    public boolean reachable() {
        return true;
    }

    @Override
    public void close() {
        if (journal != null) {
            journal.close();
        }
        records.invalidateAll();
        deleted.invalidateAll();
    }
}
