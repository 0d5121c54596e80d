package dev.spotapi.spot;

import dev.spotapi.shared.SharedState;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps the writes to one Spot object (one elastigroup or managed instance of one account) in order: a
 * write is sent only after every earlier write to the same object has been <em>answered by Spot</em>, not
 * merely given up on by its caller. A write whose caller was told 504 keeps its HTTP exchange open until
 * Spot answers it or closes the connection (no time limit: a limit would let a newer write go while the
 * older one may still land), so its late landing can never overwrite a newer write that a caller has been
 * told succeeded (issue 10 item 5, issue 20).
 *
 * <p>Two layers: an in-process queue per object (first come, first served) and, for the write at the head
 * of the queue, a cluster-wide lease on the object in {@link SharedState} ({@link SharedState#tryLease}),
 * renewed while its exchange is open and released when it ends. With Redis the replicas so share one fence;
 * a replica that dies loses its lease after {@link #LEASE}. Embedded: the lease is always granted.
 */
final class WriteFence {
    /** How long a lease lasts without renewal (a dead replica's writes block the object at most this long). */
    static final Duration LEASE = Duration.ofSeconds(10);
    private static final CompletableFuture<Void> OPEN = CompletableFuture.completedFuture(null);

    private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
    private final SharedState shared;
    private final String scope;
    private final ScheduledExecutorService scheduler;
    private final String owners = java.util.UUID.randomUUID().toString();
    private final AtomicLong tickets = new AtomicLong();

    /**
     * @param shared    where the cluster-wide leases live
     * @param scope     the Spot account the objects belong to (its id): part of every lease's name
     * @param scheduler runs lease renewals and the pauses between lease attempts
     */
    WriteFence(SharedState shared, String scope, ScheduledExecutorService scheduler) {
        this.shared = shared;
        this.scope = scope;
        this.scheduler = scheduler;
    }

    /** A place in one object's queue of writes. */
    final class Ticket {
        private final String object;
        private final String lease;
        private final String owner = owners + ':' + tickets.incrementAndGet();
        private final CompletableFuture<Void> previous;
        private final CompletableFuture<Void> done = new CompletableFuture<>();
        private boolean held;
        private boolean left;
        private ScheduledFuture<?> renewal;

        private Ticket(String object, CompletableFuture<Void> previous) {
            this.object = object;
            this.lease = scope + ':' + object;
            this.previous = previous;
        }

        /**
         * Completes when every earlier write to the object has been answered, in this process and (lease)
         * in every replica; fails with a {@link TimeoutException} after {@code waitMs}.
         */
        CompletableFuture<Void> turn(long waitMs) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, waitMs));
            CompletableFuture<Void> local = previous.isDone() ? OPEN
                    : previous.copy().orTimeout(Math.max(1, waitMs), TimeUnit.MILLISECONDS);
            return local.thenCompose(ready -> {
                CompletableFuture<Void> leased = new CompletableFuture<>();
                acquire(leased, deadline, 10);
                return leased;
            });
        }

        private void acquire(CompletableFuture<Void> leased, long deadline, long pauseMs) {
            synchronized (this) {
                if (left) {
                    leased.completeExceptionally(new TimeoutException("left"));
                    return;
                }
                if (shared.tryLease(lease, owner, LEASE)) {
                    held = true;
                    if (shared.durable()) { // a lease other processes see: keep it while the write is open
                        long every = LEASE.toMillis() / 3;
                        renewal = scheduler.scheduleAtFixedRate(() -> shared.confirmLease(lease, owner, LEASE),
                                every, every, TimeUnit.MILLISECONDS);
                    }
                    leased.complete(null);
                    return;
                }
            }
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                leased.completeExceptionally(new TimeoutException("another replica's write to " + object));
                return;
            }
            try {
                scheduler.schedule(() -> acquire(leased, deadline, Math.min(200, pauseMs * 2)), Math.min(left, pauseMs),
                        TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                leased.completeExceptionally(new TimeoutException("shutting down"));
            }
        }

        /** The object this ticket queues for. */
        String object() {
            return object;
        }

        /**
         * Whether this ticket still holds the object's lease, asked of the shared state again (and the lease extended)
         * just before a write inside the fence is sent: a replica that stalled (a long GC pause, SIGSTOP, a starved
         * host) past {@link #LEASE} while its read was out must not send the write its stale read decided, another
         * replica's write may have come between (attack round 13). Always true embedded (one process), and while Redis
         * cannot be reached ({@link SharedState#confirmLease}: leases are then granted per replica).
         */
        boolean stillHeld() {
            synchronized (this) {
                if (!held || left) {
                    return false;
                }
            }
            return !shared.durable() || shared.confirmLease(lease, owner, LEASE);
        }

        /** This write is over at Spot (answered, or never sent): the next one may go once the earlier ones are. */
        void leave() {
            boolean release;
            synchronized (this) {
                left = true;
                release = held;
                held = false;
                if (renewal != null) {
                    renewal.cancel(false);
                }
            }
            if (release) {
                shared.releaseLease(lease, owner);
            }
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

    private final Object enteringMany = new Object();

    /**
     * Joins the queues of every object of {@code objects} (sorted) at once: two writes naming some of the same
     * objects queue in the same order on each of them, so neither waits for the other in a cycle (their turns are
     * then taken object by object in that order, the leases too). The caller leaves every ticket exactly once.
     */
    java.util.List<Ticket> enterAll(java.util.List<String> objects) {
        synchronized (enteringMany) {
            return objects.stream().sorted().distinct().map(this::enter).toList();
        }
    }

    /** Objects with a write queued or in flight (for tests and metrics). */
    int size() {
        return tails.size();
    }
}
