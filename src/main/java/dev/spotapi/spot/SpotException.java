package dev.spotapi.spot;

import java.time.Duration;

/**
 * A Spot call that did not succeed, classified by what the caller of spot-api should be told.
 * {@code spotMessage} is Spot's own message (or a description of what went wrong on the wire).
 */
public class SpotException extends RuntimeException {

    public enum Kind {
        /** Spot says the object does not exist ({@code *_DOESNT_EXIST}). */
        NOT_FOUND,
        /** Spot refused the request itself (validation and other 4xx with an error envelope). */
        REJECTED,
        /**
         * The object is not in a state that allows the operation: already paused, not paused, in a
         * transition (Spot's 400 codes of pause/resume/recycle), or a group already stopped/started.
         */
        CONFLICT,
        /** Spot throttled us (HTTP 429), or our own per-account rate limit did. */
        RATE_LIMITED,
        /** Spot refused the account's own token (401/403): the operator's problem. */
        AUTH_REJECTED,
        /** Spot answered 5xx, or something that is not a Spot envelope. */
        BAD_REPLY,
        /** No connection could be made, or it broke before a reply. */
        UNREACHABLE,
        /** No answer within the attempt timeout or the overall deadline. */
        TIMEOUT,
        /**
         * Not sent: an earlier write to the same object has not been answered by Spot yet (it may still land),
         * and the deadline passed while waiting for it ({@link WriteFence}).
         */
        IN_PROGRESS
    }

    private final Kind kind;
    private final String operation;
    private final int httpStatus;
    private final String code;
    private final String spotMessage;
    private final String spotRequestId;
    private final Duration retryAfter;
    private final boolean mayHaveActed;

    public SpotException(Kind kind, String operation, int httpStatus, String code, String spotMessage,
            String spotRequestId, Duration retryAfter, boolean mayHaveActed) {
        super(operation + ": " + spotMessage);
        this.kind = kind;
        this.operation = operation;
        this.httpStatus = httpStatus;
        this.code = code;
        this.spotMessage = spotMessage;
        this.spotRequestId = spotRequestId;
        this.retryAfter = retryAfter;
        this.mayHaveActed = mayHaveActed;
    }

    public Kind kind() {
        return kind;
    }

    public String operation() {
        return operation;
    }

    /** Spot's HTTP status, or 0 when there was no reply. */
    public int httpStatus() {
        return httpStatus;
    }

    public String code() {
        return code;
    }

    public String spotMessage() {
        return spotMessage;
    }

    public String spotRequestId() {
        return spotRequestId;
    }

    /** Spot's {@code Retry-After}, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }

    /** True when Spot may have carried out the request although we saw no success (timeouts, dropped replies). */
    public boolean mayHaveActed() {
        return mayHaveActed;
    }

    /** The same failure reclassified as {@code kind}, e.g. a REJECTED pause that is a CONFLICT. */
    public SpotException as(Kind newKind) {
        return new SpotException(newKind, operation, httpStatus, code, spotMessage, spotRequestId, retryAfter,
                mayHaveActed);
    }

    /**
     * The same failure reclassified as {@code kind}, to be retried after {@code wait} (the answer's
     * {@code Retry-After}, whole seconds rounded up): e.g. a recycle refused while a transition is under way.
     */
    public SpotException as(Kind newKind, Duration wait) {
        return new SpotException(newKind, operation, httpStatus, code, spotMessage, spotRequestId, wait, mayHaveActed);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        return this; // a classification, not a bug: the stack is noise and costs time under load
    }
}
