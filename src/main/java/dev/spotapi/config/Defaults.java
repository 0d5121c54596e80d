package dev.spotapi.config;

/** The config file's rule for numbers: zero, negative or absent means the default. */
final class Defaults {
    private Defaults() {
    }

    /** {@code value} when positive, else {@code fallback}. */
    static int positiveOr(int value, int fallback) {
        return value > 0 ? value : fallback;
    }

    /** {@code value} when positive, else {@code fallback}. */
    static long positiveOr(long value, long fallback) {
        return value > 0 ? value : fallback;
    }
}
