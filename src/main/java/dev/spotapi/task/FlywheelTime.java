package dev.spotapi.task;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/** Go's {@code time.RFC3339Nano} in UTC as flywheel writes it: fraction with trailing zeros removed, {@code Z}. */
final class FlywheelTime {
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);

    private FlywheelTime() {
    }

    /** e.g. {@code 2026-12-06T17:45:43.1234Z}, {@code 2026-12-06T17:45:43Z}. */
    static String format(Instant t) {
        StringBuilder b = new StringBuilder(SECONDS.format(t));
        int nanos = t.getNano();
        if (nanos != 0) {
            String frac = String.format("%09d", nanos);
            int end = frac.length();
            while (frac.charAt(end - 1) == '0') {
                end--;
            }
            b.append('.').append(frac, 0, end);
        }
        return b.append('Z').toString();
    }

    /** The moment a stored time names (anything {@link Instant#parse} reads). */
    static Instant parse(String s) {
        return Instant.parse(s);
    }
}
