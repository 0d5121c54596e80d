package dev.spotapi.instance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.spot.Correlation;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The old service's summary of a managed instance: id, dates as {@code yyyy/MM/dd HH:mm:ss} (UTC), name,
 * preferred type, state, and tags as one-key objects with {@code Name} and {@code spinup:org} last.
 */
final class InstanceSummary {
    static final String NAME_TAG = "Name";
    static final String ORG_TAG = "spinup:org";

    private static final DateTimeFormatter OUT = DateTimeFormatter.ofPattern("yyyy/MM/dd HH:mm:ss").withZone(ZoneOffset.UTC);

    private InstanceSummary() {
    }

    /** The summary of {@code instance}; its {@code spinup:org} entry is the instance's own tag ("" when untagged). */
    static ObjectNode of(JsonNode instance, String state) {
        String org = "";
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("id", instance.path("id").asText(""));
        putDate(out, "created_at", instance.get("createdAt"));
        putDate(out, "modified_at", instance.get("updatedAt"));
        String name = instance.path("name").asText("");
        out.put("name", name);
        JsonNode type = instance.path("compute").path("launchSpecification").path("instanceTypes").get("preferredType");
        if (type != null && type.isTextual()) {
            out.put("type", type.asText());
        }
        out.put("state", state == null ? "" : state);
        ArrayNode tags = out.putArray("tags");
        for (JsonNode tag : instance.path("compute").path("launchSpecification").path("tags")) {
            String key = tag.path("tagKey").asText(null);
            if (ORG_TAG.equals(key)) {
                org = tag.path("tagValue").asText("");
            }
            // the correlation tag is spot-api's own bookkeeping, not part of the old service's summary
            if (key == null || NAME_TAG.equals(key) || ORG_TAG.equals(key) || Correlation.TAG_KEY.equals(key)) {
                continue;
            }
            tags.addObject().put(key, tag.path("tagValue").asText(""));
        }
        tags.addObject().put(NAME_TAG, name);
        tags.addObject().put(ORG_TAG, org);
        return out;
    }

    private static void putDate(ObjectNode out, String field, JsonNode value) {
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            return;
        }
        String text = value.asText();
        String utc = reformatUtc(text);
        if (utc != null) {
            out.put(field, utc);
            return;
        }
        Instant at = parse(text);
        if (at != null) {
            out.put(field, OUT.format(at));
        }
    }

    /**
     * The common case without parsing: a UTC stamp ({@code ...Z}, {@code +0000} or {@code +00:00}, with
     * or without fractions) only needs its separators changed. Anything else returns null.
     */
    static String reformatUtc(String t) {
        if (t.length() < 20 || t.charAt(4) != '-' || t.charAt(7) != '-' || t.charAt(10) != 'T' || t.charAt(13) != ':'
                || t.charAt(16) != ':') {
            return null;
        }
        int i = 19;
        if (t.charAt(i) == '.') {
            i++;
            while (i < t.length() && Character.isDigit(t.charAt(i))) {
                i++;
            }
        }
        String zone = t.substring(i);
        if (!zone.equals("Z") && !zone.equals("+0000") && !zone.equals("+00:00")) {
            return null;
        }
        for (int d : new int[] {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
            if (!Character.isDigit(t.charAt(d))) {
                return null;
            }
        }
        return t.substring(0, 4) + '/' + t.substring(5, 7) + '/' + t.substring(8, 10) + ' ' + t.substring(11, 19);
    }

    static Instant parse(String text) {
        return dev.spotapi.spot.SpotTimestamps.parse(text);
    }
}
