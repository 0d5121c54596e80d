package dev.spotapi.health;

/**
 * One component of {@code /v1/spot/health}. A check must answer fast (no network wait longer than the
 * component's own timeout, and none at all while a circuit breaker is open) and never throw.
 */
@FunctionalInterface
public interface HealthCheck {
    /** The component's state now. */
    Health check();
}
