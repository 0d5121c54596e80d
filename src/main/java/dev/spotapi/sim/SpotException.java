package dev.spotapi.sim;

/** A Spot API error: answered with the error envelope and this HTTP status. */
public final class SpotException extends RuntimeException {
    static final String VALIDATION_ERROR = "ValidationError";

    private final int status;
    private final String code;
    private final String field;

    public SpotException(int status, String code, String message, String field) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.field = field;
    }

    public static SpotException validation(String field, String message) {
        return new SpotException(400, VALIDATION_ERROR, message, field);
    }

    public static SpotException badRequest(String code, String message) {
        return new SpotException(400, code, message, null);
    }

    public static SpotException unauthorized(String message) {
        return new SpotException(401, "UNAUTHORIZED", message, null);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    /** The offending input, e.g. {@code body:group.capacity.minimum}; null when none. */
    public String field() {
        return field;
    }
}
