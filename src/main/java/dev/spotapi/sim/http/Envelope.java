package dev.spotapi.sim.http;

import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.Timestamps;
import dev.spotapi.sim.TreeStream;

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
public final class Envelope {
    public static final String CONTENT_TYPE = "application/json; charset=utf-8";
    /**
     * From this many items a reply is serialised as it is sent ({@link TreeStream}): a long list's first bytes
     * leave while the rest is still being written, as a real Spot's reply arrives over a network. Shorter replies
     * are written at once, with their {@code Content-Length}.
     */
    static final int STREAMED_ITEMS = 64;

    private final SimClock clock;

    public Envelope(SimClock clock) {
        this.clock = clock;
    }

    void items(Context ctx, String kind, List<? extends JsonNode> items) {
        ObjectNode response = SimJson.object();
        response.put("kind", kind);
        response.putArray("items").addAll(items);
        response.put("count", items.size());
        write(ctx, 200, response);
    }

    /** Items and per-item {@code failures} (Spot's bulk migration reply, OAS {@code bulkMigration}). */
    void itemsWithFailures(Context ctx, String kind, List<? extends JsonNode> items, List<? extends JsonNode> failures) {
        ObjectNode response = SimJson.object();
        response.put("kind", kind);
        response.putArray("items").addAll(items);
        response.putArray("failures").addAll(failures);
        response.put("count", items.size());
        write(ctx, 200, response);
    }

    void item(Context ctx, String kind, JsonNode item) {
        items(ctx, kind, List.of(item));
    }

    /** Success without data (delete, pause, resume, recycle). */
    void ok(Context ctx) {
        write(ctx, 200, SimJson.object());
    }

    /** An error reply; {@code errors} may be empty (the SDKs then fall back to the HTTP status). */
    public void error(Context ctx, int status, List<SpotException> errors) {
        ObjectNode response = SimJson.object();
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
        write(ctx, status, response);
    }

    public void error(Context ctx, SpotException e) {
        error(ctx, e.status(), List.of(e));
    }

    public static String reason(int status) {
        HttpStatus known = HttpStatus.forStatus(status);
        return known == HttpStatus.UNKNOWN ? "Unknown" : known.getMessage();
    }

    /** Wraps {@code payload} (kind/items/count or errors) into the envelope and sends it. */
    private void write(Context ctx, int status, ObjectNode payload) {
        String requestId = RandomIds.requestId();
        ObjectNode body = SimJson.object();
        ObjectNode request = body.putObject("request");
        request.put("id", requestId);
        request.put("url", ctx.path());
        request.put("method", ctx.method().name());
        request.put("timestamp", Timestamps.millis(clock.now()));
        ObjectNode response = body.putObject("response");
        response.putObject("status").put("code", status).put("message", reason(status));
        response.setAll(payload);
        ctx.status(status)
                .contentType(CONTENT_TYPE)
                .header("x-request-id", requestId);
        JsonNode items = payload.get("items");
        if (items != null && items.size() >= STREAMED_ITEMS) {
            ctx.result(new TreeStream(body)); // serialised as it is sent, after every after-handler (faults) ran
        } else {
            ctx.result(SimJson.bytes(body));
        }
    }
}
