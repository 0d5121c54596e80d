package dev.spotapi.sim;

/** A bad request to the admin API (/_sim): answered with 400 and {"message": ...}. */
public final class AdminException extends RuntimeException {
    public AdminException(String message) {
        super(message, null, false, false);
    }
}
