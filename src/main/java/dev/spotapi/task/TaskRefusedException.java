package dev.spotapi.task;

/**
 * An asynchronous request refused because of a bound (running tasks, queue length) or because the task
 * store cannot be reached; nothing was sent to Spot. The HTTP layer answers 503 with Retry-After
 * ({@link #retryAfterSeconds()}).
 */
public final class TaskRefusedException extends RuntimeException {
    private final int retryAfterSeconds;

    public TaskRefusedException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Seconds after which a retry may be accepted. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
