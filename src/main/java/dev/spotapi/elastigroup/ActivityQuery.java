package dev.spotapi.elastigroup;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;

/**
 * The query of a group's events or Elastilog: {@code start} and {@code end} as {@code yyyy-MM-dd}
 * (midnight UTC) or an ISO-8601 date-time with offset ({@code 2026-11-29T08:00:00Z}); for logs also
 * {@code severity} (ALL, INFO, DEBUG, WARN; Spot's default ALL) and {@code limit} (1 to
 * {@value #MAX_LIMIT}; Spot's default 500). Without {@code start}: {@value #DEFAULT_DAYS} days before
 * {@code end}; without {@code end}: now. Both must lie in [{@link #EARLIEST}, {@link #LATEST}] (1970 to four-digit
 * years: Spot's logs take epoch milliseconds, its other dates four-digit years); anything else is refused,
 * naming the parameter, before any arithmetic on it.
 */
public record ActivityQuery(Instant start, Instant end, boolean startIsDate, String severity, Integer limit) {
    /** Spot's cap on Elastilog lines per call (OAS {@code /aws/ec2/group/{groupId}/logs}). */
    public static final int MAX_LIMIT = 1000;
    public static final int DEFAULT_DAYS = 7;
    /** Elastilog severities (OAS). */
    public static final List<String> SEVERITIES = List.of("ALL", "INFO", "DEBUG", "WARN");
    /** The earliest {@code start} or {@code end}: 1970-01-01T00:00:00Z (epoch 0). */
    public static final Instant EARLIEST = Instant.EPOCH;
    /** The latest {@code start} or {@code end}: 9999-12-31T23:59:59.999Z. */
    public static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999Z");

    /**
     * @throws IllegalArgumentException with a message for the caller
     */
    public static ActivityQuery parse(String start, String end, String severity, String limit, Instant now) {
        Instant to = present(end) ? moment("end", end) : now;
        boolean startIsDate = present(start) && start.trim().length() == 10;
        Instant from = present(start) ? moment("start", start) : to.minus(Duration.ofDays(DEFAULT_DAYS));
        if (!from.isBefore(to)) {
            throw new IllegalArgumentException("end must be after start");
        }
        String level = null;
        if (present(severity)) {
            level = severity.trim().toUpperCase(Locale.ROOT);
            if (!SEVERITIES.contains(level)) {
                throw new IllegalArgumentException("severity must be one of " + String.join(", ", SEVERITIES));
            }
        }
        Integer lines = null;
        if (present(limit)) {
            try {
                lines = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                lines = -1;
            }
            if (lines < 1 || lines > MAX_LIMIT) {
                throw new IllegalArgumentException("limit must be a whole number from 1 to " + MAX_LIMIT);
            }
        }
        return new ActivityQuery(from, to, startIsDate, level, lines);
    }

    /**
     * The events query: only {@code start} (default: the start of the UTC day {@value #DEFAULT_DAYS} days
     * ago, a date as Spot's OpenAPI file shows {@code fromDate=2016-10-01}); events have no end.
     *
     * @throws IllegalArgumentException with a message for the caller
     */
    public static ActivityQuery events(String start, Instant now) {
        if (!present(start)) {
            LocalDate day = LocalDate.ofInstant(now.minus(Duration.ofDays(DEFAULT_DAYS)), ZoneOffset.UTC);
            return new ActivityQuery(day.atStartOfDay(ZoneOffset.UTC).toInstant(), null, true, null, null);
        }
        boolean isDate = start.trim().length() == 10;
        return new ActivityQuery(moment("start", start), null, isDate, null, null);
    }

    /**
     * {@code fromDate} of the events call: the date ({@code yyyy-MM-dd}), or for a date-time start the ISO
     * instant in whole seconds ({@code 2026-11-29T08:00:00Z}; a fraction is dropped, so the window only
     * grows), never Java's nine fractional digits.
     */
    public String eventsFromDate() {
        return startIsDate ? LocalDate.ofInstant(start, ZoneOffset.UTC).toString()
                : start.truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    }

    private static boolean present(String s) {
        return s != null && !s.isBlank();
    }

    private static Instant moment(String name, String value) {
        String v = value.trim();
        Instant at;
        try {
            if (v.length() > 64) {
                throw new DateTimeParseException("too long", v.substring(0, 64), 64);
            }
            at = v.length() == 10 ? LocalDate.parse(v).atStartOfDay(ZoneOffset.UTC).toInstant()
                    : OffsetDateTime.parse(v).toInstant();
        } catch (java.time.DateTimeException | ArithmeticException e) {
            throw new IllegalArgumentException(name + " must be yyyy-MM-dd or an ISO-8601 date-time such as "
                    + "2026-11-29T08:00:00Z");
        }
        if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) {
            throw new IllegalArgumentException(name + " must be from " + EARLIEST + " to " + LATEST);
        }
        return at;
    }
}
