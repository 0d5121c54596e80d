package dev.spotapi.instance;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;

/**
 * The optional {@code start}/{@code end} dates of a costs query: both or neither, each a valid
 * {@code yyyy-MM-dd} calendar date (any four-digit year, as the old service accepted), end after start.
 */
public record CostWindow(LocalDate start, LocalDate end) {
    public static final CostWindow LIFETIME = new CostWindow(null, null);

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd")
            .withResolverStyle(ResolverStyle.STRICT);

    /** @throws IllegalArgumentException with a message fit for the caller */
    public static CostWindow parse(String start, String end) {
        boolean hasStart = start != null && !start.isEmpty();
        boolean hasEnd = end != null && !end.isEmpty();
        if (!hasStart && !hasEnd) {
            return LIFETIME;
        }
        if (hasStart != hasEnd) {
            throw new IllegalArgumentException("both start and end dates must be specified");
        }
        LocalDate from = date("start", start);
        LocalDate to = date("end", end);
        if (!to.isAfter(from)) {
            throw new IllegalArgumentException("end date must be after start date");
        }
        return new CostWindow(from, to);
    }

    public boolean isLifetime() {
        return start == null;
    }

    public String fromDate() {
        return DATE.format(start);
    }

    public String toDate() {
        return DATE.format(end);
    }

    private static LocalDate date(String name, String value) {
        if (value.length() != 10) {
            throw new IllegalArgumentException(name + " date must be yyyy-MM-dd");
        }
        LocalDate date;
        try {
            date = LocalDate.parse(value, DATE);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException(name + " date must be yyyy-MM-dd");
        }
        return date;
    }
}
