package dev.spotapi.api;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests still waiting on something (a Spot call, a token verification) when a stop runs out of
 * time. Every asynchronous reply goes through {@link #bounded}: once {@link #abandon()} is called (just
 * before the stop timeout ends), each of them is answered at once with a JSON 503 carrying its request id,
 * and access-logged like any other answer, instead of being cut off by Jetty without a reply.
 */
public final class InFlight {
    /** The message of the 503 a request gets when the server stops before it finished. */
    static final String ABANDONED = "spot-api is shutting down and could not finish this request in time;"
            + " a change it asked for may or may not have been made in Spot: read the object before retrying";

    private final Set<CompletableFuture<?>> waiting = ConcurrentHashMap.newKeySet();
    private volatile boolean abandoned;

    /** {@code work}, or a 503 {@link ApiException} as soon as the server abandons in-flight requests. */
    <T> CompletableFuture<T> bounded(CompletableFuture<T> work) {
        if (work.isDone()) {
            return work;
        }
        CompletableFuture<T> result = new CompletableFuture<>();
        waiting.add(result);
        work.whenComplete((value, failure) -> {
            if (failure != null) {
                result.completeExceptionally(failure);
            } else {
                result.complete(value);
            }
            waiting.remove(result);
        });
        if (abandoned) {
            abandon();
        }
        return result;
    }

    /** Answers every request still waiting with 503 now; later ones are answered 503 at once. */
    public void abandon() {
        abandoned = true;
        for (CompletableFuture<?> r : waiting) {
            r.completeExceptionally(new ApiException(503, ABANDONED));
            waiting.remove(r);
        }
    }

    /** How many requests are waiting now. */
    int waiting() {
        return waiting.size();
    }
}
