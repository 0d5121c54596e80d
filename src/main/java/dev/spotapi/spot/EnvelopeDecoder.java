package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.spotapi.spot.SpotException.Kind;
import java.io.IOException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * Turns a Spot HTTP reply into a {@link SpotReply} or a classified {@link SpotException}, coping with
 * every shape the contract (§6) allows: error envelopes with or without {@code errors}, non-JSON
 * bodies (HTML, empty, garbage) and replies without items.
 */
final class EnvelopeDecoder {
    private final ObjectMapper mapper;

    EnvelopeDecoder(ObjectMapper mapper) {
        this.mapper = mapper;
    }

    /** The mapper replies are read with (also by {@link StreamedEnvelope}). */
    ObjectMapper mapper() {
        return mapper;
    }

    SpotReply decode(SpotCall call, int status, byte[] body, String retryAfterHeader, String headerRequestId) {
        JsonNode envelope = parse(body);
        String requestId = requestId(envelope, headerRequestId);
        if (status == 200) {
            return success(call, envelope, body == null || body.length == 0, requestId);
        }
        throw failure(call, status, envelope, requestId, retryAfter(retryAfterHeader));
    }

    /**
     * {@link #decode} of a 200 reply read by {@link StreamedEnvelope}: the same checks and errors; the
     * reply's items are what the list's view kept.
     */
    SpotReply decodeStreamed(SpotCall call, StreamedEnvelope.Result body, String headerRequestId) {
        return success(call, body.envelope(), body.bytes() == 0, requestId(body.envelope(), headerRequestId));
    }

    /**
     * Success is HTTP 200 <em>and</em> Spot's envelope (contract §2.1): a {@code request} object and
     * {@code response.status.code} 200; calls that read items also need {@code response.items} as an array
     * and a {@code response.kind} that names the expected item type ({@link SpotKinds}). Anything else (a
     * proxy's {@code {"message":"ok"}}, a cut reply, another API's object) is not proof that Spot did the
     * work: a {@link Kind#BAD_REPLY} that may have acted, so no caller is told OK, 404 or an empty list.
     */
    private SpotReply success(SpotCall call, JsonNode envelope, boolean empty, String requestId) {
        if (envelope == null) {
            String what = empty ? "an empty reply" : "a reply that is not a Spot envelope";
            throw notAnEnvelope(call, what, requestId);
        }
        JsonNode response = envelope.get("response");
        if (!envelope.path("request").isObject() || response == null || !response.isObject()) {
            throw notAnEnvelope(call, "a JSON reply that is not a Spot envelope (no request/response)", requestId);
        }
        JsonNode code = response.path("status").path("code");
        if (!code.isIntegralNumber() || code.asLong() != 200) {
            throw notAnEnvelope(call, "a Spot envelope without response.status.code 200", requestId);
        }
        JsonNode kind = response.get("kind");
        if (!call.readsItems() && kind == null) {
            return new SpotReply(mapper.createArrayNode(), requestId);
        }
        JsonNode items = response.get("items");
        if (call.readsItems() && (items == null || !items.isArray())) {
            throw notAnEnvelope(call, "a Spot envelope without response.items", requestId);
        }
        if (kind == null || !kind.isTextual() || !SpotKinds.accepts(call.path(), kind.asText())) {
            throw notAnEnvelope(call, "items of the wrong kind (" + (kind == null ? "none" : clip(kind.asText()))
                    + ", expected " + SpotKinds.expected(call.path()).orElse("spotinst:*") + ")", requestId);
        }
        JsonNode failures = response.get("failures");
        ArrayNode failed = failures instanceof ArrayNode f ? f : mapper.createArrayNode();
        return call.readsItems() ? new SpotReply((ArrayNode) items, requestId, failed)
                : new SpotReply(mapper.createArrayNode(), requestId, failed);
    }

    private static SpotException notAnEnvelope(SpotCall call, String what, String requestId) {
        return new SpotException(Kind.BAD_REPLY, call.operation(), 200, null, "Spot sent " + what, requestId, null,
                !call.isRead());
    }

    /** The most characters of Spot's error text spot-api passes on and logs. */
    static final int MAX_SPOT_TEXT = 1024;

    /**
     * Spot's error text as passed on to the caller and the log: at most {@link #MAX_SPOT_TEXT} characters, saying how
     * long it was (attack round 16: a 4 MB message went whole to the caller and twice into the log).
     */
    static String clipSpotText(String text) {
        return text == null || text.length() <= MAX_SPOT_TEXT ? text
                : text.substring(0, MAX_SPOT_TEXT) + "... (" + text.length() + " characters)";
    }

    private static String clip(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 60 ? printable.substring(0, 60) + "..." : printable;
    }

    private SpotException failure(SpotCall call, int status, JsonNode envelope, String requestId, Duration retryAfter) {
        JsonNode firstError = envelope == null ? null : envelope.path("response").path("errors").path(0);
        boolean hasError = firstError != null && firstError.isObject();
        String code = hasError ? text(firstError, "code") : null;
        String message = hasError && text(firstError, "message") != null ? text(firstError, "message")
                : errorText(envelope);
        if (message == null) {
            message = reason(status, envelope);
        }
        message = clipSpotText(message);
        Kind kind;
        if (status == 429) {
            kind = Kind.RATE_LIMITED;
        } else if (status == 401 || status == 403) {
            kind = Kind.AUTH_REJECTED;
        } else if (status >= 500 || envelope == null || success(status)) {
            kind = Kind.BAD_REPLY;
        } else if (code != null && (code.endsWith("_DOESNT_EXIST") || code.endsWith("_NOT_FOUND"))) {
            // <ENTITY>_DOESNT_EXIST (contract §2.4), or <ENTITY>_NOT_FOUND (a roll the group does not have): a 404 as
            // for every object that does not exist (attack round 6: a made-up roll id was a 400)
            kind = Kind.NOT_FOUND;
        } else {
            kind = Kind.REJECTED;
        }
        // Spot may have done the work before failing to answer (5xx), or said it did in another shape (a 2xx other
        // than 200: 201, 202, 204 with no envelope); a read never acted (attack round 10: a failed org check's GET was
        // taken for a write that may have happened, and its key's retry was never run)
        boolean mayHaveActed = !call.isRead() && (status >= 500 || success(status));
        return new SpotException(kind, call.operation(), status, code, message, requestId, retryAfter, mayHaveActed);
    }

    private static boolean success(int status) {
        return status >= 200 && status < 300;
    }

    /**
     * Spot's other error shape (contract §9.8): no {@code errors} array, only a {@code response.error}
     * string and an {@code error_id}. Answers the text with the id, or null when the body has no such text.
     */
    private static String errorText(JsonNode envelope) {
        if (envelope == null) {
            return null;
        }
        JsonNode response = envelope.path("response");
        JsonNode error = response.get("error");
        if (error == null || !error.isTextual() || error.asText().isBlank()) {
            error = envelope.get("error");
        }
        if (error == null || !error.isTextual() || error.asText().isBlank()) {
            return null;
        }
        String id = text(response, "error_id");
        if (id == null) {
            id = text(envelope, "error_id");
        }
        return id == null || id.isBlank() ? error.asText() : error.asText() + " (error_id " + id + ")";
    }

    private static String reason(int status, JsonNode envelope) {
        String fromEnvelope = envelope == null ? null : text(envelope.path("response").path("status"), "message");
        if (fromEnvelope != null && !fromEnvelope.isBlank()) {
            return "HTTP " + status + " " + fromEnvelope;
        }
        return envelope == null ? "HTTP " + status + " with a reply that is not a Spot envelope" : "HTTP " + status;
    }

    private JsonNode parse(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        try {
            JsonNode node = mapper.readTree(body);
            return node != null && node.isObject() ? node : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static String requestId(JsonNode envelope, String headerRequestId) {
        String fromBody = envelope == null ? null : text(envelope.path("request"), "id");
        return fromBody != null ? fromBody : headerRequestId;
    }

    private static String text(JsonNode node, String field) {
        JsonNode v = node == null ? null : node.get(field);
        return v == null || v.isNull() ? null : v.asText();
    }

    /** The longest wait a {@code Retry-After} of Spot's is taken for (s): a longer one, in either form, is this. */
    static final long MAX_RETRY_AFTER_S = 3600;

    /**
     * Spot's {@code Retry-After} (RFC 9110 §10.2.3: delay-seconds or an HTTP date) as a wait of 0 to
     * {@link #MAX_RETRY_AFTER_S} seconds, whichever form it has (attack round 16: a date a century ahead held a route
     * for a century, one past year 2262 overflowed into a 502); null when absent or unreadable. A date in the past
     * is a wait of zero.
     */
    static Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.strip();
        try {
            long seconds = Long.parseLong(h);
            return seconds < 0 ? null : Duration.ofSeconds(Math.min(seconds, MAX_RETRY_AFTER_S));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME);
                long seconds = at.toEpochSecond() - java.time.Instant.now().getEpochSecond();
                return Duration.ofSeconds(Math.max(0, Math.min(seconds, MAX_RETRY_AFTER_S)));
            } catch (java.time.DateTimeException notDate) { // unreadable, or a year out of range
                return null;
            }
        }
    }
}
