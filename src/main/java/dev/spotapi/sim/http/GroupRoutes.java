package dev.spotapi.sim.http;

import dev.spotapi.sim.fleet.CostCalculator;
import dev.spotapi.sim.state.FieldTable;
import dev.spotapi.sim.fleet.GroupActivity;
import dev.spotapi.sim.fleet.GroupFleet;
import dev.spotapi.sim.state.GroupType;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;

/**
 * Elastigroup routes beyond CRUD (OAS {@code /aws/ec2/group/{groupId}/...}): status, capacity,
 * scale up/down, costs, activity events and Elastilog.
 */
public final class GroupRoutes {
    private static final String SCALE_KIND = "spotinst:aws:ec2:scale";
    private static final String CAPACITY_KIND = "spotinst:aws:ec2:group:capacity";
    private static final List<String> CAPACITY_FIELDS = List.of("minimum", "maximum", "target");
    /** Elastilog: at most this many lines per reply, 500 when not asked (OAS). */
    static final int MAX_LOG_LIMIT = 1000;
    private static final int DEFAULT_LOG_LIMIT = 500;

    private final ResourceStore store;
    private final SimClock clock;
    private final Envelope envelope;

    public GroupRoutes(ResourceStore store, SimClock clock, Envelope envelope) {
        this.store = store;
        this.clock = clock;
        this.envelope = envelope;
    }

    public void register(RoutesConfig routes) {
        String base = GroupType.INSTANCE.basePath() + "/{id}";
        routes.get(base + "/status", this::status);
        routes.put(base + "/scale/up", ctx -> scale(ctx, +1));
        routes.put(base + "/scale/down", ctx -> scale(ctx, -1));
        routes.put(base + "/capacity", this::capacity);
        routes.get(base + "/costs", this::costs);
        routes.get(base + "/events", this::events);
        routes.get(base + "/logs", this::logs);
    }

    private StoredResource find(Context ctx) {
        return store.get(GroupType.INSTANCE, SpotApiFilter.account(ctx), ctx.pathParam("id"));
    }

    /** {@code {"capacity": {minimum?, maximum?, target?}}} merged into the group; bounds are then checked. */
    private void capacity(Context ctx) {
        ObjectNode wanted = Validation.unwrap(Bodies.json(ctx), "capacity");
        for (String field : CAPACITY_FIELDS) {
            JsonNode value = wanted.get(field);
            if (value != null && value.isNumber() && !value.isIntegralNumber() && Double.isFinite(value.doubleValue())
                    && value.decimalValue().stripTrailingZeros().scale() <= 0) {
                value = FieldTable.whole(value); // 2.0 is 2, as on every other integer field (Joi; issue 24)
                wanted.set(field, value);
            }
            if (value != null && !(value.isIntegralNumber() && value.canConvertToInt() && value.asInt() >= 0)) {
                throw SpotException.validation("body:capacity." + field,
                        "\"" + field + "\" must be an integer larger than or equal to 0");
            }
        }
        ObjectNode[] after = new ObjectNode[1];
        store.update(GroupType.INSTANCE, SpotApiFilter.account(ctx), ctx.pathParam("id"), current -> {
            ObjectNode group = current.object().deepCopy();
            ObjectNode capacity = (ObjectNode) group.get("capacity");
            for (String field : CAPACITY_FIELDS) {
                if (wanted.has(field)) {
                    capacity.put(field, wanted.get(field).asInt());
                }
            }
            long minimum = capacity.path("minimum").asLong();
            long maximum = capacity.path("maximum").asLong();
            long target = capacity.path("target").asLong();
            if (maximum > Limits.MAX_GROUP_CAPACITY) {
                throw SpotException.validation("body:capacity.maximum",
                        "\"maximum\" must be less than or equal to " + Limits.MAX_GROUP_CAPACITY);
            }
            if (minimum > maximum) {
                throw SpotException.validation("body:capacity.minimum",
                        "\"minimum\" must be less than or equal to " + maximum);
            }
            if (target < minimum || target > maximum) {
                throw SpotException.validation("body:capacity.target", "\"target\" must be between "
                        + minimum + " and " + maximum);
            }
            long now = clock.now();
            group.put("updatedAt", Timestamps.seconds(now));
            ObjectNode state = current.state().deepCopy();
            GroupActivity.log(state, now, "INFO", "Capacity of group " + current.id() + " updated: minimum "
                    + minimum + ", maximum " + maximum + ", target " + target);
            after[0] = capacity.deepCopy();
            return new StoredResource(current.id(), group, GroupFleet.reconcile(group, state, now).state());
        });
        envelope.item(ctx, CAPACITY_KIND, after[0]);
    }

    /** {@code fromDate}/{@code toDate} are required (OAS); costs of every instance the group ran. */
    private void costs(Context ctx) {
        long from = requiredDate(ctx, "fromDate");
        long to = requiredDate(ctx, "toDate");
        if (to < from) {
            throw SpotException.validation("query:toDate", "\"toDate\" must be later than \"fromDate\"");
        }
        StoredResource group = find(ctx);
        envelope.items(ctx, CostCalculator.GROUP_KIND, CostCalculator.items(
                GroupFleet.runningIntervals(group.state()), from, to, clock.now(), ctx.queryParam("aggregationPeriod")));
    }

    private void events(Context ctx) {
        long from = requiredDate(ctx, "fromDate");
        envelope.items(ctx, GroupActivity.EVENT_KIND, GroupActivity.events(find(ctx), from));
    }

    /** Elastilog: {@code fromDate}/{@code toDate} required (epoch millis per OAS, or ISO dates), severity, limit. */
    private void logs(Context ctx) {
        long from = logDate(ctx, "fromDate");
        long to = logDate(ctx, "toDate");
        String severityParam = ctx.queryParam("severity");
        String severity = severityParam == null || severityParam.isBlank() ? "ALL" : GroupActivity.severity(severityParam);
        int limit = DEFAULT_LOG_LIMIT;
        String limitParam = ctx.queryParam("limit");
        if (limitParam != null) {
            try {
                limit = Integer.parseInt(limitParam.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LOG_LIMIT) {
                throw SpotException.validation("query:limit",
                        "\"limit\" must be an integer between 1 and " + MAX_LOG_LIMIT);
            }
        }
        envelope.items(ctx, GroupActivity.LOG_KIND, GroupActivity.logs(find(ctx), from, to, severity, limit));
    }

    private static long requiredDate(Context ctx, String name) {
        long value = Timestamps.query(ctx, name, Long.MIN_VALUE);
        if (value == Long.MIN_VALUE) {
            throw SpotException.validation("query:" + name, "\"" + name + "\" is required");
        }
        return value;
    }

    /** Elastilog dates: epoch milliseconds (the OAS format), or what the other date parameters take. */
    private static long logDate(Context ctx, String name) {
        String value = ctx.queryParam(name);
        if (value != null && value.trim().length() >= 12 && value.trim().chars().allMatch(Character::isDigit)) {
            try {
                return Timestamps.parseEpochMillis(value);
            } catch (IllegalArgumentException e) {
                throw SpotException.validation("query:" + name, "\"" + name + "\" must be epoch milliseconds up to "
                        + Timestamps.MAX_TIME + ", an ISO 8601 date or date-time, or Unix seconds");
            }
        }
        return requiredDate(ctx, name);
    }

    private void status(Context ctx) {
        StoredResource group = store.get(GroupType.INSTANCE, SpotApiFilter.account(ctx), ctx.pathParam("id"));
        envelope.items(ctx, GroupType.KIND, GroupFleet.statusItems(group));
    }

    private void scale(Context ctx, int direction) {
        int adjustment = adjustment(ctx);
        GroupFleet.Change[] change = new GroupFleet.Change[1];
        store.update(GroupType.INSTANCE, SpotApiFilter.account(ctx), ctx.pathParam("id"), current -> {
            ObjectNode group = current.object().deepCopy();
            ObjectNode capacity = (ObjectNode) group.get("capacity");
            long wanted = capacity.path("target").asLong() + (long) direction * adjustment;
            long target = Math.max(capacity.path("minimum").asLong(), Math.min(capacity.path("maximum").asLong(), wanted));
            capacity.put("target", target);
            long now = clock.now();
            group.put("updatedAt", Timestamps.seconds(now));
            ObjectNode state = current.state().deepCopy();
            GroupActivity.log(state, now, "INFO", "Scale " + (direction > 0 ? "up" : "down") + " of group "
                    + current.id() + " by " + adjustment + ": target " + target);
            change[0] = GroupFleet.reconcile(group, state, now);
            return new StoredResource(current.id(), group, change[0].state());
        });
        envelope.item(ctx, SCALE_KIND, GroupFleet.scaleItem(change[0]));
    }

    /** From the {@code adjustment} query parameter, or the body the Go SDK also sends. */
    private static int adjustment(Context ctx) {
        String query = ctx.queryParam("adjustment");
        if (query != null) {
            try {
                int value = Integer.parseInt(query.trim());
                if (value >= 1) {
                    return value;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw SpotException.validation("query:adjustment", "\"adjustment\" must be a positive integer");
        }
        JsonNode body = Bodies.json(ctx);
        JsonNode fromBody = body == null ? null : body.get("adjustment");
        if (fromBody != null && fromBody.isIntegralNumber() && fromBody.canConvertToInt() && fromBody.asInt() >= 1) {
            return fromBody.asInt();
        }
        throw SpotException.validation("query:adjustment", "\"adjustment\" is required and must be a positive integer");
    }
}
