package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;
import java.nio.ByteBuffer;

/**
 * Large public answers (the OpenAPI document, the Swagger UI assets, the metrics scrape) written without a
 * thread and without a copy: a route calls {@link #send} with a shared, read-only buffer, which the router
 * writes as the answer's only, last write (asynchronously: a client that never reads its answers, pipelining
 * requests on one connection and reading nothing, leaves a write pending on its connection, not a worker
 * thread blocked in a write; the next pipelined request is not parsed until the pending answer is written).
 * Never compressed.
 */
final class StaticBodies {
    private StaticBodies() {
    }

    /**
     * Answers {@code ctx} with {@code body} (never modified; it may be shared) of type {@code contentType}.
     * Large public answers use it: the OpenAPI document, the Swagger UI assets, the metrics scrape.
     */
    static void send(Exchange ctx, String contentType, ByteBuffer body) {
        ctx.contentType(contentType).result(body);
    }

    /** A direct read-only copy of {@code bytes}, allocated once, for {@link #send}. */
    static ByteBuffer shared(byte[] bytes) {
        return ByteBuffer.allocateDirect(bytes.length).put(bytes).flip().asReadOnlyBuffer();
    }
}
