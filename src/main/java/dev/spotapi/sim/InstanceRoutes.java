package dev.spotapi.sim;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;

/** Managed instance routes beyond CRUD: status, costs, pause, resume and recycle. */
final class InstanceRoutes {
    /** A state transition of one managed instance. */
    @FunctionalInterface
    private interface Transition {
        InstanceState apply(StoredResource mi, InstanceState state, long now);
    }

    private final ResourceStore store;
    private final SimClock clock;
    private final Envelope envelope;

    InstanceRoutes(ResourceStore store, SimClock clock, Envelope envelope) {
        this.store = store;
        this.clock = clock;
        this.envelope = envelope;
    }

    void register(RoutesConfig routes) {
        String base = ManagedInstanceType.INSTANCE.basePath() + "/{id}";
        routes.get(base + "/status", this::status);
        routes.get(base + "/costs", this::costs);
        routes.put(base + "/pause", ctx -> transition(ctx,
                (mi, s, now) -> InstanceLifecycle.pause(mi.id(), s, now)));
        routes.put(base + "/resume", ctx -> transition(ctx,
                (mi, s, now) -> InstanceLifecycle.resume(mi.id(), mi.object(), s, now)));
        routes.put(base + "/recycle", ctx -> transition(ctx,
                (mi, s, now) -> InstanceLifecycle.recycle(mi.id(), mi.object(), s, now)));
    }

    private StoredResource find(Context ctx) {
        return store.get(ManagedInstanceType.INSTANCE, SpotApiFilter.account(ctx), ctx.pathParam("id"));
    }

    private void status(Context ctx) {
        envelope.item(ctx, InstanceLifecycle.STATUS_KIND, InstanceLifecycle.statusItem(find(ctx)));
    }

    private void costs(Context ctx) {
        long from = date(ctx, "fromDate", Long.MIN_VALUE);
        long to = date(ctx, "toDate", Long.MAX_VALUE);
        if (to < from) {
            throw SpotException.validation("query:toDate", "\"toDate\" must be later than \"fromDate\"");
        }
        InstanceState state = InstanceState.of(find(ctx).state());
        envelope.items(ctx, CostCalculator.KIND, CostCalculator.items(state.intervals(), from, to, clock.now(),
                ctx.queryParam("aggregationPeriod")));
    }

    /** {@code yyyy-MM-dd} is the start of that day (UTC), so {@code toDate} is exclusive. */
    static long date(Context ctx, String name, long absent) {
        String value = ctx.queryParam(name);
        if (value == null || value.isBlank()) {
            return absent;
        }
        try {
            return Timestamps.parse(value);
        } catch (IllegalArgumentException e) {
            throw SpotException.validation("query:" + name, "\"" + name + "\" must be a valid date (yyyy-MM-dd)");
        }
    }

    private void transition(Context ctx, Transition transition) {
        store.update(ManagedInstanceType.INSTANCE, SpotApiFilter.account(ctx), ctx.pathParam("id"), current -> {
            long now = clock.now();
            InstanceState next = transition.apply(current, InstanceState.of(current.state()), now);
            return new StoredResource(current.id(), current.object(), next.toJson());
        });
        envelope.ok(ctx);
    }
}
