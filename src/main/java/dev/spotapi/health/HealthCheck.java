package dev.spotapi.health;

/**
 * One component of {@code /v1/spot/health}. A check must answer fast (no network wait longer than the
 * component's own timeout, and none at all while a circuit breaker is open) and never throw.
 */
@FunctionalInterface
public interface HealthCheck {
    /** The component's state now. */
    Health check();

    /**
     * The component's state as {@code /ready} reads it: without waiting on the network at all (a readiness probe has
     * a short timeout, and a dependency every replica shares being slow must not take them all out). By default
     * {@link #check}.
     */
    default Health forReadiness() {
        return check();
    }
}
