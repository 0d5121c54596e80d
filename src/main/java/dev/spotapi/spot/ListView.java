package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * What a streamed list ({@link SpotClient#sendList}) keeps of Spot's {@code response.items}. Each item is
 * read from the reply as it arrives, as a small tree holding only the fields named here (every other field
 * is skipped unread: a list never holds the whole reply in memory), and {@link #keep} turns that tree into
 * what the reply's items hold, or drops it (null). Two views with the same {@link #key} must keep the same:
 * identical lists in flight at once share one Spot call per key.
 */
public final class ListView {
    private final String key;
    private final Fields fields;
    private final Function<JsonNode, JsonNode> keep;

    private ListView(String key, Fields fields, Function<JsonNode, JsonNode> keep) {
        this.key = key;
        this.fields = fields;
        this.keep = keep;
    }

    /**
     * @param key    names what {@code keep} keeps (equal keys: equal results for the same items)
     * @param fields the fields of an item that {@code keep} reads
     * @param keep   the item (only {@code fields}, as the tree Spot sent) to what the reply holds, or null to drop it
     */
    public static ListView of(String key, Fields fields, Function<JsonNode, JsonNode> keep) {
        return new ListView(key, fields, keep);
    }

    String key() {
        return key;
    }

    Fields fields() {
        return fields;
    }

    /** What the reply holds for {@code item}, or null. */
    JsonNode keep(JsonNode item) {
        return keep.apply(item);
    }

    /**
     * The fields of an item that are read, as a tree of names: {@link #whole} keeps a field with everything
     * under it; {@link #present} keeps a field as the JSON value it is (an object or array empty, unless
     * other fields under it are named). An object on the way to a named field is kept with only the named
     * fields; an array on the way is kept empty (only an object's fields can be named). Immutable.
     */
    public static final class Fields {
        private static final Fields WHOLE = new Fields(true, Map.of());
        private static final Fields NONE = new Fields(false, Map.of());

        private final boolean whole;
        private final Map<String, Fields> named;

        private Fields(boolean whole, Map<String, Fields> named) {
            this.whole = whole;
            this.named = named;
        }

        /** No field at all (only the item's own JSON type is read). */
        public static Fields none() {
            return NONE;
        }

        /** Everything of the item. */
        public static Fields all() {
            return WHOLE;
        }

        /** These fields plus {@code path} (dot-separated names, e.g. {@code compute.launchSpecification.tags}) with everything under it. */
        public Fields whole(String path) {
            return with(path.split("\\."), 0, true);
        }

        /** These fields plus {@code path} itself, nothing under it unless named otherwise. */
        public Fields present(String path) {
            return with(path.split("\\."), 0, false);
        }

        /** These fields plus those of {@code other}. */
        public Fields and(Fields other) {
            return union(other);
        }

        /** These fields plus every field of {@code other} under {@code prefix} (a dot-separated path). */
        public Fields under(String prefix, Fields other) {
            Fields out = this;
            for (Map.Entry<String, Fields> e : other.named.entrySet()) {
                out = out.merge(prefix.split("\\."), 0, Map.of(e.getKey(), e.getValue()));
            }
            return other.whole ? out.whole(prefix) : out.present(prefix);
        }

        boolean isWhole() {
            return whole;
        }

        /** The fields under {@code name}: null when it is not read. */
        Fields child(String name) {
            return whole ? WHOLE : named.get(name);
        }

        private Fields with(String[] path, int at, boolean wholeAtEnd) {
            if (whole) {
                return this;
            }
            Fields existing = named.get(path[at]);
            Fields next;
            if (at == path.length - 1) {
                next = wholeAtEnd ? WHOLE : existing != null ? existing : NONE;
            } else {
                next = (existing != null ? existing : NONE).with(path, at + 1, wholeAtEnd);
            }
            Map<String, Fields> copy = new LinkedHashMap<>(named);
            copy.put(path[at], next);
            return new Fields(false, Collections.unmodifiableMap(copy));
        }

        private Fields merge(String[] prefix, int at, Map<String, Fields> leaf) {
            if (whole) {
                return this;
            }
            if (at == prefix.length) {
                Fields out = this;
                for (Map.Entry<String, Fields> e : leaf.entrySet()) {
                    Fields existing = out.named.get(e.getKey());
                    Fields merged = existing == null ? e.getValue() : existing.union(e.getValue());
                    Map<String, Fields> copy = new LinkedHashMap<>(out.named);
                    copy.put(e.getKey(), merged);
                    out = new Fields(false, Collections.unmodifiableMap(copy));
                }
                return out;
            }
            Fields existing = named.get(prefix[at]);
            Map<String, Fields> copy = new LinkedHashMap<>(named);
            copy.put(prefix[at], (existing != null ? existing : NONE).merge(prefix, at + 1, leaf));
            return new Fields(false, Collections.unmodifiableMap(copy));
        }

        private Fields union(Fields other) {
            if (whole || other.whole) {
                return WHOLE;
            }
            return merge(new String[0], 0, other.named);
        }

        @Override
        public String toString() {
            return whole ? "*" : named.toString();
        }
    }
}
