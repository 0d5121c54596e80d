package dev.spotapi.shared;

/**
 * Redis lost its data (a restart without persistence, a failover to an empty replica, FLUSHALL) moments ago and the
 * replicas are writing back the records they hold ({@link RedisSharedState#RECOVERY_MS}): a request that needs a
 * record not there yet waits; retrying after a second or two finds it, or finds that nobody held it.
 */
public final class SharedStateRecoveringException extends SharedStateUnavailableException {
    private static final long serialVersionUID = 1L;

    /** @param message what waits, for the log and the caller */
    public SharedStateRecoveringException(String message) {
        super(message, null);
    }
}
