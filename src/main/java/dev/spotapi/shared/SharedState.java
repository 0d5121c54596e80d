package dev.spotapi.shared;

import java.time.Duration;

/**
 * What every replica of spot-api must agree on: the {@code Idempotency-Key} records and the Spot rate
 * budget. {@link EmbeddedSharedState} keeps both in this process (one replica, the default);
 * {@link RedisSharedState} keeps them in Redis for several replicas ({@code sharedState.redisUrl}).
 *
 * <p>Idempotency records are keyed by a hash of the caller's key (never the key itself) and hold the
 * request's fingerprint, a state (in flight, uncertain, done) and, once done, the stored answer.
 */
public interface SharedState extends AutoCloseable {

    /**
     * Claims {@code key} for a request with {@code fingerprint}: atomically creates an in-flight record
     * (lease until {@code leaseUntilMillis}, epoch ms) when none exists, or takes over one whose earlier
     * attempt ended uncertain or whose lease ran out (its replica died, or was paused past it). A claim that
     * owns the key ({@link Outcome#NEW}, {@link Outcome#RESUMED}) carries a new {@link Claim#owner} token: the
     * record's later changes name it, and are ignored once another claim took the key over.
     *
     * @throws SharedStateUnavailableException when the store cannot be reached (Redis down)
     */
    Claim claim(String key, String fingerprint, long leaseUntilMillis, Duration ttl);

    /**
     * Stores the answer of {@code owner}'s claimed request; replays return it until {@code ttl} has passed.
     * Nothing when another claim owns the key now.
     */
    void complete(String key, String owner, StoredReply reply, Duration ttl);

    /**
     * {@code owner}'s claimed request may have changed something but its outcome is not known: a retry must
     * check. Nothing when another claim owns the key now.
     */
    void markUncertain(String key, String owner, Duration ttl);

    /**
     * {@code owner}'s claimed request certainly changed nothing: forget the claim so the key can be used again.
     * Nothing when another claim owns the key now.
     */
    void release(String key, String owner);

    /**
     * Extends {@code owner}'s claim of {@code key} (still in flight) to {@code leaseUntilMillis}: true when it
     * still owns it, false when another claim took it over (or it ended). A request checks this right before a
     * change it must not make twice (a keyed create after its look-up): a replica paused past its lease and
     * resumed must not create what the retry on another replica created.
     *
     * @throws SharedStateUnavailableException when the store cannot be reached
     */
    boolean renewClaim(String key, String owner, long leaseUntilMillis);

    /**
     * Remembers that spot-api deleted (or sent the delete of, with its outcome unknown) the object named by
     * {@code object} at {@code atMillis} (epoch ms), for {@code ttl}; the store keeps a bounded number of
     * these. Never throws: when the store cannot be reached the record is lost (and logged).
     */
    void recordDeleted(String object, long atMillis, Duration ttl);

    /**
     * When spot-api deleted {@code object} (epoch ms), if that was recorded and {@code ttl} has not passed;
     * empty otherwise, and when the store cannot be reached. Never throws.
     */
    java.util.OptionalLong deletedAt(String object);

    /**
     * Adds (or replaces) the entry {@code entryId} of {@code ledger} (a JSON text; the cost ledger keeps one per
     * account and org: {@link dev.spotapi.cost.CostLedger}), kept for {@code ttl}. The store keeps a bounded
     * amount of them (embedded: {@link EmbeddedSharedState#MAX_LEDGER_BYTES}, the oldest of the largest ledger first, which then answers incomplete; Redis: up to
     * the server's memory). Never throws: false when the store cannot be reached (nothing written; logged), so that
     * the caller can keep the entry and write it again later.
     */
    boolean putLedgerEntry(String ledger, String entryId, String entry, Duration ttl);

    /**
     * Every entry of {@code ledger} whose {@code ttl} has not passed, in no particular order.
     *
     * @throws SharedStateUnavailableException when the store cannot be reached, or (embedded) when entries of this
     *                                         ledger were evicted before their TTL: the answer would be incomplete
     */
    java.util.List<String> ledgerEntries(String ledger);

    /**
     * Takes one call from the budget {@code bucket} ({@code perWindow} calls per {@code window}), unless
     * {@code holdBucket} is held (see {@link #hold}: Spot's hold, kept per Spot account, while budgets are per
     * configured name). Never throws: when a shared store is down, a local budget of the same size stands in
     * (fail open, per replica).
     *
     * @return {@link Duration#ZERO} when the call may go ahead, else how long until it may
     */
    Duration tryTake(String bucket, String holdBucket, long perWindow, Duration window);

    /** Holds every call of {@code bucket} for {@code duration} (Spot said the budget is spent). */
    void hold(String bucket, Duration duration);

    /**
     * The current write mark of {@code scope} (one Spot account): a value that changes whenever any replica
     * calls {@link #markWritten} for it. Readers put it in the key under which identical reads in flight share
     * one Spot call, so that a read never joins one that started before a write acknowledged by any replica.
     * Never throws: when the store cannot be reached, a value that matches no other is answered (no sharing).
     */
    String writeMark(String scope);

    /** A write to an object of {@code scope} was answered by Spot: changes {@link #writeMark}. Never throws. */
    void markWritten(String scope);

    /**
     * Tries to take the cluster-wide write lease on {@code object} for {@code owner} (a token unique to the
     * caller) until {@code lease} has passed, unless another owner holds it. Embedded: always true (the
     * in-process fence orders writes). When the store cannot be reached: true (fail open, ordering per replica
     * only while it is down; logged).
     *
     * @return whether {@code owner} holds the lease now
     */
    boolean tryLease(String object, String owner, Duration lease);

    /** Extends {@code owner}'s lease on {@code object}; false when it no longer holds it. Never throws. */
    boolean renewLease(String object, String owner, Duration lease);

    /**
     * The check a write inside a fence makes just before it is sent: whether {@code owner} still holds {@code object}'s
     * lease, extended by {@code lease}. False only when the store says the lease is gone or another's (this replica
     * stalled past it); true when the store cannot be reached, and for a lease {@link #tryLease} granted while it could
     * not (ordering per replica only then, as there). Never throws.
     */
    default boolean confirmLease(String object, String owner, Duration lease) {
        return renewLease(object, owner, lease);
    }

    /** Ends {@code owner}'s lease on {@code object} (nothing when another owner holds it). Never throws. */
    void releaseLease(String object, String owner);

    /**
     * When the store last lost its data while replicas were running (epoch ms: Redis restarted without persistence,
     * failed over to an empty replica, or was flushed; seen for 400 days, the cost ledger's retention), or empty.
     * What was written before then and only lived in the store (the cost ledger's entries) is gone.
     *
     * @throws SharedStateUnavailableException when the store cannot be reached
     */
    default java.util.OptionalLong lostDataAt() {
        return java.util.OptionalLong.empty();
    }

    /** Whether the records survive a restart of this process and are seen by other replicas. */
    boolean durable();

    /** Whether the store can be reached right now (for logs, metrics and tests). */
    boolean reachable();

    @Override
    void close();

    /**
     * The outcome of {@link #claim}; {@code owner} is the claim's token when it owns the key ({@link Outcome#NEW},
     * {@link Outcome#RESUMED}), else null.
     */
    record Claim(Outcome outcome, StoredReply reply, long leaseUntilMillis, String owner) {
        public static Claim of(Outcome outcome) {
            return new Claim(outcome, null, 0, null);
        }

        /** A claim that owns the key, with a new owner token. */
        public static Claim owning(Outcome outcome) {
            return new Claim(outcome, null, 0, java.util.UUID.randomUUID().toString());
        }
    }

    /** What a claim found. */
    enum Outcome {
        /** No record: this request owns the key now. */
        NEW,
        /** An earlier attempt may have acted and did not finish cleanly: this request owns the key now. */
        RESUMED,
        /** Another request with this key is running ({@code leaseUntilMillis} says until when at most). */
        IN_FLIGHT,
        /** The request was answered before: {@code reply} is the stored answer. */
        DONE,
        /** The key was used for a different request. */
        MISMATCH
    }

    /** A stored answer: status, content type and body bytes. */
    record StoredReply(int status, String contentType, byte[] body, String headers) {
        /** A reply without headers of its own to replay. */
        public StoredReply(int status, String contentType, byte[] body) {
            this(status, contentType, body, "");
        }

        /**
         * @param headers the answer's headers a replay repeats ({@code dev.spotapi.idempotency.Idempotency#REPLAYED_HEADERS}),
         *                as {@code "Name: value"} lines joined by {@code '\n'}; empty when none
         */
        public StoredReply {
            headers = headers == null ? "" : headers;
        }
    }
}
