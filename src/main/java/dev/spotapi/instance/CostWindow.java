package dev.spotapi.instance;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;

/** The optional {@code start}/{@code end} dates of a costs query, validated as the old service did. */
public record CostWindow(LocalDate start, LocalDate end) {
    public static final CostWindow LIFETIME = new CostWindow(null, null);

    private static final DateTimeFormatter DATE = DateTimeFormatter.ofPattern("uuuu-MM-dd")
            .withResolverStyle(ResolverStyle.STRICT);
    private static final LocalDate EARLIEST = LocalDate.of(2000, 1, 1);
    private static final LocalDate LATEST = LocalDate.of(2999, 12, 31);

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
        if (date.isBefore(EARLIEST) || date.isAfter(LATEST)) {
            throw new IllegalArgumentException(name + " date must be between " + EARLIEST + " and " + LATEST);
        }
        return date;
    }
}
