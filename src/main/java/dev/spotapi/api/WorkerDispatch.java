package dev.spotapi.api;

import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The outermost handler: decides which thread serves a request. A bodiless GET or HEAD of one of the
 * {@code inlinePaths} (routes answered from memory that never block: liveness, the version) is served by the
 * thread that read it, Jetty's selector thread; every other request is handed to a worker thread of the
 * server's pool, where the rest of the handlers may block (a bcrypt verification, a Redis call, a body read)
 * exactly as before.
 *
 * <p>Why: declared blocking, Jetty hands every request from its selector thread to a worker, which costs
 * thread wake-ups and re-arms the connection's read interest each time (on this project's 2-CPU machines,
 * 3.7 futex and 1.8 epoll_ctl system calls per /ping, about a third of its CPU, docs/performance.md). Declared
 * non-blocking, the server lets the selector thread run the request itself, and the hand-off is made here,
 * only for the requests that need it.
 */
final class WorkerDispatch extends Handler.Wrapper {
    private final Set<String> inlinePaths;

    /** @param inlinePaths raw request paths (exact, e.g. {@code /v1/spot/ping}) served on the selector thread */
    WorkerDispatch(Set<String> inlinePaths) {
        this.inlinePaths = Set.copyOf(inlinePaths);
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (inline(request)) {
            return super.handle(request, response, callback);
        }
        request.getContext().execute(() -> handleOnWorker(request, response, callback));
        return true;
    }

    private void handleOnWorker(Request request, Response response, Callback callback) {
        try {
            if (!super.handle(request, response, callback)) {
                Response.writeError(request, response, callback, 404);
            }
        } catch (Throwable t) {
            // what Jetty does with a handler's exception: the error handler answers it (500 unless an HTTP error)
            Response.writeError(request, response, callback, t);
        }
    }

    /**
     * A bodiless GET/HEAD of one of the inline paths, with no further request already read behind it on its
     * connection. Pipelined requests go to a worker: the selector thread would otherwise answer them one after the
     * other without returning to its other connections (attack round 6: four connections pipelining {@code /ping}
     * held every other caller's verified read at a median of 63-322 ms, against 18-52 ms for the same flood of
     * {@code /ready}).
     */
    boolean inline(Request request) {
        String method = request.getMethod();
        if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
            return false;
        }
        if (!inlinePaths.contains(request.getHttpURI().getPath())) {
            return false;
        }
        var headers = request.getHeaders();
        return !headers.contains(HttpHeader.TRANSFER_ENCODING) && headers.getLongField(HttpHeader.CONTENT_LENGTH) <= 0
                && !pipelined(request);
    }

    /** Whether bytes of a next request are already buffered on the request's HTTP/1.1 connection. */
    private static boolean pipelined(Request request) {
        return request.getConnectionMetaData().getConnection()
                instanceof org.eclipse.jetty.server.internal.HttpConnection http && !http.isRequestBufferEmpty();
    }
}
