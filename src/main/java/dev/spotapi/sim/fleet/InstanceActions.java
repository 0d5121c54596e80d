package dev.spotapi.sim.fleet;

import dev.spotapi.sim.state.ManagedInstanceType;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.state.StoredResource;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

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
    /** Held by every power change of a managed instance, so that a bulk change is checked and applied as one. */
    private final Object powerLock = new Object();

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
        synchronized (powerLock) {
            return applyOne(account, id, transition, new ObjectNode[1]);
        }
    }

    /**
     * {@code PUT /aws/ec2/managedInstance/state} (OAS {@code updateManagedInstanceStatesRequest}): starts
     * {@code transitions[i]} on {@code ids[i]}, all or nothing. Every transition is checked and applied under the
     * lock every power change of a managed instance takes, so no pause or resume can come in between; should one
     * still fail (the instance deleted meanwhile, the memory budget), the ones already started get their previous
     * state back before the refusal is thrown.
     */
    public void applyAll(String account, List<String> ids, List<Transition> transitions) {
        synchronized (powerLock) {
            long now = clock.now();
            for (int i = 0; i < ids.size(); i++) {
                StoredResource mi = settled(account, ids.get(i));
                InstanceState state = InstanceLifecycle.settle(mi.object(), InstanceState.of(mi.state()), now);
                transitions.get(i).apply(mi, state, now, transitionTime.millis()); // throws when it cannot be taken
            }
            List<String> started = new ArrayList<>();
            List<ObjectNode> previous = new ArrayList<>();
            try {
                for (int i = 0; i < ids.size(); i++) {
                    ObjectNode[] before = new ObjectNode[1];
                    applyOne(account, ids.get(i), transitions.get(i), before);
                    started.add(ids.get(i));
                    previous.add(before[0]);
                }
            } catch (RuntimeException e) {
                for (int i = 0; i < started.size(); i++) {
                    ObjectNode state = previous.get(i);
                    try {
                        store.update(ManagedInstanceType.INSTANCE, account, started.get(i),
                                current -> new StoredResource(current.id(), current.object(), state), false);
                    } catch (RuntimeException gone) {
                        // deleted meanwhile: nothing to give back
                    }
                }
                throw e;
            }
        }
    }

    private StoredResource applyOne(String account, String id, Transition transition, ObjectNode[] previous) {
        return store.update(ManagedInstanceType.INSTANCE, account, id, current -> {
            long now = clock.now();
            InstanceState state = InstanceLifecycle.settle(current.object(), InstanceState.of(current.state()), now);
            InstanceState next = transition.apply(current, state, now, transitionTime.millis());
            previous[0] = current.state();
            return new StoredResource(current.id(), current.object(), next.toJson());
        });
    }
}
