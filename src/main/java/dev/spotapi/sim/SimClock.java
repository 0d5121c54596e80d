package dev.spotapi.sim;

import dev.spotapi.sim.persistence.Persistence;

import java.util.function.LongSupplier;

/**
 * Simulated time: real time plus an offset, or frozen at one instant. It only moves forward, so
 * recorded ACTIVE intervals (and therefore costs) stay consistent, and never passes {@link #MAX_NOW}: a
 * running clock that reaches it stays there. Persisted when a data dir is used, with the latest time it
 * showed, so that a restart (a real clock set back, a stored value out of range) never moves it back.
 */
public final class SimClock {
    private static final String OFFSET_KEY = "clock.offsetMillis";
    private static final String FROZEN_KEY = "clock.frozenAtMillis";
    /** The latest simulated time shown before the last stop or change: the floor after a restart. */
    private static final String SHOWN_KEY = "clock.shownMillis";
    /** The latest simulated time: 2999-12-31T23:59:59.999Z (Spot's dates are four-digit years). */
    public static final long MAX_NOW = java.time.Instant.parse("3000-01-01T00:00:00Z").toEpochMilli() - 1;

    /** Either running ({@code frozenAt < 0}, now = real + offset) or frozen at {@code frozenAt}. */
    private record Setting(long offsetMillis, long frozenAt) {
        boolean frozen() {
            return frozenAt >= 0;
        }
    }

    /** What {@code GET /_sim/clock} shows. */
    public record Reading(long now, long offsetMillis, boolean frozen) {
    }

    private final LongSupplier realTime;
    private final Persistence persistence;
    private volatile Setting setting;

    SimClock(LongSupplier realTime, Persistence persistence) {
        this.realTime = realTime;
        this.persistence = persistence;
        long offset = persistence.meta(OFFSET_KEY).map(SimClock::parseOr0).orElse(0L);
        long frozenAt = persistence.meta(FROZEN_KEY).map(v -> v.isEmpty() ? -1L : parseOr0(v)).orElse(-1L);
        long shown = Math.max(0, Math.min(MAX_NOW, persistence.meta(SHOWN_KEY).map(SimClock::parseOr0).orElse(0L)));
        long real = realTime.getAsLong();
        // a stored clock out of range (written before the bounds existed, or a hand-edited database) is
        // clamped into range, never reset to real time: it must not jump centuries back
        offset = Math.max(-real, Math.min(MAX_NOW - real, offset));
        if (frozenAt >= 0) {
            this.setting = new Setting(offset, Math.max(shown, Math.min(MAX_NOW, frozenAt)));
        } else {
            long now = real + offset;
            this.setting = new Setting(now < shown ? shown - real : offset, -1);
        }
    }

    private static long parseOr0(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Simulated epoch milliseconds, from 0 to {@link #MAX_NOW}. */
    public long now() {
        return now(setting);
    }

    private long now(Setting s) {
        // offsets are kept within [-real, MAX_NOW - real] when set, so this cannot overflow
        return s.frozen() ? s.frozenAt : Math.max(0, Math.min(MAX_NOW, realTime.getAsLong() + s.offsetMillis));
    }

    public Reading read() {
        Setting s = setting;
        long now = now(s);
        return new Reading(now, now - realTime.getAsLong(), s.frozen());
    }

    /** Stores the time shown now as the floor of the next start (called when the simulator stops). */
    synchronized void checkpoint() {
        persistence.putMeta(SHOWN_KEY, Long.toString(now()));
    }

    public synchronized Reading advance(long millis) {
        if (millis < 0) {
            throw new AdminException("the clock only moves forward: the advance must not be negative");
        }
        if (millis > MAX_NOW - now()) {
            throw new AdminException("the clock cannot go past " + Timestamps.millis(MAX_NOW) + ": advance at most "
                    + (MAX_NOW - now()) + " ms");
        }
        Setting s = setting;
        long to = now() + millis;
        store(s.frozen() ? new Setting(s.offsetMillis, to) : new Setting(to - realTime.getAsLong(), -1));
        return read();
    }

    /**
     * Moves the clock to {@code target} (null = stay at the current time) and freezes or unfreezes
     * it (null = keep as is).
     */
    public synchronized Reading set(Long target, Boolean frozen) {
        long now = now();
        long to = target == null ? now : target;
        if (to > MAX_NOW) {
            throw new AdminException("the clock cannot be set past " + Timestamps.millis(MAX_NOW));
        }
        if (to < now) {
            throw new AdminException("the clock cannot be set before the current simulated time "
                    + Timestamps.millis(now) + " (that would break recorded costs); use POST /_sim/reset");
        }
        boolean freeze = frozen == null ? setting.frozen() : frozen;
        store(freeze ? new Setting(to - realTime.getAsLong(), to) : new Setting(to - realTime.getAsLong(), -1));
        return read();
    }

    public synchronized void reset() {
        store(new Setting(0, -1));
    }

    /** Both values in one transaction: a crash never leaves an offset from one setting with another's freeze. */
    private void store(Setting s) {
        persistence.putMeta(java.util.Map.of(OFFSET_KEY, Long.toString(s.offsetMillis),
                FROZEN_KEY, Long.toString(s.frozenAt), SHOWN_KEY, Long.toString(now(s))));
        setting = s;
    }
}
