package dev.spotapi.sim.http;

import dev.spotapi.sim.fleet.CostCalculator;
import dev.spotapi.sim.fleet.InstanceActions;
import dev.spotapi.sim.fleet.InstanceLifecycle;
import dev.spotapi.sim.fleet.InstanceState;
import dev.spotapi.sim.state.ManagedInstanceType;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/** Managed instance routes beyond CRUD: status, costs, pause, resume and recycle. */
public final class InstanceRoutes {
    private final SimClock clock;
    private final Envelope envelope;
    private final InstanceActions actions;

    public InstanceRoutes(SimClock clock, Envelope envelope, InstanceActions actions) {
        this.clock = clock;
        this.envelope = envelope;
        this.actions = actions;
    }

    public void register(RoutesConfig routes) {
        String base = ManagedInstanceType.INSTANCE.basePath() + "/{id}";
        routes.get(base + "/status", this::status);
        routes.get(base + "/costs", this::costs);
        routes.put(base + "/pause", ctx -> transition(ctx, InstanceActions.PAUSE));
        routes.put(base + "/resume", ctx -> transition(ctx, InstanceActions.RESUME));
        routes.put(base + "/recycle", ctx -> transition(ctx, InstanceActions.RECYCLE));
    }

    private StoredResource find(Context ctx) {
        return actions.settled(SpotApiFilter.account(ctx), ctx.pathParam("id"));
    }

    private void status(Context ctx) {
        envelope.item(ctx, InstanceLifecycle.STATUS_KIND, InstanceLifecycle.statusItem(find(ctx)));
    }

    private void costs(Context ctx) {
        long from = Timestamps.query(ctx, "fromDate", Long.MIN_VALUE);
        long to = Timestamps.query(ctx, "toDate", Long.MAX_VALUE);
        if (to < from) {
            throw SpotException.validation("query:toDate", "\"toDate\" must be later than \"fromDate\"");
        }
        envelope.items(ctx, CostCalculator.KIND, CostCalculator.items(activeIntervals(ctx), from, to, clock.now(),
                ctx.queryParam("aggregationPeriod")));
    }

    /**
     * The instance's ACTIVE intervals; none for an id that does not exist: real Spot answers costs of an
     * unknown id with a zero costs item, not MANAGED_INSTANCE_DOESNT_EXIST (contract §9.1).
     */
    private java.util.List<InstanceState.ActiveInterval> activeIntervals(Context ctx) {
        try {
            return InstanceState.of(find(ctx).state()).intervals();
        } catch (SpotException e) {
            if (ManagedInstanceType.INSTANCE.notFoundCode().equals(e.code())) {
                return java.util.List.of();
            }
            throw e;
        }
    }

    private void transition(Context ctx, InstanceActions.Transition transition) {
        actions.apply(SpotApiFilter.account(ctx), ctx.pathParam("id"), transition);
        envelope.ok(ctx);
    }
}
