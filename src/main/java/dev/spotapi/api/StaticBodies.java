package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;
import java.nio.ByteBuffer;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Large public answers (the OpenAPI document, the Swagger UI assets, the metrics scrape) written without a
 * thread. A route
 * calls {@link #send} instead of {@code ctx.result(...)}: it writes nothing itself, and when the
 * application completes the response (an empty last write, which Jetty makes asynchronously once the
 * route returns), this handler puts the body in that last write. A client that never reads its answers
 * (pipelining requests on one connection and reading nothing) then leaves a write pending on its
 * connection, not a worker thread blocked in a write; the next pipelined request is not parsed until the
 * pending answer is written. The constant bodies are shared read-only buffers: no copy per request.
 */
final class StaticBodies extends Handler.Wrapper {
    private static final String ATTRIBUTE = "spot-api.staticBody";

    /**
     * Answers {@code ctx} with {@code body} (never modified; it may be shared) of type {@code contentType}.
     * Large public answers use it: the OpenAPI document, the Swagger UI assets, the metrics scrape.
     */
    static void send(Exchange ctx, String contentType, ByteBuffer body) {
        ctx.contentType(contentType);
        ctx.attribute(ATTRIBUTE, body);
    }

    /** A direct read-only copy of {@code bytes}, allocated once, for {@link #send}. */
    static ByteBuffer shared(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip().asReadOnlyBuffer();
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        return super.handle(request, new Substituting(request, response), callback);
    }

    /** The response whose last, empty write carries the static body when a route asked for one. */
    private static final class Substituting extends Response.Wrapper {
        private boolean substituted;

        Substituting(Request request, Response response) {
            super(request, response);
        }

        @Override
        public void write(boolean last, ByteBuffer content, Callback callback) {
            if (last && !substituted && (content == null || !content.hasRemaining())
                    && getRequest().getAttribute(ATTRIBUTE) instanceof ByteBuffer body && !isCommitted()
                    && (getStatus() == 0 || getStatus() == 200)) { // 0: not set, i.e. 200
                substituted = true;
                ByteBuffer mine = body.duplicate();
                getHeaders().put(HttpHeader.CONTENT_LENGTH, Long.toString(mine.remaining()));
                super.write(true, mine, callback);
                return;
            }
            super.write(last, content, callback);
        }
    }
}
