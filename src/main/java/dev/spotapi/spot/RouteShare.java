package dev.spotapi.spot;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many exchanges with Spot one route template of one account ({@code GET /aws/ec2/managedInstance/{id}}) may
 * have open at once: a share of the Spot client's connections ({@link SpotHttp#MAX_CONNECTIONS}), so that one caller's
 * many slow calls of one route never take every connection and keep other routes' calls waiting for them (attack
 * round 12: 320 slow reads of distinct instances made another caller's group list wait ~2.1 s instead of 30-85 ms).
 * A call past the share waits for one of its route's exchanges to end, in arrival order, at most until its deadline.
 */
final class RouteShare {
    /** Exchanges one route may have open at once: three quarters of the connections. */
    static final int PER_ROUTE = SpotHttp.MAX_CONNECTIONS * 3 / 4;

    private final int limit;
    private final ConcurrentHashMap<String, Route> routes = new ConcurrentHashMap<>();

    /** @param limit exchanges one route may have open at once, at least 1 */
    RouteShare(int limit) {
        this.limit = Math.max(1, limit);
    }

    /** One route's open exchanges and the calls waiting for one of them to end. */
    private static final class Route {
        final AtomicInteger open = new AtomicInteger();
        final ConcurrentLinkedQueue<CompletableFuture<Runnable>> waiting = new ConcurrentLinkedQueue<>();
    }

    /**
     * Completes with the action that gives the place back (run it once, when the exchange ends) as soon as
     * {@code route} has room; fails with a {@link java.util.concurrent.TimeoutException} at {@code deadlineNanos}
     * ({@link System#nanoTime()} terms) when it had none by then.
     */
    CompletableFuture<Runnable> enter(String route) {
        Route r = routes.computeIfAbsent(route, k -> new Route());
        if (tryTake(r)) {
            return CompletableFuture.completedFuture(leave(r));
        }
        CompletableFuture<Runnable> mine = new CompletableFuture<>();
        r.waiting.add(mine);
        if (tryTake(r)) { // an exchange ended between the look and the queueing: hand its place on
            handOn(r, leave(r));
        }
        return mine;
    }

    /** {@link #enter}, giving up at {@code deadlineNanos}. */
    CompletableFuture<Runnable> enter(String route, long deadlineNanos) {
        CompletableFuture<Runnable> entered = enter(route);
        if (entered.isDone()) {
            return entered;
        }
        long ms = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime()));
        CompletableFuture<Runnable> bounded = new CompletableFuture<>();
        entered.whenComplete((leave, failure) -> {
            if (failure == null && !bounded.complete(leave)) {
                leave.run();
            }
        });
        CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS).execute(() -> {
            // the wait is given up before the caller hears of it: no place can still be handed to it afterwards
            // (before, a place freed just after the caller's timeout went to the call that had given up, for a moment)
            if (entered.cancel(false)) {
                bounded.completeExceptionally(new java.util.concurrent.TimeoutException());
            } // else it was given a place as the wait ended: entered's completion hands it on
        });
        return bounded;
    }

    private boolean tryTake(Route r) {
        for (int now = r.open.get(); now < limit; now = r.open.get()) {
            if (r.open.compareAndSet(now, now + 1)) {
                return true;
            }
        }
        return false;
    }

    /** The action that ends one exchange of {@code r}: its place goes to the first waiting call, or back. */
    private Runnable leave(Route r) {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return () -> {
            if (done.compareAndSet(false, true)) {
                handOn(r, null);
            }
        };
    }

    /** Gives a place (taken: {@code leave} already made, else the one just freed) to the first call still waiting. */
    private void handOn(Route r, Runnable leave) {
        for (CompletableFuture<Runnable> next = r.waiting.poll(); next != null; next = r.waiting.poll()) {
            Runnable place = leave != null ? leave : leave(r);
            if (next.complete(place)) {
                return;
            }
            leave = place; // that one gave up: the same place to the next
        }
        r.open.decrementAndGet();
    }

    /** Exchanges open on {@code route} (tests). */
    int open(String route) {
        Route r = routes.get(route);
        return r == null ? 0 : r.open.get();
    }
}
