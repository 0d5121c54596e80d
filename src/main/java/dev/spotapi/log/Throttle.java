package dev.spotapi.log;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Rate limit for a repeated warning: at most one line per key (for example an account and a failure kind)
 * every {@code periodMs}; the lines left out meanwhile are counted and reported with the next one
 * ({@code suppressed} field). Keys come from bounded sets (accounts, kinds).
 */
public final class Throttle {
    private final long periodNanos;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        final AtomicLong last = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong suppressed = new AtomicLong();
    }

    /** @param periodMs the least time between two lines of one key, ms */
    public Throttle(long periodMs) {
        this.periodNanos = periodMs * 1_000_000L;
    }

    /**
     * Whether a line for {@code key} may be written now.
     *
     * @return -1 when not (the line is counted as suppressed), else how many lines were left out since the last one
     */
    public long allow(String key) {
        Window w = windows.computeIfAbsent(key, k -> new Window());
        long now = System.nanoTime();
        long last = w.last.get();
        if ((last == Long.MIN_VALUE || now - last >= periodNanos) && w.last.compareAndSet(last, now)) {
            return w.suppressed.getAndSet(0);
        }
        w.suppressed.incrementAndGet();
        return -1;
    }
}
