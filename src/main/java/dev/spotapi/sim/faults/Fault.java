package dev.spotapi.sim.faults;

import dev.spotapi.sim.http.Envelope;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.http.PathGlob;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/** One injected fault, as posted to {@code POST /_sim/faults}. */
public final class Fault {
    /** What a firing fault does to the request. */
    enum Action {
        STATUS, HTML, EMPTY, GARBAGE, JSON, DELAY, DROP,
        /** The request is carried out, then the connection is closed without the reply (Spot acted, the reply was lost). */
        DROP_REPLY;

        String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The most faults the simulator keeps at once ({@code POST /_sim/faults} beyond it is a 400). */
    public static final int MAX_FAULTS = 100;
    static final int MAX_PATH_LENGTH = 256;
    static final int MAX_TEXT_LENGTH = 1_000;
    static final int MAX_BODY_BYTES = 64 * 1024;
    static final long MAX_DELAY_MS = 600_000;
    static final long MAX_COUNT = 1_000_000;
    static final long MAX_RETRY_AFTER_SECONDS = 86_400;
    static final String ACTIONS = "status, html, empty, garbage, json, delay, drop or drop_reply";
    private static final java.util.Set<String> FIELDS = java.util.Set.of("method", "path", "action", "status",
            "errorCode", "message", "errors", "retryAfter", "delayMs", "after", "probability", "count", "body");
    private static final Pattern METHOD = Pattern.compile("\\*|[A-Za-z]{1,16}");
    private static final Pattern PRINTABLE_PATH = Pattern.compile("/[\\x21-\\x7e]*");

    private final long id;
    private final String method;
    private final String path;
    private final PathGlob pathGlob;
    private final Action action;
    private final int status;
    private final String errorCode;
    private final String message;
    private final boolean errors;
    private final Integer retryAfter;
    private final long delayMs;
    private final boolean after;
    private final double probability;
    private final Integer count;
    private final AtomicInteger remaining;
    private final byte[] body;

    /** Every field is checked against its bound; anything out of range is an {@link AdminException} (400). */
    private Fault(long id, JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new AdminException("a fault must be a JSON object");
        }
        json.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw new AdminException("unknown field \"" + clip(name) + "\"; a fault has " + FIELDS.stream().sorted().toList());
            }
        });
        this.id = id;
        String m = optionalText(json, "method", 16);
        if (m != null && !METHOD.matcher(m).matches()) {
            throw new AdminException("\"method\" must be an HTTP method name (letters) or \"*\"");
        }
        this.method = m == null || m.equals("*") ? null : m.toUpperCase(Locale.ROOT);
        String p = optionalText(json, "path", MAX_PATH_LENGTH);
        this.path = p == null ? "/**" : p;
        if (!PRINTABLE_PATH.matcher(path).matches()) {
            throw new AdminException("\"path\" must start with / and hold only printable characters without spaces");
        }
        this.pathGlob = PathGlob.compile(path);
        String a = optionalText(json, "action", 16);
        if (a == null) {
            throw new AdminException("\"action\" is required: " + ACTIONS);
        }
        try {
            this.action = Action.valueOf(a.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new AdminException("unknown action \"" + clip(a) + "\": use " + ACTIONS);
        }
        int defaultStatus = switch (action) {
            case STATUS -> 500;
            case GARBAGE, JSON, DELAY, DROP, DROP_REPLY -> 200;
            case HTML, EMPTY -> 502;
        };
        // 1xx would leave the client waiting for a final reply; Spot answers 200-599.
        this.status = (int) boundedLong(json, "status", defaultStatus, 200, 599);
        String code = optionalText(json, "errorCode", 128);
        this.errorCode = code != null ? code : defaultErrorCode(status);
        String msg = optionalText(json, "message", MAX_TEXT_LENGTH);
        this.message = msg != null ? msg : Envelope.reason(status);
        JsonNode errorsFlag = json.get("errors");
        if (errorsFlag != null && !errorsFlag.isNull() && !errorsFlag.isBoolean()) {
            throw new AdminException("\"errors\" must be true or false");
        }
        this.errors = errorsFlag == null || errorsFlag.isNull() || errorsFlag.asBoolean();
        this.retryAfter = json.hasNonNull("retryAfter")
                ? (int) boundedLong(json, "retryAfter", 0, 0, MAX_RETRY_AFTER_SECONDS) : null;
        this.delayMs = boundedLong(json, "delayMs", 0, 0, MAX_DELAY_MS);
        if (action == Action.DELAY && !json.hasNonNull("delayMs")) {
            throw new AdminException("\"delayMs\" is required for action delay");
        }
        JsonNode afterFlag = json.get("after");
        if (afterFlag != null && !afterFlag.isNull() && (!afterFlag.isBoolean() || action != Action.DELAY)) {
            throw new AdminException("\"after\" (true/false) is only for action delay");
        }
        this.after = afterFlag != null && afterFlag.asBoolean();
        JsonNode prob = json.get("probability");
        if (prob != null && !prob.isNull() && (!prob.isNumber() || !(prob.asDouble() >= 0 && prob.asDouble() <= 1))) {
            throw new AdminException("\"probability\" must be a number between 0 and 1");
        }
        this.probability = prob == null || prob.isNull() ? 1.0 : prob.asDouble();
        this.count = json.hasNonNull("count") ? (int) boundedLong(json, "count", 0, 1, MAX_COUNT) : null;
        this.remaining = count == null ? null : new AtomicInteger(count);
        JsonNode replyBody = json.get("body");
        if (action == Action.JSON) {
            if (replyBody == null || replyBody.isNull()) {
                throw new AdminException("\"body\" (the JSON to answer) is required for action json");
            }
            this.body = SimJson.bytes(replyBody);
            if (body.length > MAX_BODY_BYTES) {
                throw new AdminException("\"body\" must be at most " + MAX_BODY_BYTES + " bytes of JSON");
            }
        } else if (replyBody != null && !replyBody.isNull()) {
            throw new AdminException("\"body\" is only for action json");
        } else {
            this.body = null;
        }
    }

    static Fault parse(long id, JsonNode body) {
        return new Fault(id, body);
    }

    boolean matches(String requestMethod, String requestPath) {
        return (method == null || method.equals(requestMethod)) && pathGlob.matches(requestPath);
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

    /** For {@code delay}: handle the request first, then hold the reply (Spot acted, the answer is late). */
    boolean after() {
        return after;
    }

    /** The JSON an action {@code json} answers. */
    byte[] body() {
        return body;
    }

    public ObjectNode toJson() {
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
        node.put("after", after);
        if (body != null) {
            try {
                node.set("body", SimJson.parse(body));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("the body was serialised by the simulator itself", e);
            }
        }
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

    private static String optionalText(JsonNode body, String key, int maxLength) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual()) {
            throw new AdminException("\"" + key + "\" must be a string");
        }
        if (v.asText().length() > maxLength) {
            throw new AdminException("\"" + key + "\" must be at most " + maxLength + " characters");
        }
        return v.asText();
    }

    private static long boundedLong(JsonNode body, String key, long absent, long min, long max) {
        JsonNode v = body.get(key);
        if (v == null || v.isNull()) {
            return absent;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new AdminException("\"" + key + "\" must be an integer between " + min + " and " + max);
        }
        return v.asLong();
    }

    static String clip(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
