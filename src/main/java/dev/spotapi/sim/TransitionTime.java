package dev.spotapi.sim;

import java.time.Duration;

/**
 * How long (in simulated time) a managed instance stays PAUSING, RESUMING or RECYCLING before it is
 * PAUSED or ACTIVE (contract §9.10); 0 = at once. Set by {@link SpotSimulator.Builder#transitionDuration},
 * {@code --transition-seconds} and {@code PUT /_sim/transitions}.
 */
final class TransitionTime {
    /** Default of the builder, the simulator command and the sandbox: about what a real pause takes [INF]. */
    static final Duration DEFAULT = Duration.ofSeconds(60);

    private volatile long millis;

    TransitionTime(Duration duration) {
        set(duration);
    }

    long millis() {
        return millis;
    }

    void set(Duration duration) {
        if (duration.isNegative()) {
            throw new IllegalArgumentException("the transition duration must not be negative");
        }
        this.millis = duration.toMillis();
    }
}
