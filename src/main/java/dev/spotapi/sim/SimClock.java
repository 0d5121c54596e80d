package dev.spotapi.sim;

import java.util.function.LongSupplier;

/**
 * Simulated time: real time plus an offset, or frozen at one instant. It only moves forward, so
 * recorded ACTIVE intervals (and therefore costs) stay consistent. Persisted when a data dir is used.
 */
final class SimClock {
    private static final String OFFSET_KEY = "clock.offsetMillis";
    private static final String FROZEN_KEY = "clock.frozenAtMillis";

    /** Either running ({@code frozenAt < 0}, now = real + offset) or frozen at {@code frozenAt}. */
    private record Setting(long offsetMillis, long frozenAt) {
        boolean frozen() {
            return frozenAt >= 0;
        }
    }

    /** What {@code GET /_sim/clock} shows. */
    record Reading(long now, long offsetMillis, boolean frozen) {
    }

    private final LongSupplier realTime;
    private final Persistence persistence;
    private volatile Setting setting;

    SimClock(LongSupplier realTime, Persistence persistence) {
        this.realTime = realTime;
        this.persistence = persistence;
        long offset = persistence.meta(OFFSET_KEY).map(Long::parseLong).orElse(0L);
        long frozenAt = persistence.meta(FROZEN_KEY).map(Long::parseLong).orElse(-1L);
        this.setting = new Setting(offset, frozenAt);
    }

    long now() {
        Setting s = setting;
        return s.frozen() ? s.frozenAt : realTime.getAsLong() + s.offsetMillis;
    }

    Reading read() {
        Setting s = setting;
        long now = s.frozen() ? s.frozenAt : realTime.getAsLong() + s.offsetMillis;
        return new Reading(now, now - realTime.getAsLong(), s.frozen());
    }

    synchronized Reading advance(long millis) {
        if (millis < 0) {
            throw new AdminException("the clock only moves forward: the advance must not be negative");
        }
        Setting s = setting;
        store(s.frozen() ? new Setting(s.offsetMillis, s.frozenAt + millis) : new Setting(s.offsetMillis + millis, -1));
        return read();
    }

    /**
     * Moves the clock to {@code target} (null = stay at the current time) and freezes or unfreezes
     * it (null = keep as is).
     */
    synchronized Reading set(Long target, Boolean frozen) {
        long now = now();
        long to = target == null ? now : target;
        if (to < now) {
            throw new AdminException("the clock cannot be set before the current simulated time "
                    + Timestamps.millis(now) + " (that would break recorded costs); use POST /_sim/reset");
        }
        boolean freeze = frozen == null ? setting.frozen() : frozen;
        store(freeze ? new Setting(to - realTime.getAsLong(), to) : new Setting(to - realTime.getAsLong(), -1));
        return read();
    }

    synchronized void reset() {
        store(new Setting(0, -1));
    }

    private void store(Setting s) {
        persistence.putMeta(OFFSET_KEY, Long.toString(s.offsetMillis));
        persistence.putMeta(FROZEN_KEY, Long.toString(s.frozenAt));
        setting = s;
    }
}
