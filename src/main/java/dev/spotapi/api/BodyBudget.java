package dev.spotapi.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request bodies this process may hold in memory at once, over all connections. A body is
 * admitted only if its declared length (or, for a chunked body, the largest allowed body) fits in what
 * is left; otherwise it is refused (503 with {@code Retry-After}) before a byte of it is read. Each
 * admitted body's reservation is given back when its request completes.
 */
final class BodyBudget {
    private final long capacity;
    private final AtomicLong reserved = new AtomicLong();

    /** @param capacity bytes of buffered bodies allowed at once */
    BodyBudget(long capacity) {
        this.capacity = capacity;
    }

    /**
     * The default capacity for a heap of {@code maxHeapBytes} and bodies of at most {@code maxBodyBytes}:
     * an eighth of the heap, at least one largest body, at most 64 MiB.
     */
    static long defaultCapacity(long maxHeapBytes, long maxBodyBytes) {
        return Math.max(maxBodyBytes + 1, Math.min(64L << 20, maxHeapBytes / 8));
    }

    /** Takes {@code bytes} from the budget; false (nothing taken) when they do not fit. */
    boolean tryReserve(long bytes) {
        while (true) {
            long now = reserved.get();
            if (now + bytes > capacity) {
                return false;
            }
            if (reserved.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back bytes taken with {@link #tryReserve}. */
    void release(long bytes) {
        reserved.addAndGet(-bytes);
    }

    /** Bytes reserved now. */
    long reserved() {
        return reserved.get();
    }

    /** Bytes that may be reserved at once. */
    long capacity() {
        return capacity;
    }
}
