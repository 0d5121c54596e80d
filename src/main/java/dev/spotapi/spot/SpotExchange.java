package dev.spotapi.spot;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.function.Function;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.client.Result;
import org.eclipse.jetty.http.HttpFields;

/**
 * One request/reply exchange with Spot on Jetty's HTTP client: hands the reply's body, part by part, to the
 * {@link ReplyReader} chosen from its status line and headers, and completes {@link #reply()} with the status,
 * the headers and what the reader made of the body, or with the failure (connection, timeout, a reader that
 * gave up). Jetty calls a listener for one exchange on one thread at a time.
 */
final class SpotExchange implements Response.Listener {
    /** A whole reply: HTTP status, headers and the body as its reader returned it. */
    record Reply(int status, HttpFields headers, Object body) {
        /** The first value of header {@code name} (case-insensitive), or null. */
        String header(String name) {
            return headers.get(name);
        }
    }

    private final Function<Response, ReplyReader<?>> readers;
    private final CompletableFuture<Reply> reply = new CompletableFuture<>();
    private ReplyReader<?> reader;
    private boolean cancelled;
    /** The reply once its head arrived (Spot has answered the request: only its body may still be on its way). */
    private volatile Response answered;

    /** {@code readers}: the reader for a reply, given its status and headers (called once per exchange). */
    SpotExchange(Function<Response, ReplyReader<?>> readers) {
        this.readers = readers;
    }

    /** Completed when the exchange ends (on a Jetty client thread). */
    CompletableFuture<Reply> reply() {
        return reply;
    }

    /**
     * Ends the exchange with {@code why} when Spot's reply head has arrived but not all of its body (a write's reply
     * whose body stalls: Spot has acted or refused, so nothing of the write can still land, and what the body holds
     * is let go; attack round 17); true when it did. An exchange still waiting for its head is left as it is.
     */
    boolean abortIfAnswered(Throwable why) {
        Response r = answered;
        return r != null && !reply.isDone() && r.abort(why).getNow(false);
    }

    @Override
    public void onHeaders(Response response) {
        answered = response;
        ReplyReader<?> r;
        try {
            r = readers.apply(response);
        } catch (RuntimeException | Error e) {
            // Jetty only logs what a listener throws: the exchange must still end, failed
            cancelled = true;
            response.abort(e);
            return;
        }
        reader = r;
        r.onSubscribe(new Flow.Subscription() {
            @Override
            public void request(long n) {
                // parts are pushed as they arrive; a reader takes them all or cancels
            }

            @Override
            public void cancel() {
                cancelled = true;
                response.abort(new CancellationException("the reply's reader stopped reading"));
            }
        });
    }

    @Override
    public void onContent(Response response, ByteBuffer content) {
        if (!cancelled && reader != null) {
            reader.onNext(List.of(content));
        }
    }

    @Override
    public void onComplete(Result result) {
        try {
            complete(result);
        } catch (RuntimeException | Error e) {
            reply.completeExceptionally(e); // Jetty only logs what a listener throws: the caller must hear of it
        }
    }

    private void complete(Result result) {
        ReplyReader<?> r = reader;
        if (result.isFailed()) {
            Throwable failure = result.getFailure();
            if (r != null) {
                // a reader that gave up knows why (the reply was too long) better than the abort it caused
                CompletableFuture<?> body = r.getBody().toCompletableFuture();
                if (body.isCompletedExceptionally()) {
                    body.whenComplete((ignored, why) -> reply.completeExceptionally(why));
                    return;
                }
                r.onError(failure);
            }
            reply.completeExceptionally(failure);
            return;
        }
        Response response = result.getResponse();
        if (r == null) {
            reply.completeExceptionally(new IllegalStateException("Spot's reply ended before its headers were read"));
            return;
        }
        r.onComplete();
        r.getBody().whenComplete((body, failure) -> {
            if (failure != null) {
                reply.completeExceptionally(failure);
            } else {
                reply.complete(new Reply(response.getStatus(), response.getHeaders(), body));
            }
        });
    }
}
