package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/** Elastigroup routes beyond CRUD: status and scale up/down. */
final class GroupRoutes {
    private static final String SCALE_KIND = "spotinst:aws:ec2:scale";

    private final ResourceStore store;
    private final SimClock clock;
    private final Envelope envelope;

    GroupRoutes(ResourceStore store, SimClock clock, Envelope envelope) {
        this.store = store;
        this.clock = clock;
        this.envelope = envelope;
    }

    void register(RoutesConfig routes) {
        String base = GroupType.INSTANCE.basePath() + "/{id}";
        routes.get(base + "/status", this::status);
        routes.put(base + "/scale/up", ctx -> scale(ctx, +1));
        routes.put(base + "/scale/down", ctx -> scale(ctx, -1));
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
            change[0] = GroupFleet.reconcile(group, current.state(), now);
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
        if (fromBody != null && fromBody.isIntegralNumber() && fromBody.asInt() >= 1) {
            return fromBody.asInt();
        }
        throw SpotException.validation("query:adjustment", "\"adjustment\" is required and must be a positive integer");
    }
}
