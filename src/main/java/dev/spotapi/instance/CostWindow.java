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

    /**
     * {@code fromDate} of a lifetime query: the UTC day {@code resource.createdAt} names (Spot's
     * {@code yyyy-MM-ddTHH:mm:ss.SSSZ}), else a year ago. Spot's OpenAPI file marks {@code fromDate} and
     * {@code toDate} required on costs and the Python SDK's {@code get_managed_instance_costs} requires both,
     * so a lifetime query names the instance's whole life instead of leaving them out (issue 24).
     */
    public static String lifetimeFromDate(com.fasterxml.jackson.databind.JsonNode resource, LocalDate today) {
        String created = resource == null ? "" : resource.path("createdAt").asText("");
        if (created.length() >= 10) {
            try {
                return LocalDate.parse(created.substring(0, 10), DATE).toString();
            } catch (DateTimeParseException e) {
                // fall through
            }
        }
        return today.minusYears(1).toString();
    }

    /**
     * {@code toDate} of a lifetime query: a week after {@code today} (spot-api's UTC day). Spot has no costs
     * after its own now, so the margin only absorbs clocks that disagree (Spot's, or a simulator's moved on).
     */
    public static String lifetimeToDate(LocalDate today) {
        return today.plusDays(7).toString();
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
