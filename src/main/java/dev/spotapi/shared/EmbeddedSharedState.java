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
 * The in-process {@link SharedState}: correct for one replica, lost at restart. Records expire after
 * their TTL and the whole store is bounded by the bytes of the stored answers ({@value #MAX_BYTES}),
 * evicting the oldest first. Budgets are Bucket4j's local token buckets.
 */
public final class EmbeddedSharedState implements SharedState {
    static final long MAX_BYTES = 64L * 1024 * 1024;
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
    private final Cache<String, Bucket> buckets = Caffeine.newBuilder().expireAfterAccess(10, TimeUnit.MINUTES).build();
    private final Cache<String, Long> holds = Caffeine.newBuilder().expireAfterWrite(1, TimeUnit.HOURS).build();
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

    /** One record; immutable, replaced on every change. {@code expiresAt} is in {@link System#nanoTime()} terms. */
    private record Record(String fingerprint, char state, long leaseUntil, StoredReply reply, long expiresAt) {
        Record(String fingerprint, char state, long leaseUntil, StoredReply reply, Duration ttl) {
            this(fingerprint, state, leaseUntil, reply, System.nanoTime() + ttl.toNanos());
        }
    }

    @Override
    public Claim claim(String key, String fingerprint, long leaseUntilMillis, Duration ttl) {
        AtomicReference<Claim> result = new AtomicReference<>();
        records.asMap().compute(key, (k, r) -> {
            if (r == null) {
                result.set(Claim.of(Outcome.NEW));
                return new Record(fingerprint, 'F', leaseUntilMillis, null, ttl);
            }
            if (!r.fingerprint.equals(fingerprint)) {
                result.set(Claim.of(Outcome.MISMATCH));
                return r;
            }
            if (r.state == 'D') {
                result.set(new Claim(Outcome.DONE, r.reply, 0));
                return r;
            }
            if (r.state == 'F' && r.leaseUntil > System.currentTimeMillis()) {
                result.set(new Claim(Outcome.IN_FLIGHT, null, r.leaseUntil));
                return r;
            }
            result.set(Claim.of(Outcome.RESUMED));
            return new Record(fingerprint, 'F', leaseUntilMillis, null, ttl);
        });
        return result.get();
    }

    @Override
    public void complete(String key, StoredReply reply, Duration ttl) {
        records.asMap().computeIfPresent(key, (k, r) -> new Record(r.fingerprint, 'D', 0, reply, ttl));
    }

    @Override
    public void markUncertain(String key, Duration ttl) {
        records.asMap().computeIfPresent(key, (k, r) -> new Record(r.fingerprint, 'U', 0, null, ttl));
    }

    @Override
    public void release(String key) {
        records.invalidate(key);
    }

    @Override
    public Duration tryTake(String bucket, long perWindow, Duration window) {
        Long heldUntil = holds.getIfPresent(bucket);
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

    @Override
    public boolean durable() {
        return false;
    }

    @Override
    public boolean reachable() {
        return true;
    }

    @Override
    public void close() {
        records.invalidateAll();
        deleted.invalidateAll();
    }
}
