package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.util.List;

/**
 * Writes every Spot API reply in Spot's envelope: {@code request{id,url,method,timestamp}} and
 * {@code response.status{code,message}}, plus {@code kind/items/count} for data replies or
 * {@code errors} for failures. The SDKs need {@code count} and {@code status} on every reply.
 */
final class Envelope {
    static final String CONTENT_TYPE = "application/json; charset=utf-8";

    private final SimClock clock;

    Envelope(SimClock clock) {
        this.clock = clock;
    }

    void items(Context ctx, String kind, List<? extends JsonNode> items) {
        ObjectNode body = SimJson.object();
        ObjectNode response = start(ctx, body, 200);
        response.put("kind", kind);
        ArrayNode array = response.putArray("items");
        array.addAll(items);
        response.put("count", items.size());
        write(ctx, 200, body);
    }

    void item(Context ctx, String kind, JsonNode item) {
        items(ctx, kind, List.of(item));
    }

    /** Success without data (delete, pause, resume, recycle). */
    void ok(Context ctx) {
        ObjectNode body = SimJson.object();
        start(ctx, body, 200);
        write(ctx, 200, body);
    }

    /** An error reply; {@code errors} may be empty (the SDKs then fall back to the HTTP status). */
    void error(Context ctx, int status, List<SpotException> errors) {
        ObjectNode body = SimJson.object();
        ObjectNode response = start(ctx, body, status);
        if (!errors.isEmpty()) {
            ArrayNode array = response.putArray("errors");
            for (SpotException e : errors) {
                ObjectNode error = array.addObject();
                error.put("code", e.code());
                error.put("message", e.getMessage());
                if (e.field() != null) {
                    error.put("field", e.field());
                }
            }
        }
        write(ctx, status, body);
    }

    void error(Context ctx, SpotException e) {
        error(ctx, e.status(), List.of(e));
    }

    static String reason(int status) {
        HttpStatus known = HttpStatus.forStatus(status);
        return known == HttpStatus.UNKNOWN ? "Unknown" : known.getMessage();
    }

    private ObjectNode start(Context ctx, ObjectNode body, int status) {
        String requestId = RandomIds.requestId();
        ctx.attribute(REQUEST_ID, requestId);
        ObjectNode request = body.putObject("request");
        request.put("id", requestId);
        request.put("url", ctx.path());
        request.put("method", ctx.method().name());
        request.put("timestamp", Timestamps.millis(clock.now()));
        ObjectNode response = body.putObject("response");
        ObjectNode s = response.putObject("status");
        s.put("code", status);
        s.put("message", reason(status));
        return response;
    }

    private static void write(Context ctx, int status, ObjectNode body) {
        ctx.status(status)
                .contentType(CONTENT_TYPE)
                .header("x-request-id", ctx.attribute(REQUEST_ID))
                .result(SimJson.bytes(body));
    }

    private static final String REQUEST_ID = "sim.requestId";
}
