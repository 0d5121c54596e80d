package dev.spotapi.task;

/** The task store (Redis) cannot be reached or answered an error. */
public final class TaskStoreUnavailableException extends RuntimeException {
    public TaskStoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
