package dev.spotapi.api;

import java.nio.ByteBuffer;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Reads a request body completely, without holding a thread while it arrives (on demand, as Jetty's
 * EagerContentHandler does), before passing the request on; unlike that handler it copies each network
 * chunk into one heap array and releases the chunk at once. A body therefore costs its own size on the
 * heap (bounded by {@link BodyBudget}, reserved by {@link BodyGate}), never one pooled direct network
 * buffer per packet, however slowly it trickles in. A failed read (408 from {@link SlowBodyGuard}, 413
 * from the size limit) is handed on as the body, so that the application answers it.
 */
final class HeapBodyLoader extends Handler.Wrapper {
    private final long maxBodyBytes;

    /** @param maxBodyBytes the largest body accepted (a chunked body's buffer never grows past one byte more) */
    HeapBodyLoader(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!BodyGate.hasBody(request)) {
            return super.handle(request, response, callback);
        }
        new Loading(request, response, callback).read(false);
        return true;
    }

    /** One body being read; {@link #run} is its demand callback. */
    private final class Loading implements Runnable {
        private final Request request;
        private final Response response;
        private final Callback callback;
        private byte[] buffer;
        private int size;

        Loading(Request request, Response response, Callback callback) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            long declared = request.getLength();
            this.buffer = new byte[(int) Math.min(maxBodyBytes + 1, declared > 0 ? declared : 8192)];
        }

        @Override
        public void run() {
            read(true);
        }

        void read(boolean async) {
            while (true) {
                Content.Chunk chunk = request.read();
                if (chunk == null) {
                    request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk)) {
                    proceed(new Loaded(request, chunk), async);
                    return;
                }
                boolean last = chunk.isLast();
                ByteBuffer bytes = chunk.getByteBuffer();
                int n = bytes.remaining();
                if ((long) size + n > maxBodyBytes + 1) {
                    chunk.release();
                    proceed(new Loaded(request, Content.Chunk.from(
                            new org.eclipse.jetty.http.HttpException.RuntimeException(413, "request body too large"),
                            true)), async);
                    return;
                }
                if (size + n > buffer.length) {
                    buffer = java.util.Arrays.copyOf(buffer, (int) Math.min(maxBodyBytes + 1,
                            Math.max((long) size + n, 2L * buffer.length)));
                }
                bytes.get(buffer, size, n);
                size += n;
                chunk.release();
                if (last) {
                    if (request.getAttribute(BodyGate.HELD) instanceof java.util.function.LongConsumer held) {
                        held.accept(buffer.length); // what this body keeps in the heap from now on
                    }
                    proceed(new Loaded(request, Content.Chunk.from(ByteBuffer.wrap(buffer, 0, size), true)), async);
                    return;
                }
            }
        }

        private void proceed(Loaded loaded, boolean async) {
            if (async) {
                request.getContext().execute(() -> handOn(loaded));
            } else {
                handOn(loaded);
            }
        }

        private void handOn(Loaded loaded) {
            try {
                if (!getHandler().handle(loaded, response, callback)) {
                    Response.writeError(loaded, response, callback, 404);
                }
            } catch (Throwable t) {
                Response.writeError(loaded, response, callback, t);
            }
        }
    }

    /** The request with its body already read: one chunk (the bytes, or the failure), then end of content. */
    private static final class Loaded extends Request.Wrapper {
        private Content.Chunk next;

        Loaded(Request request, Content.Chunk only) {
            super(request);
            this.next = only;
        }

        @Override
        public synchronized Content.Chunk read() {
            Content.Chunk chunk = next;
            if (chunk == null) {
                return Content.Chunk.EOF;
            }
            if (!Content.Chunk.isFailure(chunk)) {
                next = null;
            }
            return chunk;
        }

        @Override
        public void demand(Runnable demandCallback) {
            demandCallback.run();
        }
    }
}
