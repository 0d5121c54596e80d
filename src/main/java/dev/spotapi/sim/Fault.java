package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/** One injected fault, as posted to {@code POST /_sim/faults}. */
final class Fault {
    /** What a firing fault does to the request. */
    enum Action {
        STATUS, HTML, EMPTY, GARBAGE, DELAY, DROP,
        /** The request is carried out, then the connection is closed without the reply (Spot acted, the reply was lost). */
        DROP_REPLY;

        String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final long id;
    private final String method;
    private final String path;
    private final Pattern pathPattern;
    private final Action action;
    private final int status;
    private final String errorCode;
    private final String message;
    private final boolean errors;
    private final Integer retryAfter;
    private final long delayMs;
    private final double probability;
    private final Integer count;
    private final AtomicInteger remaining;

    private Fault(long id, JsonNode body) {
        if (body == null || !body.isObject()) {
            throw new AdminException("a fault must be a JSON object");
        }
        this.id = id;
        String m = optionalText(body, "method");
        this.method = m == null || m.equals("*") ? null : m.toUpperCase(Locale.ROOT);
        String p = optionalText(body, "path");
        this.path = p == null ? "/**" : p;
        this.pathPattern = PathGlob.compile(path);
        String a = optionalText(body, "action");
        if (a == null) {
            throw new AdminException("\"action\" is required: status, html, empty, garbage, delay, drop or drop_reply");
        }
        try {
            this.action = Action.valueOf(a.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new AdminException("unknown action \"" + a + "\": use status, html, empty, garbage, delay, drop or drop_reply");
        }
        int defaultStatus = switch (action) {
            case STATUS -> 500;
            case GARBAGE, DELAY, DROP, DROP_REPLY -> 200;
            case HTML, EMPTY -> 502;
        };
        this.status = (int) optionalLong(body, "status", defaultStatus);
        if (status < 100 || status > 599) {
            throw new AdminException("\"status\" must be an HTTP status between 100 and 599");
        }
        String code = optionalText(body, "errorCode");
        this.errorCode = code != null ? code : defaultErrorCode(status);
        String msg = optionalText(body, "message");
        this.message = msg != null ? msg : Envelope.reason(status);
        JsonNode errorsFlag = body.get("errors");
        if (errorsFlag != null && !errorsFlag.isBoolean()) {
            throw new AdminException("\"errors\" must be true or false");
        }
        this.errors = errorsFlag == null || errorsFlag.asBoolean();
        this.retryAfter = body.hasNonNull("retryAfter") ? (int) optionalLong(body, "retryAfter", 0) : null;
        if (retryAfter != null && retryAfter < 0) {
            throw new AdminException("\"retryAfter\" must not be negative");
        }
        this.delayMs = optionalLong(body, "delayMs", 0);
        if (delayMs < 0 || delayMs > 600_000) {
            throw new AdminException("\"delayMs\" must be between 0 and 600000");
        }
        if (action == Action.DELAY && !body.hasNonNull("delayMs")) {
            throw new AdminException("\"delayMs\" is required for action delay");
        }
        JsonNode prob = body.get("probability");
        if (prob != null && !prob.isNull() && (!prob.isNumber() || prob.asDouble() < 0 || prob.asDouble() > 1)) {
            throw new AdminException("\"probability\" must be a number between 0 and 1");
        }
        this.probability = prob == null || prob.isNull() ? 1.0 : prob.asDouble();
        this.count = body.hasNonNull("count") ? (int) optionalLong(body, "count", 0) : null;
        if (count != null && count < 1) {
            throw new AdminException("\"count\" must be at least 1 (leave it out for no limit)");
        }
        this.remaining = count == null ? null : new AtomicInteger(count);
    }

    static Fault parse(long id, JsonNode body) {
        return new Fault(id, body);
    }

    boolean matches(String requestMethod, String requestPath) {
        return (method == null || method.equals(requestMethod)) && pathPattern.matcher(requestPath).matches();
    }

    /** Rolls the probability, then takes one from the remaining count; true if the fault fires now. */
    boolean tryFire() {
        if (probability < 1.0 && ThreadLocalRandom.current().nextDouble() >= probability) {
            return false;
        }
        if (remaining == null) {
            return true;
        }
        while (true) {
            int left = remaining.get();
            if (left <= 0) {
                return false;
            }
            if (remaining.compareAndSet(left, left - 1)) {
                return true;
            }
        }
    }

    Action action() {
        return action;
    }

    int status() {
        return status;
    }

    String errorCode() {
        return errorCode;
    }

    String message() {
        return message;
    }

    boolean errors() {
        return errors;
    }

    Integer retryAfter() {
        return retryAfter;
    }

    long delayMs() {
        return delayMs;
    }

    ObjectNode toJson() {
        ObjectNode node = SimJson.object();
        node.put("id", id);
        node.put("method", method == null ? "*" : method);
        node.put("path", path);
        node.put("action", action.jsonName());
        node.put("status", status);
        node.put("errorCode", errorCode);
        node.put("message", message);
        node.put("errors", errors);
        if (retryAfter != null) {
            node.put("retryAfter", retryAfter);
        } else {
            node.putNull("retryAfter");
        }
        node.put("delayMs", delayMs);
        node.put("probability", probability);
        if (count != null) {
            node.put("count", count);
            node.put("remaining", remaining.get());
        } else {
            node.putNull("count");
            node.putNull("remaining");
        }
        return node;
    }

    private static String defaultErrorCode(int status) {
        return switch (status) {
            case 400 -> "BAD_REQUEST";
            case 401 -> "UNAUTHORIZED";
            case 403 -> "FORBIDDEN";
            case 404 -> "NOT_FOUND";
            case 429 -> "RATE_LIMIT";
            case 500 -> "INTERNAL_ERROR";
            case 502 -> "BAD_GATEWAY";
            case 503 -> "SERVICE_UNAVAILABLE";
            case 504 -> "GATEWAY_TIMEOUT";
            default -> "HTTP_" + status;
        };
    }

    private static String optionalText(JsonNode body, String key) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new AdminException("\"" + key + "\" must be a string");
        }
        return v.asText();
    }

    private static long optionalLong(JsonNode body, String key, long absent) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber()) {
            throw new AdminException("\"" + key + "\" must be an integer");
        }
        return v.asLong();
    }
}
