package dev.spotapi.spot;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;

/**
 * Spot's timestamps ({@code createdAt}, {@code updatedAt}, ...): {@code 2026-12-07T04:30:00.000Z} now, and
 * {@code 2016-01-28T16:18:14.000+0000} in older replies (contract §4.3: a client accepts both); {@code +00:00} and
 * no offset (UTC) too.
 */
public final class SpotTimestamps {
    private static final DateTimeFormatter IN = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .toFormatter();

    private SpotTimestamps() {
    }

    /** The instant {@code text} names, or null when it is not one of Spot's forms. */
    public static Instant parse(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        try {
            var parsed = IN.parseBest(text, OffsetDateTime::from, LocalDateTime::from);
            if (parsed instanceof OffsetDateTime odt) {
                return odt.toInstant();
            }
            return ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
