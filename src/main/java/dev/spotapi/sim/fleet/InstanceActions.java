package dev.spotapi.sim.fleet;

import dev.spotapi.sim.state.ManagedInstanceType;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.state.StoredResource;

/**
 * Pause, resume and recycle of managed instances and the completion of those in progress, for
 * every route that changes or reads an instance's power state (the single-instance routes and any
 * bulk route): one place for the transition rules of {@link InstanceLifecycle}.
 */
public final class InstanceActions {
    /** A state transition of one managed instance. */
    @FunctionalInterface
    public interface Transition {
        InstanceState apply(StoredResource mi, InstanceState state, long now, long durationMillis);
    }

    public static final Transition PAUSE = (mi, s, now, d) -> InstanceLifecycle.pause(mi.id(), mi.object(), s, now, d);
    public static final Transition RESUME = (mi, s, now, d) -> InstanceLifecycle.resume(mi.id(), mi.object(), s, now, d);
    public static final Transition RECYCLE = (mi, s, now, d) -> InstanceLifecycle.recycle(mi.id(), mi.object(), s, now, d);

    private final ResourceStore store;
    private final SimClock clock;
    private final TransitionTime transitionTime;

    public InstanceActions(ResourceStore store, SimClock clock, TransitionTime transitionTime) {
        this.store = store;
        this.clock = clock;
        this.transitionTime = transitionTime;
    }

    /** The instance with any due transition completed (and stored); MANAGED_INSTANCE_DOESNT_EXIST if unknown. */
    public StoredResource settled(String account, String id) {
        StoredResource r = store.get(ManagedInstanceType.INSTANCE, account, id);
        if (!InstanceLifecycle.due(InstanceState.of(r.state()), clock.now())) {
            return r;
        }
        return store.update(ManagedInstanceType.INSTANCE, account, id, current -> new StoredResource(current.id(),
                current.object(), InstanceLifecycle.settle(current.object(), InstanceState.of(current.state()),
                        clock.now()).toJson()), false);
    }

    /** Starts {@code transition} on the instance (after completing a due one); a Spot 400 when not allowed. */
    public StoredResource apply(String account, String id, Transition transition) {
        return store.update(ManagedInstanceType.INSTANCE, account, id, current -> {
            long now = clock.now();
            InstanceState state = InstanceLifecycle.settle(current.object(), InstanceState.of(current.state()), now);
            InstanceState next = transition.apply(current, state, now, transitionTime.millis());
            return new StoredResource(current.id(), current.object(), next.toJson());
        });
    }
}
