package dev.spotapi.sim;

import io.javalin.http.Context;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;

/** Spot's timestamp formats: always UTC with a literal Z (the Go SDK cannot parse "+0000"). */
public final class Timestamps {
    private static final DateTimeFormatter MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** The earliest time any date input may name: 0000-01-01T00:00:00Z (Spot's dates are four-digit years). */
    static final long MIN_TIME = Instant.parse("0000-01-01T00:00:00Z").toEpochMilli();
    /**
     * The latest: 9999-12-31T23:59:59.999Z. Query windows may reach it; the simulated clock itself stops at
     * {@link SimClock#MAX_NOW}.
     */
    public static final long MAX_TIME = Instant.parse("9999-12-31T23:59:59.999Z").toEpochMilli();

    private Timestamps() {
    }

    /** Resource timestamps (createdAt, updatedAt, launchedAt): second precision, ".000Z". */
    public static String seconds(long epochMillis) {
        return MILLIS.format(Instant.ofEpochMilli(epochMillis).truncatedTo(ChronoUnit.SECONDS));
    }

    /** Envelope and log timestamps keep their milliseconds. */
    public static String millis(long epochMillis) {
        return MILLIS.format(Instant.ofEpochMilli(epochMillis));
    }

    /**
     * Parses {@code yyyy-MM-dd} (start of that day, UTC), an ISO instant or offset date-time, a local
     * date-time (taken as UTC) or Unix seconds (contract §9.5: Spot's date parameters take seconds,
     * not milliseconds).
     *
     * Anything outside [{@link #MIN_TIME}, {@link #MAX_TIME}] is refused before any arithmetic on it.
     *
     * @throws IllegalArgumentException when none of these fits, or the time is out of range
     */
    public static long parse(String text) {
        long value = parseUnbounded(text);
        if (value < MIN_TIME || value > MAX_TIME) {
            throw new IllegalArgumentException("out of range: " + text);
        }
        return value;
    }

    /**
     * Epoch milliseconds as digits (the Elastilog's format), bounded as {@link #parse}.
     *
     * @throws IllegalArgumentException when not digits or out of range
     */
    public static long parseEpochMillis(String text) {
        String s = text.trim();
        if (s.isEmpty() || s.length() > 15 || !s.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("not epoch milliseconds: " + text);
        }
        long value = Long.parseLong(s);
        if (value > MAX_TIME) {
            throw new IllegalArgumentException("out of range: " + text);
        }
        return value;
    }

    private static long parseUnbounded(String text) {
        String s = text.trim();
        if (!s.isEmpty() && s.chars().allMatch(Character::isDigit) && s.length() <= 12) {
            return Long.parseLong(s) * 1000;
        }
        if (s.length() > 64) {
            throw new IllegalArgumentException("not a date: too long");
        }
        try {
            if (s.length() == 10) {
                return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
            }
            if (s.endsWith("Z") || s.endsWith("z")) {
                return Instant.parse(s.toUpperCase()).toEpochMilli();
            }
            try {
                return OffsetDateTime.parse(s).toInstant().toEpochMilli();
            } catch (DateTimeParseException e) {
                return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC).toEpochMilli();
            }
        } catch (java.time.DateTimeException | ArithmeticException e) {
            // e.g. year +999999999: parses, but its epoch milliseconds overflow a long
            throw new IllegalArgumentException("not a date: " + text, e);
        }
    }

    /**
     * A date query parameter, or {@code absent} when not given. Contract §9.5: ISO 8601 dates ({@code yyyy-MM-dd} = start of that day, UTC, so {@code toDate}
     * is exclusive) or date-times, or Unix seconds.
     *
     * @throws SpotException a ValidationError on {@code query:<name>} when it does not parse
     */
    public static long query(Context ctx, String name, long absent) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            return Timestamps.parse(value);
        } catch (IllegalArgumentException e) {
            throw SpotException.validation("query:" + name, "\"" + name + "\" must be an ISO 8601 date or date-time,"
                    + " or Unix seconds, from " + millis(MIN_TIME) + " to " + millis(MAX_TIME));
        }
    }
}
