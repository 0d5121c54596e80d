package dev.spotapi.spot;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps the writes to one Spot object (one elastigroup or managed instance of one account) in order: a
 * write is sent only after every earlier write to the same object has been <em>answered by Spot</em>, not
 * merely given up on by its caller. A write whose caller was told 504 keeps its HTTP exchange open until
 * Spot answers it (or a hard limit passes), so its late landing can never overwrite a newer write that a
 * caller has been told succeeded (issue 10 item 5). In-process only: replicas do not share it.
 */
final class WriteFence {
    private static final CompletableFuture<Void> OPEN = CompletableFuture.completedFuture(null);

    private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();

    /** A place in one object's queue of writes. */
    final class Ticket {
        private final String object;
        private final CompletableFuture<Void> previous;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        private Ticket(String object, CompletableFuture<Void> previous) {
            this.object = object;
            this.previous = previous;
        }

        /** Completes when every earlier write to the object has been answered; fails after {@code waitMs}. */
        CompletableFuture<Void> turn(long waitMs) {
            return previous.isDone() ? OPEN : previous.copy().orTimeout(Math.max(1, waitMs), TimeUnit.MILLISECONDS);
        }

        /** This write is over at Spot (answered, or never sent): the next one may go once the earlier ones are. */
        void leave() {
            previous.whenComplete((ignored, failure) -> {
                done.complete(null);
                tails.remove(object, done);
            });
        }
    }

    /** Joins the queue of writes to {@code object}; the caller must {@link Ticket#leave()} exactly once. */
    Ticket enter(String object) {
        Ticket[] ticket = new Ticket[1];
        tails.compute(object, (key, tail) -> {
            ticket[0] = new Ticket(key, tail == null ? OPEN : tail);
            return ticket[0].done;
        });
        return ticket[0];
    }

    /** Objects with a write queued or in flight (for tests and metrics). */
    int size() {
        return tails.size();
    }
}
