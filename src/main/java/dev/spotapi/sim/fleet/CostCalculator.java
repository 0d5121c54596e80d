package dev.spotapi.sim.fleet;

import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.List;

/**
 * The costs item of a managed instance (contract §5.2) over a window of simulated time:
 * {@code running} = hours ACTIVE inside [from, to), {@code actual} = spot price × hours,
 * {@code potential} = on-demand price × hours, {@code savings} = (1 − actual/potential) × 100,
 * all rounded HALF_UP to 4 decimals. Instance types missing from {@link PriceTable} cost nothing.
 */
public final class CostCalculator {
    public static final String KIND = "spotinst:aws:ec2:managedInstance:costs";
    /** {@code response.kind} of group costs (OAS {@code responses/elastigroup-costs}). */
    public static final String GROUP_KIND = "spotinst:aws:ec2:group:stats";
    /** The only {@code aggregationPeriod} Spot documents (OAS {@code /aws/ec2/group/{groupId}/costs}). */
    static final String DAILY = "daily";
    private static final long DAY = 86_400_000L;
    private static final BigDecimal MILLIS_PER_HOUR = BigDecimal.valueOf(3_600_000L);
    private static final BigDecimal HUNDRED = BigDecimal.valueOf(100);
    private static final MathContext PRECISE = MathContext.DECIMAL64;

    private CostCalculator() {
    }

    /** {@code from}/{@code to} bound the window (inclusive/exclusive); open ends are Long.MIN/MAX_VALUE. */
    static ObjectNode costs(List<InstanceState.ActiveInterval> intervals, long from, long to, long now) {
        BigDecimal hours = BigDecimal.ZERO;
        BigDecimal actual = BigDecimal.ZERO;
        BigDecimal potential = BigDecimal.ZERO;
        for (InstanceState.ActiveInterval interval : intervals) {
            long start = Math.max(interval.from(), from);
            long end = Math.min(interval.to() == null ? now : interval.to(), to);
            if (end <= start) {
                continue;
            }
            BigDecimal h = BigDecimal.valueOf(end - start).divide(MILLIS_PER_HOUR, PRECISE);
            hours = hours.add(h);
            PriceTable.Price price = PriceTable.price(interval.instanceType()).orElse(null);
            if (price != null) {
                actual = actual.add(price.spot().multiply(h));
                potential = potential.add(price.onDemand().multiply(h));
            }
        }
        BigDecimal savings = potential.signum() == 0 ? BigDecimal.ZERO
                : BigDecimal.ONE.subtract(actual.divide(potential, PRECISE)).multiply(HUNDRED);
        ObjectNode item = SimJson.object();
        ObjectNode costs = item.putObject("costs");
        costs.put("actual", round(actual));
        costs.put("potential", round(potential));
        item.putObject("running").put("unit", "hours").put("value", round(hours));
        item.putObject("savings").put("unit", "percentage").put("value", round(savings));
        return item;
    }

    /**
     * The costs items of a window: one item, or with {@code aggregationPeriod=daily} one item per UTC
     * day of the window (each with its {@code date}, {@code yyyy-MM-dd}). An open start begins at the
     * first interval, an open end at {@code now}.
     *
     * @throws SpotException a ValidationError for any other aggregationPeriod
     */
    public static List<ObjectNode> items(List<InstanceState.ActiveInterval> intervals, long from, long to, long now,
                                  String aggregationPeriod) {
        if (aggregationPeriod == null || aggregationPeriod.isEmpty()) {
            return List.of(costs(intervals, from, to, now));
        }
        if (!DAILY.equals(aggregationPeriod)) {
            throw SpotException.validation("query:aggregationPeriod", "\"aggregationPeriod\" must be [daily]");
        }
        long start = from != Long.MIN_VALUE ? from
                : intervals.stream().mapToLong(InstanceState.ActiveInterval::from).min().orElse(now);
        long end = to != Long.MAX_VALUE ? to : now;
        List<ObjectNode> days = new java.util.ArrayList<>();
        for (long day = Math.floorDiv(start, DAY) * DAY; day < end && days.size() < 3660; day += DAY) {
            ObjectNode item = SimJson.object();
            item.put("date", java.time.LocalDate.ofEpochDay(day / DAY).toString());
            item.setAll(costs(intervals, Math.max(day, start), Math.min(day + DAY, end), now));
            days.add(item);
        }
        return days;
    }

    private static BigDecimal round(BigDecimal value) {
        BigDecimal r = value.setScale(4, RoundingMode.HALF_UP).stripTrailingZeros();
        return r.scale() < 0 ? r.setScale(0) : r;
    }
}
