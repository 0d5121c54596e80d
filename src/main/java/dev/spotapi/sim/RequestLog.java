package dev.spotapi.sim;

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
final class RequestLog {
    static final int CAPACITY = 1000;

    /** One received request; the body is kept raw and only parsed when the log is read. */
    private record Entry(long time, String method, String path, String query, byte[] body, Map<String, String> headers) {
    }

    private final ArrayDeque<Entry> entries = new ArrayDeque<>(CAPACITY);

    void record(Context ctx, long now) {
        Map<String, String> headers = new LinkedHashMap<>();
        ctx.headerMap().forEach((name, value) -> {
            String key = name.toLowerCase(Locale.ROOT);
            headers.put(key, key.equals("authorization") ? mask(value) : value);
        });
        Entry entry = new Entry(now, ctx.method().name(), ctx.path(), ctx.queryString(), ctx.bodyAsBytes(), headers);
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
            node.set("body", body(e.body()));
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
