package dev.spotapi.auth;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Where bcrypt runs: two lanes, each a {@link FairQueue} (per-address round-robin, bounded) with threads of
 * its own. Hashes of cost at most {@code cheapMaxCost} go to the cheap lane, the others to the full lane;
 * a lane's threads never take the other lane's work, so a cheap hash (the scheduler's cost 6, a client's
 * cost 10) never waits behind a running cost-14 one, and a flood of either kind costs at most its own lane's
 * threads in CPU.
 *
 * <p>Threads are started when work arrives and end after 60 s idle; each is named {@code bcrypt-...}.
 */
final class VerifyLanes implements AutoCloseable {
    private final int cheapMaxCost;
    private final Lane cheap;
    private final Lane full;

    /**
     * @param cheapMaxCost highest cost of the cheap lane
     * @param cheapThreads threads of the cheap lane
     * @param fullThreads threads of the lane for costlier hashes
     * @param queuePerLane items waiting at most in each lane
     * @param bcrypt the check itself: true when the header is a hash of the key
     */
    VerifyLanes(int cheapMaxCost, int cheapThreads, int fullThreads, int queuePerLane, Predicate<String> bcrypt) {
        this.cheapMaxCost = cheapMaxCost;
        this.cheap = new Lane("bcrypt-cheap-", cheapThreads, queuePerLane, bcrypt, this::refusedOne);
        this.full = new Lane("bcrypt-", fullThreads, queuePerLane, bcrypt, this::refusedOne);
    }

    /**
     * Queues the check of {@code header} (bcrypt cost {@code cost}) for {@code client}. The future completes
     * with the verdict on a lane thread, or is cancelled when the item is pushed out by a newcomer or the
     * lanes close. A check of a client past its failure budget ({@code pastBudget}) takes one turn in
     * {@link #PAST_BUDGET_TURN} while checks of clients within their budget wait (attack round 11: the queued checks
     * of 16 departed addresses kept a valid token waiting one turn behind each of them, ~40 s after the attack
     * stopped; round 12: without any turn, a shared address past its budget waited for every other address).
     *
     * @throws RejectedExecutionException when the lane is full and this client's queue is the longest
     */
    CompletableFuture<Boolean> submit(String client, int cost, String header, boolean pastBudget) {
        return submit(client, cost, header, pastBudget, false);
    }

    /**
     * {@link #submit(String, int, String, boolean)}; {@code clean}: the client has had no wrong verdict lately, so a
     * full lane admits it by pushing out an item of a client that had ({@link FairQueue#offer(String, int, Object,
     * boolean)}).
     */
    CompletableFuture<Boolean> submit(String client, int cost, String header, boolean pastBudget, boolean clean) {
        return (cost <= cheapMaxCost ? cheap : full).submit(client, cost, header, pastBudget, clean);
    }

    /** Items waiting in both lanes. */
    int queued() {
        return cheap.queued() + full.queued();
    }

    /** Checks refused so far because their lane had no room ({@link RejectedExecutionException} from {@link #submit}). */
    long refused() {
        return refused.get();
    }

    /** Whether a check was refused for want of room within the last {@code nanos}, or a lane's queue is full now. */
    boolean shortOfRoom(long nanos) {
        long last = lastRefusedAt;
        return (refused.get() > 0 && System.nanoTime() - last < nanos) || cheap.full() || full.full();
    }

    private final java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
    private volatile long lastRefusedAt;

    private void refusedOne() {
        lastRefusedAt = System.nanoTime();
        refused.incrementAndGet();
    }

    /** Stops both lanes; waiting items are cancelled. */
    @Override
    public void close() {
        cheap.close();
        full.close();
    }

    /** Every how many turns a check of a client past its failure budget runs while others wait: 4. */
    static final int PAST_BUDGET_TURN = 4;

    private static final class Lane {
        private final int threads;
        private final int capacity;
        private final Runnable onRefused;
        private final FairQueue<Job> waiting;
        /** Checks of clients past their failure budget: served when {@code waiting} is empty. */
        private final FairQueue<Job> pastBudget;
        /** Turns taken while checks of clients past their budget waited (see {@link #next}). */
        private long turns;
        private final ThreadPoolExecutor executor;
        private final Predicate<String> bcrypt;
        private int running;
        private boolean closed;

        Lane(String prefix, int threads, int capacity, Predicate<String> bcrypt, Runnable onRefused) {
            this.threads = threads;
            this.capacity = capacity;
            this.onRefused = onRefused;
            this.waiting = new FairQueue<>(capacity);
            this.pastBudget = new FairQueue<>(capacity);
            this.bcrypt = bcrypt;
            AtomicInteger n = new AtomicInteger();
            // never more than `threads` drainers are submitted, so the executor's own queue stays empty
            this.executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(),
                    r -> {
                        Thread t = new Thread(r, prefix + n.incrementAndGet());
                        t.setDaemon(true);
                        t.setPriority(Thread.MIN_PRIORITY);
                        return t;
                    });
            this.executor.allowCoreThreadTimeOut(true);
        }

        /** Whether the queue of clients within their budget holds as many checks as it may. */
        synchronized boolean full() {
            return waiting.size() >= capacity;
        }

        CompletableFuture<Boolean> submit(String client, int cost, String header, boolean late, boolean clean) {
            Job job = new Job(header, new CompletableFuture<>());
            FairQueue.Offer<Job> offer;
            synchronized (this) {
                if (closed) {
                    throw new RejectedExecutionException("verifier closed");
                }
                offer = (late ? pastBudget : waiting).offer(client, ClientAddress.network(client), cost, job,
                        !late && clean);
                if (offer.admitted() && running < threads) {
                    running++;
                    executor.execute(this::drain);
                }
            }
            if (!offer.admitted()) {
                onRefused.run();
                throw new RejectedExecutionException("verify queue full");
            }
            if (offer.pushedOut() != null) {
                offer.pushedOut().verdict().cancel(false); // answered BUSY, outside the lock
            }
            return job.verdict();
        }

        private void drain() {
            while (true) {
                Job job;
                synchronized (this) {
                    job = closed ? null : next();
                    if (job == null) {
                        running--;
                        return;
                    }
                }
                try {
                    job.verdict().complete(bcrypt.test(job.header()));
                } catch (RuntimeException e) {
                    job.verdict().completeExceptionally(e);
                } catch (Error e) {
                    job.verdict().completeExceptionally(e);
                    synchronized (this) {
                        running--; // this drainer ends: the next submit starts another
                    }
                    throw e;
                }
            }
        }

        /**
         * The next check: one of a client within its budget, except that every {@value #PAST_BUDGET_TURN}th turn
         * goes to a client past its budget when one waits, so that a valid token from a shared address (a NAT, an
         * ingress) whose budget others used up is served within a bounded number of turns (attack round 12), while
         * a fresh valid token never waits behind more than a few checks of departed attackers (round 11).
         * Under the lock.
         */
        private Job next() {
            boolean late = pastBudget.size() > 0 && (waiting.size() == 0 || ++turns % PAST_BUDGET_TURN == 0);
            return late ? pastBudget.poll() : waiting.poll();
        }

        synchronized int queued() {
            return waiting.size() + pastBudget.size();
        }

        void close() {
            List<Job> left;
            synchronized (this) {
                closed = true;
                left = new ArrayList<>(waiting.drain());
                left.addAll(pastBudget.drain());
            }
            executor.shutdownNow();
            for (Job job : left) {
                job.verdict().cancel(false); // answered BUSY; a cancellation is not logged as a failure
            }
        }
    }

    private record Job(String header, CompletableFuture<Boolean> verdict) {
    }
}
