package dev.spotapi.sim;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.Map;

/**
 * A JSON tree as an {@link InputStream} that serialises it as it is read: each {@link #read} serialises only
 * about {@link #CHUNK} more bytes (the top {@link #WALKED_DEPTH} levels are walked, deeper values written whole).
 * A long list then leaves the simulator as it is written, as a real Spot's reply crosses a network, instead of
 * after all of it has been serialised. The bytes are exactly {@link SimJson#bytes} of the same tree.
 */
public final class TreeStream extends InputStream {
    /** Bytes serialised per refill: Javalin copies a result stream 32 KiB at a time. */
    static final int CHUNK = 32 * 1024;
    /** Containers at depths 0 to 2 (an envelope, its {@code response}, its {@code items}) are walked. */
    static final int WALKED_DEPTH = 3;

    private final Sink sink = new Sink();
    private final JsonGenerator generator;
    /** One for the whole tree: {@code ObjectMapper#writeValue} would make one (and flush) per value written. */
    private final SerializerProvider provider = SimJson.MAPPER.getSerializerProviderInstance();
    private JsonNode tree;
    /** Open containers: an iterator over an object's fields or an array's values. */
    private final Deque<Open> open = new ArrayDeque<>();
    private byte[] chunk = new byte[0];
    private int position;
    private int length;
    private boolean done;

    private record Open(boolean object, Iterator<?> values) {
    }

    /** A stream of {@code tree}'s JSON (compact, {@link SimJson#MAPPER}'s settings). */
    public TreeStream(JsonNode tree) {
        this.tree = tree;
        try {
            this.generator = SimJson.MAPPER.createGenerator(sink);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void begin(JsonNode node) throws IOException {
        if (node.isObject() && open.size() < WALKED_DEPTH) {
            generator.writeStartObject();
            open.push(new Open(true, node.fields()));
        } else if (node.isArray() && open.size() < WALKED_DEPTH) {
            generator.writeStartArray();
            open.push(new Open(false, node.elements()));
        } else {
            node.serialize(generator, provider);
        }
    }

    /** Serialises until at least {@link #CHUNK} bytes are waiting or the tree is written. */
    private void refill() throws IOException {
        sink.reset();
        if (tree != null) {
            begin(tree);
            tree = null;
        }
        while (sink.size() + Math.max(0, generator.getOutputBuffered()) < CHUNK && !open.isEmpty()) {
            Open top = open.peek();
            if (!top.values().hasNext()) {
                open.pop();
                if (top.object()) {
                    generator.writeEndObject();
                } else {
                    generator.writeEndArray();
                }
                continue;
            }
            Object next = top.values().next();
            if (top.object()) {
                @SuppressWarnings("unchecked")
                Map.Entry<String, JsonNode> field = (Map.Entry<String, JsonNode>) next;
                generator.writeFieldName(field.getKey());
                begin(field.getValue());
            } else {
                begin((JsonNode) next);
            }
        }
        if (open.isEmpty()) {
            generator.close();
            done = true;
        } else {
            generator.flush();
        }
        chunk = sink.bytes();
        length = sink.size();
        position = 0;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    /** Fills {@code b} as far as the tree goes: a writer copying 32 KiB at a time then writes whole chunks. */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = 0;
        while (n < len) {
            if (position == length) {
                if (done) {
                    break;
                }
                refill();
                continue;
            }
            int part = Math.min(len - n, length - position);
            System.arraycopy(chunk, position, b, off + n, part);
            position += part;
            n += part;
        }
        return n == 0 && len > 0 ? -1 : n;
    }

    @Override
    public int available() {
        return length - position;
    }

    /** A reusable buffer whose array is read in place. */
    private static final class Sink extends ByteArrayOutputStream {
        Sink() {
            super(CHUNK + 8 * 1024);
        }

        byte[] bytes() {
            return buf;
        }
    }
}
