package dev.spotapi.shared;

/** The shared store (Redis) could not be reached or did not answer in time. */
public class SharedStateUnavailableException extends RuntimeException {
    public SharedStateUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
