package dev.spotapi.cost;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * A cost roll-up request: {@code start} (inclusive) to {@code end} (exclusive), as Cost Explorer's
 * {@code TimePeriod}; one space or all; grouped by resource, by space, or not at all; daily or monthly periods.
 *
 * @param space   the {@code spinup:spaceid} to keep, or null for every space
 * @param groupBy null: totals only
 */
public record CostQuery(LocalDate start, LocalDate end, String space, GroupBy groupBy, Granularity granularity) {
    /** Longest window: 366 days. */
    public static final int MAX_DAYS = 366;

    /** What {@code Groups} are keyed by. */
    public enum GroupBy { RESOURCE, SPACE }

    /** Period length of {@code ResultsByTime}. */
    public enum Granularity { DAILY, MONTHLY }

    /**
     * Reads the query parameters ({@code start}, {@code end}: yyyy-MM-dd, required; {@code groupBy}:
     * resource|space; {@code granularity}: daily|monthly, default monthly as the portal's cost service).
     *
     * @throws IllegalArgumentException with a message for the caller
     */
    public static CostQuery parse(String start, String end, String space, String groupBy, String granularity) {
        if (start == null || start.isEmpty() || end == null || end.isEmpty()) {
            throw new IllegalArgumentException("start and end are required (yyyy-MM-dd; end exclusive)");
        }
        LocalDate s;
        LocalDate e;
        try {
            s = LocalDate.parse(start);
            e = LocalDate.parse(end);
        } catch (DateTimeParseException ex) {
            throw new IllegalArgumentException("start and end must be dates as yyyy-MM-dd");
        }
        if (!e.isAfter(s)) {
            throw new IllegalArgumentException("end must be after start (end is exclusive)");
        }
        if (ChronoUnit.DAYS.between(s, e) > MAX_DAYS) {
            throw new IllegalArgumentException("the window is at most " + MAX_DAYS + " days");
        }
        GroupBy g = null;
        if (groupBy != null && !groupBy.isEmpty()) {
            g = switch (groupBy.toLowerCase(Locale.ROOT)) {
                case "resource" -> GroupBy.RESOURCE;
                case "space" -> GroupBy.SPACE;
                default -> throw new IllegalArgumentException("groupBy must be resource or space");
            };
        }
        Granularity gr = Granularity.MONTHLY;
        if (granularity != null && !granularity.isEmpty()) {
            gr = switch (granularity.toLowerCase(Locale.ROOT)) {
                case "daily" -> Granularity.DAILY;
                case "monthly" -> Granularity.MONTHLY;
                default -> throw new IllegalArgumentException("granularity must be daily or monthly");
            };
        }
        return new CostQuery(s, e, space == null || space.isEmpty() ? null : space, g, gr);
    }
}
