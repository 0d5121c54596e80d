package dev.spotapi.sim.fleet;

import dev.spotapi.sim.SpotSimulator;
import java.time.Duration;

/**
 * How long (in simulated time) a managed instance stays PAUSING, RESUMING or RECYCLING before it is
 * PAUSED or ACTIVE (contract §9.10); 0 = at once. Set by {@link SpotSimulator.Builder#transitionDuration},
 * {@code --transition-seconds} and {@code PUT /_sim/transitions}.
 */
public final class TransitionTime {
    /** Default of the builder, the simulator command and the sandbox: about what a real pause takes [INF]. */
    public static final Duration DEFAULT = Duration.ofSeconds(60);

    private volatile long millis;

    public TransitionTime(Duration duration) {
        set(duration);
    }

    public long millis() {
        return millis;
    }

    public void set(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("the transition duration must not be negative");
        }
        this.millis = duration.toMillis();
    }
}
