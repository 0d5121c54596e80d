package dev.spotapi.sim.http;

import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The last {@link #CAPACITY} Spot API requests, for {@code GET /_sim/requests}; bearer tokens masked. */
public final class RequestLog {
    public static final int CAPACITY = 1000;
    /** Bytes of each body kept: the log costs at most about CAPACITY x this, whatever clients send. */
    public static final int MAX_BODY_KEPT = 16 * 1024;

    /** One received request; the body is kept raw and only parsed when the log is read. */
    private record Entry(long time, String method, String path, String query, byte[] body, int bodyLength,
            Map<String, String> headers) {
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>(CAPACITY);

    void record(Context ctx, long now) {
        Map<String, String> headers = new LinkedHashMap<>();
        ctx.headerMap().forEach((name, value) -> {
            String key = name.toLowerCase(Locale.ROOT);
            headers.put(key, key.equals("authorization") ? mask(value) : value);
        });
        byte[] body;
        try {
            body = ctx.bodyAsBytes();
        } catch (io.javalin.http.HttpResponseException tooLarge) { // over Limits.MAX_ADMIN_BODY_BYTES: logged without it
            add(new Entry(now, ctx.method().name(), ctx.path(), ctx.queryString(), new byte[0],
                    Math.max(0, (int) Math.min(Integer.MAX_VALUE, ctx.contentLength())), headers));
            throw tooLarge;
        }
        byte[] kept = body.length <= MAX_BODY_KEPT ? body : java.util.Arrays.copyOf(body, MAX_BODY_KEPT);
        Entry entry = new Entry(now, ctx.method().name(), ctx.path(), ctx.queryString(), kept, body.length, headers);
        add(entry);
    }

    private void add(Entry entry) {
        synchronized (entries) {
            if (entries.size() == CAPACITY) {
                entries.removeFirst();
            }
            entries.addLast(entry);
        }
    }

    /** The newest {@code limit} entries, oldest first. */
    ArrayNode recent(int limit) {
        List<Entry> copy;
        synchronized (entries) {
            copy = new ArrayList<>(entries);
        }
        ArrayNode out = SimJson.array();
        for (Entry e : copy.subList(Math.max(0, copy.size() - limit), copy.size())) {
            ObjectNode node = out.addObject();
            node.put("time", Timestamps.millis(e.time()));
            node.put("method", e.method());
            node.put("path", e.path());
            node.put("query", e.query());
            node.set("body", e.bodyLength() > e.body().length
                    ? SimJson.NODES.textNode(new String(e.body(), StandardCharsets.UTF_8) + "... (" + e.bodyLength()
                            + " bytes, the first " + MAX_BODY_KEPT + " kept)")
                    : body(e.body()));
            ObjectNode headers = node.putObject("headers");
            e.headers().forEach(headers::put);
        }
        return out;
    }

    void clear() {
        synchronized (entries) {
            entries.clear();
        }
    }

    private static JsonNode body(byte[] raw) {
        try {
            JsonNode parsed = SimJson.parse(raw);
            return parsed == null ? SimJson.NODES.nullNode() : parsed;
        } catch (IOException e) {
            return SimJson.NODES.textNode(new String(raw, StandardCharsets.UTF_8));
        }
    }

    private static String mask(String value) {
        return value.regionMatches(true, 0, "Bearer ", 0, 7) ? "Bearer ****" : "****";
    }
}
