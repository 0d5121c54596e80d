package dev.spotapi.api.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;

/**
 * One request and its answer while the {@link Router}'s steps run: what the request says (method, raw path,
 * path and query parameters, headers, body, attributes) and what the answer will be (status, headers, content
 * type, body). Steps set the answer; {@link ApiHandler} writes it once they are all done. Request attributes are
 * the Jetty request's own, so that Jetty handlers before the router (e.g. the token verdict of a request with a
 * body) and the steps share them. Not thread-safe: the steps of one request run one at a time, on whichever
 * thread resumes it.
 */
public final class Exchange {
    /** The content type of an answer that sets none. */
    public static final String DEFAULT_CONTENT_TYPE = "text/plain";

    /** Header names set by the steps (a bounded set: constants of the code), each with its standard header. */
    private static final java.util.concurrent.ConcurrentHashMap<String, Object> HEADER_NAMES =
            new java.util.concurrent.ConcurrentHashMap<>();
    private static final Object NOT_STANDARD = new Object();

    final Request request;
    final Response response;
    private final Method method;
    private final String path;
    final Endpoint endpoint;
    /**
     * When the request began: Jetty's time of its first byte, so that a body that trickled in before this exchange was
     * made is part of its duration (attack round 20: a 2.6 s upload was logged as 118 ms).
     */
    private final long startNanos;
    private Map<String, String> pathParams;
    private Map<String, List<String>> queryParams;
    private String undecodableQuery;
    private byte[] body;
    private int status = 200;
    private String contentType = DEFAULT_CONTENT_TYPE;
    private byte[] resultBytes;
    private InputStream resultStream;
    private ByteBuffer resultBuffer;

    final ArrayDeque<Step> steps = new ArrayDeque<>();
    Supplier<? extends CompletableFuture<?>> futureSupplier;
    boolean exceptionOccurred;

    /** One queued step; {@code skipOnFailure}: skipped once a failure was seen. */
    record Step(boolean skipOnFailure, Handler handler) {
    }

    Exchange(Router router, Request request, Response response) {
        this.request = request;
        this.response = response;
        this.method = Method.of(request.getMethod());
        String raw = request.getHttpURI().getPath();
        this.path = raw == null ? "/" : raw;
        this.endpoint = router.find(method, path);
        long now = System.nanoTime();
        long began = request.getBeginNanoTime();
        this.startNanos = began != 0 && now - began >= 0 ? began : now;
    }

    // ---- the request ----

    /** The request method (a HEAD arrives here as the GET it stands for). */
    public Method method() {
        return method;
    }

    /** The request path as sent (percent-encoded), without the query. */
    public String path() {
        return path;
    }

    /** The route the request matched, or null when none matches its method and path. */
    public Endpoint endpoint() {
        return endpoint;
    }

    /** The percent-decoded value of path parameter {@code name} of the matched route. */
    public String pathParam(String name) {
        String value = pathParamMap().get(name);
        if (value == null) {
            throw new IllegalArgumentException("'" + name + "' is not a path parameter of '"
                    + (endpoint == null ? "" : endpoint.path) + "'");
        }
        return value;
    }

    /** The matched route's path parameters, percent-decoded; empty when no route matched. */
    public Map<String, String> pathParamMap() {
        if (pathParams == null) {
            pathParams = endpoint == null ? Map.of() : endpoint.pathParams(path);
        }
        return pathParams;
    }

    /** The query string as sent, or null. */
    public String queryString() {
        return request.getHttpURI().getQuery();
    }

    /** The first value of query parameter {@code name}, or null. */
    public String queryParam(String name) {
        List<String> values = queryParamMap().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every value of query parameter {@code name}, in order; empty when absent. */
    public List<String> queryParams(String name) {
        return queryParamMap().getOrDefault(name, List.of());
    }

    /**
     * The query parameters by percent-decoded name ({@code +} is a space), values in order; a name or value
     * that does not decode (a {@code %} not followed by two hex digits, bytes that are not UTF-8) is left out,
     * as are its values, and named by {@link #undecodableQueryPart()}: a before step refuses such a request
     * (a delete whose {@code keep} could not be read must not run without it: attack round 7).
     */
    public Map<String, List<String>> queryParamMap() {
        if (queryParams == null) {
            String[] undecodable = new String[1];
            queryParams = parseQuery(queryString(), undecodable);
            undecodableQuery = undecodable[0];
        }
        return queryParams;
    }

    /** The first {@code name=value} pair of the query that does not decode, as sent; null when every one does. */
    public String undecodableQueryPart() {
        queryParamMap();
        return undecodableQuery;
    }

    static Map<String, List<String>> parseQuery(String query) {
        return parseQuery(query, new String[1]);
    }

    private static Map<String, List<String>> parseQuery(String query, String[] undecodable) {
        if (query == null || query.isEmpty()) {
            return Map.of();
        }
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name = decodeQuery(eq < 0 ? pair : pair.substring(0, eq));
            String value = decodeQuery(eq < 0 ? "" : pair.substring(eq + 1));
            if ((name == null || value == null) && undecodable[0] == null) {
                undecodable[0] = pair;
            }
            if (name == null) {
                continue;
            }
            List<String> values = out.computeIfAbsent(name, k -> new ArrayList<>(1));
            if (value != null) {
                values.add(value);
            }
        }
        out.replaceAll((k, v) -> Collections.unmodifiableList(v));
        return Collections.unmodifiableMap(out);
    }

    /**
     * {@code s} percent-decoded ({@code +} is a space) as UTF-8, or null when it does not decode: a {@code %} not
     * followed by two hex digits, or bytes that are not UTF-8 (never replaced by U+FFFD: that would be a guess).
     */
    static String decodeQuery(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    return null;
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return null;
                }
                bytes.write(hi * 16 + lo);
                i += 2;
            } else if (c == '+') {
                bytes.write(' ');
            } else {
                int cp = s.codePointAt(i);
                if (Character.getType(cp) == Character.SURROGATE) {
                    return null; // a lone surrogate cannot have come from UTF-8 bytes
                }
                byte[] b = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
                bytes.write(b, 0, b.length);
                i += Character.charCount(cp) - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray())).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            return null;
        }
    }

    /** The first value of request header {@code name} (any case), or null. */
    public String header(String name) {
        return request.getHeaders().get(name);
    }

    /** Every value of request header {@code name}, in order. */
    public List<String> headers(String name) {
        return request.getHeaders().getValuesList(name);
    }

    /** The names of the request's headers, as sent, in order (a repeated one once per field). */
    public List<String> headerNames() {
        List<String> names = new ArrayList<>(request.getHeaders().size());
        request.getHeaders().forEach(f -> names.add(f.getName()));
        return names;
    }

    /** The caller's IP address (the connection's remote address), or "" when unknown. */
    public String ip() {
        SocketAddress remote = request.getConnectionMetaData().getRemoteSocketAddress();
        if (remote instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() : inet.getAddress().getHostAddress();
        }
        return "";
    }

    /**
     * The request body (empty when none). Already read into the heap before the steps run
     * ({@code HeapBodyLoader}); a body that failed to arrive (too large, too slow) throws here with Jetty's
     * {@code HttpException} as its cause.
     */
    public byte[] bodyAsBytes() {
        if (body == null) {
            body = readBody();
        }
        return body;
    }

    private byte[] readBody() {
        ByteArrayOutputStream out = null;
        while (true) {
            Content.Chunk chunk = request.read();
            if (chunk == null) {
                // not loaded ahead (no body was announced): wait for what arrives
                CompletableFuture<Void> ready = new CompletableFuture<>();
                request.demand(() -> ready.complete(null));
                ready.join();
                continue;
            }
            if (Content.Chunk.isFailure(chunk)) {
                Throwable failure = chunk.getFailure();
                throw failure instanceof RuntimeException r ? r : new IllegalStateException(failure.getMessage(), failure);
            }
            ByteBuffer bytes = chunk.getByteBuffer();
            if (bytes.hasRemaining()) {
                if (out == null && chunk.isLast()) {
                    byte[] only = new byte[bytes.remaining()];
                    bytes.get(only);
                    chunk.release();
                    return only;
                }
                if (out == null) {
                    out = new ByteArrayOutputStream(Math.max(256, bytes.remaining()));
                }
                byte[] part = new byte[bytes.remaining()];
                bytes.get(part);
                out.writeBytes(part);
            }
            boolean last = chunk.isLast();
            chunk.release();
            if (last) {
                return out == null ? new byte[0] : out.toByteArray();
            }
        }
    }

    /** The request attribute {@code name} (set by a step or a Jetty handler before the router), or null. */
    @SuppressWarnings("unchecked")
    public <T> T attribute(String name) {
        return (T) request.getAttribute(name);
    }

    /** Sets (or, with null, removes) request attribute {@code name}. */
    public void attribute(String name, Object value) {
        if (value == null) {
            request.removeAttribute(name);
        } else {
            request.setAttribute(name, value);
        }
    }

    /** The underlying Jetty request (for Jetty-level helpers such as static bodies). */
    public Request request() {
        return request;
    }

    /** When the request began ({@link System#nanoTime} base): Jetty's arrival time of its first byte. */
    long startNanos() {
        return startNanos;
    }

    // ---- the answer ----

    /** Sets the answer's status code. */
    public Exchange status(int code) {
        this.status = code;
        return this;
    }

    /** The answer's status code (200 until set). */
    public int statusCode() {
        return status;
    }

    /** Sets answer header {@code name} to {@code value} (replacing any earlier value); null removes it. */
    public Exchange header(String name, String value) {
        if (value == null) {
            response.getHeaders().remove(name);
            return this;
        }
        // the header's name is looked up once per name, not in Jetty's header trie on every answer
        Object known = HEADER_NAMES.computeIfAbsent(name, n -> {
            HttpHeader h = HttpHeader.CACHE.get(n);
            return h == null ? NOT_STANDARD : h;
        });
        response.getHeaders().put(new HttpField(known instanceof HttpHeader h ? h : null, name, value));
        return this;
    }

    /** Sets an answer header from a prepared field (e.g. a constant, pre-encoded one), replacing any earlier value. */
    public Exchange header(HttpField field) {
        response.getHeaders().put(field);
        return this;
    }

    /** The answer header {@code name} set so far, or null. */
    public String responseHeader(String name) {
        return response.getHeaders().get(name);
    }

    /**
     * Sets the answer's content type; a well-known type with a charset is written in its usual form
     * ({@code text/plain; charset=utf-8} as {@code text/plain;charset=utf-8}, as Jetty writes it).
     */
    public Exchange contentType(String type) {
        MimeTypes.Type known = type == null ? null : MimeTypes.CACHE.get(type);
        this.contentType = known != null ? known.asString() : type;
        return this;
    }

    /** The answer's content type ({@value #DEFAULT_CONTENT_TYPE} until set). */
    public String responseContentType() {
        return contentType;
    }

    /** The answer's body. */
    public Exchange result(byte[] bytes) {
        closeStream();
        this.resultBuffer = null;
        this.resultBytes = bytes;
        return this;
    }

    /**
     * The answer's body: a constant buffer (never modified; it may be shared by many answers), written as it
     * is, without compression and without a thread while the client reads it.
     */
    public Exchange result(ByteBuffer constant) {
        closeStream();
        this.resultBytes = null;
        this.resultBuffer = constant;
        return this;
    }

    /** The answer's body, UTF-8. */
    public Exchange result(String text) {
        return result(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The answer's body, read from {@code stream} as it is written (closed afterwards). */
    public Exchange result(InputStream stream) {
        closeStream();
        this.resultBytes = null;
        this.resultBuffer = null;
        this.resultStream = stream;
        return this;
    }

    /** The answer's body so far as a stream (to read it, put it back with {@link #result}), or null when none. */
    public InputStream resultInputStream() {
        if (resultStream != null) {
            return resultStream;
        }
        if (resultBuffer != null) {
            ByteBuffer copy = resultBuffer.duplicate();
            byte[] bytes = new byte[copy.remaining()];
            copy.get(bytes);
            return new ByteArrayInputStream(bytes);
        }
        return resultBytes == null ? null : new ByteArrayInputStream(resultBytes);
    }

    /** The answer's body so far as UTF-8 text (a streamed body is read into memory and kept), or null. */
    public String result() {
        if (resultStream != null) {
            try (InputStream in = resultStream) {
                resultBytes = in.readAllBytes();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            resultStream = null;
        }
        return resultBytes == null ? null : new String(resultBytes, StandardCharsets.UTF_8);
    }

    byte[] resultBytes() {
        return resultBytes;
    }

    ByteBuffer resultBuffer() {
        return resultBuffer;
    }

    InputStream resultStream() {
        return resultStream;
    }

    private void closeStream() {
        if (resultStream != null) {
            try {
                resultStream.close();
            } catch (Exception ignored) {
                // an earlier answer being replaced: nothing to do with its failure
            }
            resultStream = null;
        }
    }

    /**
     * Suspends the request until the supplied future completes; the remaining steps then run on the thread that
     * completed it (a failure is answered by the exception handlers). At most one per step.
     */
    public void future(Supplier<? extends CompletableFuture<?>> future) {
        if (futureSupplier != null) {
            throw new IllegalStateException("a step may suspend the request only once");
        }
        futureSupplier = future;
    }

    /**
     * Drops the before-matched steps and the handler not yet run; the after steps still run (the answer stands as
     * set: a replayed answer).
     */
    public void skipToAfterSteps() {
        steps.removeIf(Step::skipOnFailure);
    }

    /** Drops every step not yet run (before, handler and after steps); the answer is written as it stands. */
    public void skipRemainingHandlers() {
        steps.clear();
    }
}
