package dev.spotapi.api;

import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.auth.TokenVerifier.Result;
import dev.spotapi.api.http.Method;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpHeaderValue;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Decides, from the request line and headers alone, whether a request's body may be read at all, before
 * a byte of it is buffered:
 * <ul>
 *   <li>a body sent to an endpoint that takes none (every public endpoint, every unknown path, reads and
 *       deletes) is never read;</li>
 *   <li>a body for an endpoint that takes one is read only once its {@code X-Auth-Token} is verified: a
 *       known token at once, another on the verifier's pool while the request waits without a thread;</li>
 *   <li>and only if it fits in the process-wide {@link BodyBudget}.</li>
 * </ul>
 * A request whose body is not read goes on to the application with an empty body, the verifier's verdict
 * (request attribute {@link #VERDICT}) and, when the budget was full, {@link #BUDGET_FULL}: {@link
 * AccessControl} answers it (403/429/503) as it would any request, and the connection is closed after the
 * answer, so the unread body is never read.
 */
final class BodyGate extends Handler.Wrapper {
    /** Request attribute: the {@link Result} of the token verification done here. */
    static final String VERDICT = "spot-api.tokenVerdict";
    /** Request attribute, present when the body was refused because the body budget was full. */
    static final String BUDGET_FULL = "spot-api.bodyBudgetFull";

    private final TokenVerifier verifier;
    private final dev.spotapi.api.http.Router router;
    private final Set<String> bodyRoutes;
    private final BodyBudget budget;
    private final long maxBodyBytes;

    /**
     * @param bodyRoutes the endpoints that take a body, as "METHOD template" ({@link Routes#bodyRoutes})
     * @param maxBodyBytes the largest body accepted (what a chunked body reserves)
     */
    BodyGate(TokenVerifier verifier, dev.spotapi.api.http.Router router, Set<String> bodyRoutes, BodyBudget budget,
            long maxBodyBytes) {
        this.verifier = verifier;
        this.router = router;
        this.bodyRoutes = bodyRoutes;
        this.budget = budget;
        this.maxBodyBytes = maxBodyBytes;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!hasBody(request)) {
            return super.handle(request, response, callback);
        }
        long length = request.getLength();
        if (!takesBody(request)) {
            return withoutBody(request, response, callback);
        }
        String token = AccessControl.token(request.getHeaders().get(AccessControl.TOKEN_HEADER),
                request.getHeaders().get(AccessControl.PORTAL_TOKEN_HEADER));
        if (verifier.knownGood(token)) {
            return admit(request, response, callback, length);
        }
        CompletableFuture<Result> verdict = verifier.verify(token, Request.getRemoteAddr(request));
        if (verdict.isDone() && !verdict.isCompletedExceptionally()) {
            return decided(request, response, callback, length, verdict.join());
        }
        // no thread waits for bcrypt: the request goes on when the verdict arrives
        verdict.whenComplete((result, failure) -> request.getContext().execute(() -> {
            Result r = failure != null || result == null
                    ? new Result(TokenVerifier.Verdict.BUSY, 1) : result;
            try {
                if (!decided(request, response, callback, length, r)) {
                    Response.writeError(request, response, callback, 404);
                }
            } catch (Throwable t) {
                Response.writeError(request, response, callback, t);
            }
        }));
        return true;
    }

    private boolean decided(Request request, Response response, Callback callback, long length, Result result)
            throws Exception {
        request.setAttribute(VERDICT, result);
        if (!result.verdict().allowed()) {
            return withoutBody(request, response, callback);
        }
        return admit(request, response, callback, length);
    }

    /**
     * A request attribute: a {@code LongConsumer} the body loader calls with the bytes the read body holds, so that a
     * chunked body's reservation (the whole limit, its length unknown) shrinks to them (attack round 12: 70 chunked
     * creates of ~300 bytes waiting on a slow Spot held 70 MiB of a 64 MiB budget and every other body was refused).
     */
    static final String HELD = "spotapi.bodyHeld";

    private boolean admit(Request request, Response response, Callback callback, long length) throws Exception {
        long reserve = length > 0 ? Math.min(length, maxBodyBytes + 1) : maxBodyBytes + 1;
        if (!budget.tryReserve(reserve)) {
            request.setAttribute(BUDGET_FULL, Boolean.TRUE);
            return withoutBody(request, response, callback);
        }
        // given back exactly once, when the handling below is done (answered or failed); cut to the bytes the
        // body really holds once it has been read (HeapBodyLoader): a chunked body reserved the whole limit
        java.util.concurrent.atomic.AtomicLong held = new java.util.concurrent.atomic.AtomicLong(reserve);
        request.setAttribute(HELD, (java.util.function.LongConsumer) bytes -> {
            long keep = Math.max(0, bytes);
            long was = held.getAndAccumulate(keep, Math::min);
            if (was > keep) {
                budget.release(was - keep);
            }
        });
        Callback releasing = new Callback.Nested(callback) {
            private void release() {
                budget.release(held.getAndSet(0));
            }

            @Override
            public void succeeded() {
                release();
                super.succeeded();
            }

            @Override
            public void failed(Throwable x) {
                release();
                super.failed(x);
            }
        };
        try {
            if (super.handle(request, response, releasing)) {
                return true;
            }
        } catch (Throwable t) {
            releasing.failed(t);
            return true;
        }
        budget.release(reserve); // not handled: Jetty answers 404 with the original callback
        return false;
    }

    /** The request has a body: a positive Content-Length or a Transfer-Encoding (chunked). */
    static boolean hasBody(Request request) {
        return request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
    }

    /** The endpoint this request is routed to takes a body (the router's own match, as {@link Access} uses it). */
    private boolean takesBody(Request request) {
        String method = request.getMethod();
        var matched = router.find(Method.of(method), request.getHttpURI().getPath());
        return matched != null && bodyRoutes.contains(matched.method.name() + ' ' + matched.path);
    }

    private boolean withoutBody(Request request, Response response, Callback callback) throws Exception {
        response.getHeaders().put(HttpHeader.CONNECTION, HttpHeaderValue.CLOSE.asString());
        return super.handle(new NoBody(request), response, callback);
    }

    /** The request as if it had no body: its content is never read (the connection closes after the answer). */
    private static final class NoBody extends Request.Wrapper {
        NoBody(Request request) {
            super(request);
        }

        @Override
        public long getLength() {
            return 0;
        }

        @Override
        public Content.Chunk read() {
            return Content.Chunk.EOF;
        }

        @Override
        public void demand(Runnable demandCallback) {
            demandCallback.run();
        }
    }
}
