package dev.spotapi.spot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.async.ByteArrayFeeder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.spotapi.json.ExactNumberNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a successful Spot list reply as it arrives (Jackson's non-blocking parser fed with each received
 * buffer): the envelope as a tree, as {@link EnvelopeDecoder} reads it, except that {@code response.items}
 * holds what a {@link ListView} keeps of each item, read as a small tree of the view's fields only and
 * dropped once the view has decided. The reply is bounded like {@link BoundedBody} ({@link BoundedBody#MAX_STREAMED_BYTES}:
 * a longer one fails with {@link BoundedBody.TooLarge}, the connection dropped).
 *
 * <p>The tree is the one {@code mapper.readTree} gives for the same bytes (exact numbers, a repeated key keeps
 * its last value, anything after the top-level value ignored), or null wherever that read fails or gives no
 * object. A reply in UTF-16 or UTF-32 (a zero byte or a UTF-16 byte-order mark among its first four bytes),
 * which the non-blocking parser does not read, is kept in memory and read with the mapper's own encoding
 * detection instead.
 */
final class StreamedEnvelope implements ReplyReader<StreamedEnvelope.Result> {
    /**
     * What was read: {@code envelope} (null: not a JSON object) with {@code response.items} (when an array)
     * replaced by what the view kept, and the reply's length in bytes.
     */
    record Result(ObjectNode envelope, long bytes) {
    }

    private static final int HEAD = 4;

    private final ObjectMapper mapper;
    private final int max;
    private final boolean declaredTooLarge;
    private final CompletableFuture<Result> result = new CompletableFuture<>();
    private final Builder builder;
    private Flow.Subscription subscription;
    private long bytes;
    /** The first bytes, until {@link #HEAD} of them tell the encoding. */
    private byte[] head = new byte[HEAD];
    private int headLength;
    /** The non-blocking parser (UTF-8), once the reply's first bytes are known; null before and in buffered mode. */
    private JsonParser parser;
    /** The whole reply, in buffered mode (not UTF-8). */
    private ByteArrayOutputStream buffered;
    /** Where a part without an accessible array (a direct or read-only buffer) is copied to be fed; reused. */
    private byte[] scratch;

    private StreamedEnvelope(ObjectMapper mapper, ListView view, int max, boolean declaredTooLarge) {
        this.mapper = mapper;
        this.max = max;
        this.declaredTooLarge = declaredTooLarge;
        this.builder = new Builder(mapper.getNodeFactory(), view,
                mapper.getFactory().streamReadConstraints().getMaxStringLength());
    }

    /**
     * A reader of at most {@code max} bytes; more fails with {@link BoundedBody.TooLarge}, at once when the reply's
     * {@code declaredLength} (its Content-Length, -1 when it has none) says so.
     */
    static StreamedEnvelope reader(ObjectMapper mapper, ListView view, int max, long declaredLength) {
        return new StreamedEnvelope(mapper, view, max, declaredLength > max);
    }

    /** Reads a whole reply at once, as {@link #reader} reads it in parts (tests, and no bound on the length). */
    static Result read(ObjectMapper mapper, ListView view, List<ByteBuffer> parts) {
        StreamedEnvelope s = new StreamedEnvelope(mapper, view, Integer.MAX_VALUE, false);
        s.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
            }

            @Override
            public void cancel() {
            }
        });
        for (ByteBuffer part : parts) {
            s.onNext(List.of(part));
        }
        s.onComplete();
        return s.result.join();
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        this.subscription = s;
        if (declaredTooLarge) { // not a byte of it is read
            s.cancel();
            result.completeExceptionally(new BoundedBody.TooLarge(max));
            return;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (result.isDone()) {
            return;
        }
        try {
            for (ByteBuffer b : items) {
                if (bytes + b.remaining() > max) {
                    subscription.cancel();
                    close();
                    result.completeExceptionally(new BoundedBody.TooLarge(max));
                    return;
                }
                bytes += b.remaining();
                builder.received(bytes);
                take(b);
            }
        } catch (RuntimeException | Error e) {
            subscription.cancel();
            close();
            result.completeExceptionally(e);
        }
    }

    private void take(ByteBuffer b) {
        if (buffered != null) {
            copy(b, buffered);
            return;
        }
        if (parser == null) {
            while (headLength < HEAD && b.hasRemaining()) {
                head[headLength++] = b.get();
            }
            if (headLength < HEAD) {
                return;
            }
            start();
            if (buffered != null) {
                copy(b, buffered);
                return;
            }
        }
        feed(b);
    }

    /** Chooses the mode from the first bytes and hands them on. */
    private void start() {
        if (utf8(head, headLength)) {
            try {
                // the byte-array parser reads its input by index; the ByteBuffer one calls ByteBuffer.get per byte,
                // which took twice its CPU (C1, a list of 3,000 instances)
                parser = mapper.getFactory().createNonBlockingByteArrayParser();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            feed(ByteBuffer.wrap(head, 0, headLength));
        } else {
            buffered = new ByteArrayOutputStream();
            buffered.write(head, 0, headLength);
        }
        head = null;
    }

    private void feed(ByteBuffer b) {
        if (builder.finished() || !b.hasRemaining()) {
            return; // the top-level value is read (or the reply is not JSON): the rest is only counted
        }
        try {
            // the parser reads the array in place: every byte of it is parsed (pull) before the next part is fed
            if (b.hasArray()) {
                int from = b.arrayOffset() + b.position();
                ((ByteArrayFeeder) parser).feedInput(b.array(), from, from + b.remaining());
                b.position(b.limit());
            } else {
                int n = b.remaining();
                if (scratch == null || scratch.length < n) {
                    scratch = new byte[Math.max(n, 16 * 1024)];
                }
                b.get(scratch, 0, n);
                ((ByteArrayFeeder) parser).feedInput(scratch, 0, n);
            }
            pull();
        } catch (IOException malformed) {
            builder.fail();
        }
        if (builder.finished()) {
            close();
        }
    }

    /**
     * Ends the parser: besides its buffers, this hands the field names it learnt back to the factory's shared
     * table, so that the next reply's parser knows them (an unclosed one copies the table per reply).
     */
    private void close() {
        if (parser != null && !parser.isClosed()) {
            try {
                parser.close();
            } catch (IOException ignored) {
                // nothing to release that could fail
            }
        }
    }

    private void pull() throws IOException {
        for (JsonToken t = parser.nextToken(); t != JsonToken.NOT_AVAILABLE; t = parser.nextToken()) {
            if (t == null) {
                builder.end();
                return;
            }
            builder.token(t, parser);
            if (builder.finished()) {
                return;
            }
        }
    }

    @Override
    public void onError(Throwable failure) {
        close();
        result.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
        if (result.isDone()) {
            return;
        }
        try {
            if (buffered == null && parser == null) {
                start(); // fewer than four bytes
            }
            if (buffered != null) {
                readBuffered(buffered.toByteArray());
            } else if (!builder.finished()) {
                ((ByteArrayFeeder) parser).endOfInput();
                try {
                    pull();
                    builder.end();
                } catch (IOException malformed) {
                    builder.fail();
                }
            }
            close();
            result.complete(new Result(builder.envelope(), bytes));
        } catch (RuntimeException | Error e) {
            close();
            result.completeExceptionally(e);
        }
    }

    private void readBuffered(byte[] all) {
        builder.received(all.length);
        if (all.length == 0) {
            builder.end();
            return;
        }
        try (JsonParser p = mapper.getFactory().createParser(all)) {
            for (JsonToken t = p.nextToken(); !builder.finished(); t = p.nextToken()) {
                if (t == null) {
                    builder.end();
                    return;
                }
                builder.token(t, p);
            }
        } catch (IOException malformed) {
            builder.fail();
        }
    }

    @Override
    public CompletionStage<Result> getBody() {
        return result;
    }

    /**
     * Whether {@code mapper.readTree} would read these first bytes as UTF-8: its encoding detection
     * ({@code ByteSourceJsonBootstrapper}) picks another only for a UTF-16/32 byte-order mark or a zero byte.
     */
    static boolean utf8(byte[] first, int length) {
        for (int i = 0; i < length; i++) {
            if (first[i] == 0) {
                return false;
            }
        }
        if (length >= 2) {
            int b0 = first[0] & 0xff;
            int b1 = first[1] & 0xff;
            return !((b0 == 0xfe && b1 == 0xff) || (b0 == 0xff && b1 == 0xfe));
        }
        return true;
    }

    private static void copy(ByteBuffer b, ByteArrayOutputStream out) {
        if (b.hasArray()) {
            out.write(b.array(), b.arrayOffset() + b.position(), b.remaining());
            b.position(b.limit());
        } else {
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            out.write(chunk, 0, chunk.length);
        }
    }

    /**
     * Builds the envelope from parser tokens, as {@code ExactTreeDeserializer} would, with the list's items
     * handed one by one to the view. Every value gets a role from where it sits: the envelope's own fields
     * are kept whole; {@code response.items} (an array) is the list; an item is read with its view's fields,
     * everything else under it is skipped (only nesting is counted).
     */
    static final class Builder {
        private enum Role { ROOT, RESPONSE, WHOLE, ITEMS, PRUNED }

        /**
         * An open container. Frames are reused (one per depth, see {@link #push}): a list allocates none per item.
         */
        private static final class Frame {
            ContainerNode<?> node;
            Role role;
            /** PRUNED: the fields read of this container. */
            ListView.Fields fields;
            /** An object's current field name. */
            String name;
            /**
             * What is read of the value now starting here (ITEMS: the view's fields; PRUNED: those of the current
             * field, found once per field name); null: nothing (a PRUNED array keeps no elements: only an
             * object's fields can be named).
             */
            ListView.Fields next;
            /** Inside a list item (whose objects hold {@link FewFields}). */
            boolean inItem;
        }

        /** The longest string {@link #text} looks up among those seen (tag keys and values are shorter). */
        private static final int SHORT_STRING = 32;

        private final JsonNodeFactory nodes;
        private final ListView view;
        private final int maxStringLength;
        /** The last short string seen per slot (by a hash of its characters); see {@link #text}. */
        private final TextNode[] shortStrings = new TextNode[256];
        /** The open containers, outermost first: {@code stack[0 .. depth - 1]}. */
        private Frame[] stack = new Frame[16];
        private int depth;
        private int skipDepth;
        /** False while the reply so far is no longer than the longest string allowed: then no string can be longer. */
        private boolean longStringsPossible;
        private boolean started;
        private boolean finished;
        private ObjectNode envelope;

        Builder(JsonNodeFactory nodes, ListView view, int maxStringLength) {
            this.nodes = nodes;
            this.view = view;
            this.maxStringLength = maxStringLength;
        }

        /**
         * The reply's length so far, in bytes: a string read from it has at most that many characters (a UTF-8
         * or UTF-16/32 character takes at least one byte), so the string length limit is only checked once the
         * reply is longer than the limit.
         */
        void received(long bytes) {
            if (bytes > maxStringLength) {
                longStringsPossible = true;
            }
        }

        /** True once the top-level value has been read, or the reply is known not to be an envelope. */
        boolean finished() {
            return finished;
        }

        /** The envelope, once finished with a top-level object; else null. */
        ObjectNode envelope() {
            return envelope;
        }

        /** The reply could not be read as JSON: no envelope. */
        void fail() {
            finished = true;
            envelope = null;
        }

        /** The reply ended: whatever is open was cut short. */
        void end() {
            if (!finished) {
                fail();
            }
        }

        void token(JsonToken t, JsonParser p) throws IOException {
            if (longStringsPossible && t == JsonToken.VALUE_STRING && p.getTextLength() > maxStringLength) {
                // the parser checks a string's length when its text is read: a skipped one is checked here
                throw new StreamConstraintsException("String value length (" + p.getTextLength()
                        + ") exceeds the maximum allowed (" + maxStringLength + ")");
            }
            if (skipDepth > 0) {
                if (t.isStructStart()) {
                    skipDepth++;
                } else if (t.isStructEnd()) {
                    skipDepth--;
                }
                return;
            }
            if (!started) {
                started = true;
                if (t != JsonToken.START_OBJECT) {
                    fail(); // readTree gives no object: not an envelope
                    return;
                }
                push(nodes.objectNode(), Role.ROOT, null, null);
                return;
            }
            Frame top = stack[depth - 1];
            switch (t) {
                case FIELD_NAME -> {
                    top.name = p.currentName();
                    if (top.role == Role.PRUNED) {
                        top.next = top.fields.child(top.name);
                    }
                }
                case END_OBJECT, END_ARRAY -> {
                    Frame done = stack[--depth];
                    ContainerNode<?> node = done.node;
                    done.node = null; // the frame is reused: it holds nothing once closed
                    if (depth == 0) {
                        envelope = (ObjectNode) node;
                        finished = true;
                    } else {
                        attach(stack[depth - 1], node);
                    }
                }
                case START_OBJECT, START_ARRAY -> {
                    boolean object = t == JsonToken.START_OBJECT;
                    Role role;
                    ListView.Fields fields = null;
                    switch (top.role) {
                        case ROOT -> role = "response".equals(top.name) && object ? Role.RESPONSE : Role.WHOLE;
                        case RESPONSE -> role = "items".equals(top.name) && !object ? Role.ITEMS : Role.WHOLE;
                        case WHOLE -> role = Role.WHOLE;
                        default -> { // ITEMS, PRUNED
                            ListView.Fields f = top.next;
                            if (f == null) {
                                skipDepth = 1;
                                return;
                            }
                            if (f.isWhole()) {
                                role = Role.WHOLE;
                            } else {
                                role = Role.PRUNED;
                                fields = f;
                            }
                        }
                    }
                    // the objects of an item (what a view reads: an id, a few objects on the way to the tags, each
                    // tag's two fields) hold a few fields, dropped once the view has decided; the envelope's own,
                    // kept, a small table (a tree's default has 16 slots), which grows when needed
                    boolean inItem = top.role == Role.ITEMS || top.inItem;
                    ContainerNode<?> node = !object ? nodes.arrayNode()
                            : new ObjectNode(nodes, inItem ? new FewFields() : new LinkedHashMap<>(4));
                    push(node, role, fields, role == Role.ITEMS ? view.fields() : null);
                    stack[depth - 1].inItem = inItem;
                }
                default -> {
                    if ((top.role == Role.PRUNED || top.role == Role.ITEMS) && top.next == null) {
                        return; // a field the view does not read
                    }
                    attach(top, scalar(t, p));
                }
            }
        }

        private void push(ContainerNode<?> node, Role role, ListView.Fields fields, ListView.Fields next) {
            if (depth == stack.length) {
                stack = Arrays.copyOf(stack, depth * 2);
            }
            Frame f = stack[depth];
            if (f == null) {
                f = new Frame();
                stack[depth] = f;
            }
            f.node = node;
            f.role = role;
            f.fields = fields;
            f.name = null;
            f.next = next;
            f.inItem = false;
            depth++;
        }

        private void attach(Frame parent, JsonNode value) {
            if (parent.role == Role.ITEMS) {
                JsonNode kept = view.keep(value);
                if (kept != null) {
                    ((ArrayNode) parent.node).add(kept);
                }
            } else if (parent.node instanceof ObjectNode o) {
                o.set(parent.name, value);
            } else {
                ((ArrayNode) parent.node).add(value);
            }
        }

        /**
         * The string now read: a short one (tag keys and values repeat from item to item) is looked up by its
         * characters among the last ones seen, so that each repeated string is one {@link TextNode} (immutable,
         * shared by the trees that hold it) instead of a new one with its own {@link String}.
         */
        private JsonNode text(JsonParser p) throws IOException {
            int length = p.getTextLength();
            if (length > SHORT_STRING) {
                return nodes.textNode(p.getText());
            }
            char[] chars = p.getTextCharacters();
            int offset = p.getTextOffset();
            int h = 0;
            for (int i = 0; i < length; i++) {
                h = 31 * h + chars[offset + i];
            }
            int slot = (h ^ (h >>> 16)) & (shortStrings.length - 1);
            TextNode seen = shortStrings[slot];
            if (seen != null && sameText(seen.textValue(), chars, offset, length)) {
                return seen;
            }
            JsonNode made = nodes.textNode(p.getText());
            if (made instanceof TextNode textNode) {
                shortStrings[slot] = textNode;
            }
            return made;
        }

        private static boolean sameText(String s, char[] chars, int offset, int length) {
            if (s.length() != length) {
                return false;
            }
            for (int i = 0; i < length; i++) {
                if (s.charAt(i) != chars[offset + i]) {
                    return false;
                }
            }
            return true;
        }

        private JsonNode scalar(JsonToken t, JsonParser p) throws IOException {
            return switch (t) {
                case VALUE_STRING -> text(p);
                case VALUE_NUMBER_INT -> switch (p.getNumberType()) {
                    case INT -> nodes.numberNode(p.getIntValue());
                    case LONG -> nodes.numberNode(p.getLongValue());
                    default -> nodes.numberNode(p.getBigIntegerValue());
                };
                case VALUE_NUMBER_FLOAT -> new ExactNumberNode(p.getText());
                case VALUE_TRUE -> nodes.booleanNode(true);
                case VALUE_FALSE -> nodes.booleanNode(false);
                case VALUE_NULL -> nodes.nullNode();
                case VALUE_EMBEDDED_OBJECT -> nodes.pojoNode(p.getEmbeddedObject());
                default -> throw new IOException("unexpected token " + t);
            };
        }
    }
    /**
     * The fields of an object inside a list item, in insertion order: two arrays searched in turn while it holds
     * at most {@link #LINEAR} fields (an org tag's two, an item's id and config), then a {@link LinkedHashMap}
     * (no quadratic cost on a wide object). A field set again keeps its first place and takes the last value, as
     * in a {@link LinkedHashMap} (a repeated key in Spot's reply: the last one counts, as in a tree). Less than half
     * the allocation of a {@link LinkedHashMap} for two fields: a list of 3,000 items builds ~24,000 of these.
     */
    static final class FewFields extends AbstractMap<String, JsonNode> {
        static final int LINEAR = 8;

        private String[] keys = new String[2];
        private JsonNode[] values = new JsonNode[2];
        private int size;
        /** All the fields once there are more than {@link #LINEAR}; null before. */
        private LinkedHashMap<String, JsonNode> many;

        private int indexOf(Object key) {
            for (int i = 0; i < size; i++) {
                if (Objects.equals(keys[i], key)) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public int size() {
            return many != null ? many.size() : size;
        }

        @Override
        public boolean containsKey(Object key) {
            return many != null ? many.containsKey(key) : indexOf(key) >= 0;
        }

        @Override
        public JsonNode get(Object key) {
            if (many != null) {
                return many.get(key);
            }
            int i = indexOf(key);
            return i < 0 ? null : values[i];
        }

        @Override
        public JsonNode put(String key, JsonNode value) {
            if (many != null) {
                return many.put(key, value);
            }
            int i = indexOf(key);
            if (i >= 0) {
                JsonNode old = values[i];
                values[i] = value;
                return old;
            }
            if (size == LINEAR) {
                many = new LinkedHashMap<>();
                for (int j = 0; j < size; j++) {
                    many.put(keys[j], values[j]);
                }
                keys = null;
                values = null;
                size = 0;
                return many.put(key, value);
            }
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                values = Arrays.copyOf(values, size * 2);
            }
            keys[size] = key;
            values[size] = value;
            size++;
            return null;
        }

        @Override
        public JsonNode remove(Object key) {
            if (many != null) {
                return many.remove(key);
            }
            int i = indexOf(key);
            if (i < 0) {
                return null;
            }
            JsonNode old = values[i];
            removeAt(i);
            return old;
        }

        private void removeAt(int i) {
            System.arraycopy(keys, i + 1, keys, i, size - i - 1);
            System.arraycopy(values, i + 1, values, i, size - i - 1);
            size--;
            keys[size] = null;
            values[size] = null;
        }

        @Override
        public void clear() {
            if (many != null) {
                many.clear();
            } else {
                Arrays.fill(keys, 0, size, null);
                Arrays.fill(values, 0, size, null);
                size = 0;
            }
        }

        @Override
        public Set<Map.Entry<String, JsonNode>> entrySet() {
            return new AbstractSet<>() {
                @Override
                public int size() {
                    return FewFields.this.size();
                }

                @Override
                public Iterator<Map.Entry<String, JsonNode>> iterator() {
                    return many != null ? many.entrySet().iterator() : new Iterator<>() {
                        private int next;
                        private int last = -1;

                        @Override
                        public boolean hasNext() {
                            return next < size;
                        }

                        @Override
                        public Map.Entry<String, JsonNode> next() {
                            if (next >= size) {
                                throw new NoSuchElementException();
                            }
                            last = next++;
                            String key = keys[last];
                            return new AbstractMap.SimpleEntry<>(key, values[last]) {
                                @Override
                                public JsonNode setValue(JsonNode value) {
                                    super.setValue(value);
                                    return put(key, value);
                                }
                            };
                        }

                        @Override
                        public void remove() {
                            if (last < 0) {
                                throw new IllegalStateException();
                            }
                            removeAt(last);
                            next = last;
                            last = -1;
                        }
                    };
                }
            };
        }
    }
}
