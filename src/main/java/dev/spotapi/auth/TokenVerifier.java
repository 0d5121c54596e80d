package dev.spotapi.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.spotapi.config.AuthSettings;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;

/**
 * Checks an {@code X-Auth-Token} header (a bcrypt hash of the pre-shared key) against the key.
 *
 * <p>bcrypt costs tens to thousands of milliseconds of CPU, so:
 * <ul>
 *   <li>each distinct header value is verified once and the verdict remembered in a bounded cache keyed by
 *       a SHA-256 digest of the value (the raw value is never kept); a known value, right or wrong, is
 *       answered at once;</li>
 *   <li>hashes that are not bcrypt, or whose cost is outside [{@value AuthSettings#MIN_COST},
 *       {@code maxCost}], are refused without hashing;</li>
 *   <li>bcrypt runs only on {@link VerifyLanes}, never on a request thread: hashes of cost at most
 *       {@code cheapLaneMaxCost} on {@code cheapLaneThreads} threads of their own, costlier ones on
 *       {@code verifyThreads}; each lane queues at most {@code verifyQueue} tokens, one queue per client
 *       address served round-robin ({@link FairQueue}), so a few flooding addresses get no more than their
 *       turn and a new caller waits for at most one check per other waiting address; when a lane is full
 *       the newcomer pushes out the newest token of the longest queue, or, when its own queue is the
 *       longest, is answered {@link Verdict#BUSY} at once (as is a pushed-out token);</li>
 *   <li>a client is its remote address, for IPv6 its /64 ({@link ClientAddress}); each may start
 *       {@code failedVerificationsPerMinute} bcrypt runs that end in a wrong token per minute (a run is
 *       charged when it starts and refunded when the token proves right); past that its verifications run
 *       one at a time, in arrival order, with at most {@value OneAtATime#MAX_WAITING} waiting (beyond:
 *       {@link Verdict#THROTTLED}, retry after 1 s, without hashing). Not a lock-out: behind an ingress or a
 *       NAT every caller shares one address, and a valid token that nobody verified yet (a client that hashes
 *       the key for each call) is still checked, after at most that many made-up ones from there; what one
 *       address can spend past its budget is one bcrypt run at a time, in its turn among the other addresses
 *       ({@link FairQueue}).</li>
 * </ul>
 * The cache belongs to this verifier, which holds one key: a new key means a new verifier.
 */
public final class TokenVerifier implements AutoCloseable {
    /** bcrypt's smallest cost. */
    public static final int MIN_COST = AuthSettings.MIN_COST;
    /** The default cost cap (see {@link AuthSettings#maxCost()}). */
    public static final int MAX_COST = AuthSettings.DEFAULTS.maxCost();

    /**
     * Most client addresses whose allowance is remembered (for 2 minutes after their last verification). Each costs
     * ~300 bytes of heap (a Caffeine node, the address, a Bucket4j bucket; the one-at-a-time queue only once the
     * address used up its budget), so the table stays under ~1.5 MiB of the launcher's 64 MiB heap however many
     * addresses send made-up tokens (attack round 6: with room for 100,000, ~575 bytes each, made-up tokens from
     * ~90,000 addresses ended the launcher's JVM with an OutOfMemoryError). A caller with more addresses than
     * this gets a fresh allowance for an address whose entry was dropped: what bounds bcrypt's CPU then is the
     * verify lanes (threads, queue, one turn per address), as for any flood from many addresses.
     */
    static final int MAX_CLIENTS = 4_096;

    private final byte[] key;
    private final AuthSettings settings;
    private final AsyncCache<String, Boolean> verdicts;
    /**
     * Digests of the tokens verified right, apart from {@link #verdicts}: made-up tokens (which only ever land there,
     * repeated to look frequent to its eviction policy) cannot push a verified caller's verdict out, after which each
     * of its requests paid bcrypt again and, behind an address past its failure budget, was refused (attack round 14).
     * Only holders of the key can make right tokens, so this bound is never reached by an attacker.
     */
    private final Cache<String, Boolean> accepted;
    /** Most right tokens remembered apart ({@link #accepted}): each portal service sends one or a few. */
    static final int MAX_ACCEPTED = 1_024;
    private final Cache<String, Allowance> failuresByClient;
    /** Every client's budget of failed verifications (immutable: one for all buckets). */
    private final Bandwidth failureBudget;
    private final VerifyLanes lanes;

    /** A verifier with the default {@link AuthSettings}. */
    public TokenVerifier(String preSharedKey) {
        this(preSharedKey, AuthSettings.DEFAULTS);
    }

    public TokenVerifier(String preSharedKey, AuthSettings settings) {
        this.key = preSharedKey.getBytes(StandardCharsets.UTF_8);
        this.settings = settings;
        this.lanes = new VerifyLanes(settings.cheapLaneMaxCost(), settings.cheapLaneThreads(), settings.verifyThreads(),
                settings.verifyQueue(), this::bcrypt);
        this.verdicts = Caffeine.newBuilder()
                .executor(Runnable::run) // evict on the calling thread: the bound holds without a background pool
                .maximumSize(settings.cachedVerdicts())
                .expireAfterAccess(Duration.ofHours(1))
                .buildAsync();
        this.accepted = Caffeine.newBuilder()
                .executor(Runnable::run)
                .maximumSize(MAX_ACCEPTED)
                .expireAfterAccess(Duration.ofHours(1))
                .build();
        this.failuresByClient = Caffeine.newBuilder()
                .executor(Runnable::run) // evict on the calling thread: the bound holds without a background pool
                .maximumSize(MAX_CLIENTS)
                .expireAfterAccess(Duration.ofMinutes(2))
                .build();
        this.failureBudget = Bandwidth.builder().capacity(settings.failedVerificationsPerMinute())
                .refillGreedy(settings.failedVerificationsPerMinute(), Duration.ofMinutes(1)).build();
    }

    /** The settings this verifier enforces. */
    public AuthSettings settings() {
        return settings;
    }

    /**
     * The verdict on {@code header} for a request from {@code client} (its remote address). Completes at
     * once unless bcrypt has to run; then it completes on the verify pool, never blocking the caller.
     */
    public CompletableFuture<Result> verify(String header, String client) {
        if (header == null || header.isEmpty()) {
            return done(Verdict.MISSING);
        }
        String digest = digest(header);
        if (accepted.getIfPresent(digest) != null) {
            return CompletableFuture.completedFuture(Result.of(true));
        }
        CompletableFuture<Boolean> known = verdicts.getIfPresent(digest);
        if (known != null) {
            return known.handle((ok, failure) -> failure != null ? Result.BUSY : accepted(digest, ok));
        }
        int cost = BcryptHeader.cost(header);
        if (cost < 0) {
            return done(Verdict.MALFORMED);
        }
        if (cost < MIN_COST || cost > settings.maxCost()) {
            return done(Verdict.COST_REFUSED);
        }
        String clientKey = ClientAddress.key(client);
        Allowance allowance = failuresByClient.get(clientKey, c -> new Allowance(Bucket.builder()
                .addLimit(failureBudget).build()));
        // within the budget: charged now, refunded unless the token proves wrong
        if (allowance.budget.tryConsume(1)) {
            return verifyNow(digest, clientKey, cost, header, false, !allowance.wronged).thenApply(result -> {
                if (result.verdict() != Verdict.WRONG) {
                    allowance.budget.addTokens(1);
                } else {
                    allowance.wronged = true;
                }
                return result;
            });
        }
        // past it: one run at a time, in arrival order
        CompletableFuture<Result> inTurn = allowance.pastBudget().inTurn(() -> verifyNow(digest, clientKey, cost, header,
                true, false));
        return inTurn != null ? inTurn : CompletableFuture.completedFuture(new Result(Verdict.THROTTLED, 1));
    }

    /**
     * bcrypt on the lanes now (or the running verification of the same header): never throws. {@code pastBudget}: the
     * client used up its failure budget, its check waits for those of clients within theirs; {@code clean}: the client
     * has had no wrong verdict while its allowance is remembered (a full lane then admits it, {@link VerifyLanes}).
     */
    private CompletableFuture<Result> verifyNow(String digest, String clientKey, int cost, String header,
            boolean pastBudget, boolean clean) {
        CompletableFuture<Boolean> running;
        try {
            running = verdicts.get(digest, (d, unused) -> lanes.submit(clientKey, cost, header, pastBudget, clean));
        } catch (RejectedExecutionException full) {
            return CompletableFuture.completedFuture(Result.BUSY);
        }
        return running.handle((ok, failure) -> failure != null ? Result.BUSY : accepted(digest, ok));
    }

    /** {@code ok}'s result, a right token's digest remembered in {@link #accepted}. */
    private Result accepted(String digest, Boolean ok) {
        if (Boolean.TRUE.equals(ok)) {
            accepted.put(digest, Boolean.TRUE);
        }
        return Result.of(ok);
    }

    /**
     * A client's allowance: {@code budget}, the bcrypt runs that may end in a wrong token (per minute), and
     * past it {@code pastBudget}, its verifications one at a time.
     */
    private static final class Allowance {
        final Bucket budget;
        /** A verification of this client ended in a wrong token while the allowance is remembered (2 min idle). */
        volatile boolean wronged;
        private OneAtATime pastBudget; // made on first need: most addresses never use up their budget

        Allowance(Bucket budget) {
            this.budget = budget;
        }

        synchronized OneAtATime pastBudget() {
            if (pastBudget == null) {
                pastBudget = new OneAtATime();
            }
            return pastBudget;
        }
    }

    /** Client addresses whose allowance is remembered now (at most {@link #MAX_CLIENTS}). */
    long clientsRemembered() {
        failuresByClient.cleanUp();
        return failuresByClient.estimatedSize();
    }

    /**
     * Verifications of one client past its budget: one runs at a time and at most {@value #MAX_WAITING} wait
     * for their turn, in arrival order (a valid token waits behind at most that many made-up ones, never
     * refused while there is room); beyond that, none is taken. One that waited {@link #MAX_WAIT_NANOS} for its
     * turn is answered busy without running: its caller has most likely given up (attack round 11: an attacker's
     * queued checks kept bcrypt busy ~40 s after every one of its connections had closed).
     */
    static final class OneAtATime {
        static final int MAX_WAITING = 8;
        /** The longest a check waits for its turn here: 5 s. */
        static final long MAX_WAIT_NANOS = TimeUnit.SECONDS.toNanos(5);
        private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
        private boolean running;

        /** A check waiting for its turn: {@code start} runs it, {@code result} is its caller's answer. */
        private record Waiting(Runnable start, CompletableFuture<Result> result, long since) {
        }

        /** {@code work}'s result once it has had its turn, or null when {@value #MAX_WAITING} already wait. */
        CompletableFuture<Result> inTurn(Supplier<CompletableFuture<Result>> work) {
            CompletableFuture<Result> result = new CompletableFuture<>();
            Runnable start = () -> {
                CompletableFuture<Result> running;
                try {
                    running = work.get();
                } catch (RuntimeException e) { // never leave the turn taken: the address would wait forever
                    running = CompletableFuture.completedFuture(Result.BUSY);
                }
                running.whenComplete((r, failure) -> {
                    next();
                    result.complete(failure != null ? Result.BUSY : r);
                });
            };
            synchronized (this) {
                if (running) {
                    if (waiting.size() >= MAX_WAITING) {
                        return null;
                    }
                    waiting.add(new Waiting(start, result, System.nanoTime()));
                    return result;
                }
                running = true;
            }
            start.run();
            return result;
        }

        private void next() {
            while (true) {
                Waiting following;
                synchronized (this) {
                    following = waiting.poll();
                    running = following != null;
                }
                if (following == null) {
                    return;
                }
                if (System.nanoTime() - following.since() <= MAX_WAIT_NANOS) {
                    following.start().run();
                    return;
                }
                following.result().complete(Result.BUSY);
            }
        }
    }

    /** True when this header is already known to be right: the caller needs no verification at all. */
    public boolean knownGood(String header) {
        if (header == null || header.isEmpty()) {
            return false;
        }
        String digest = digest(header);
        if (accepted.getIfPresent(digest) != null) {
            return true;
        }
        CompletableFuture<Boolean> known = verdicts.getIfPresent(digest);
        return known != null && known.isDone() && !known.isCompletedExceptionally() && known.join();
    }

    /** Blocking form of {@link #verify} without a client limit, for tools and tests. */
    public Verdict check(String header) {
        try {
            return verify(header, "local-" + Thread.currentThread().getId()).join().verdict();
        } catch (CompletionException e) {
            return Verdict.BUSY;
        }
    }

    /** How many verdicts are remembered now (for tests and metrics). */
    public long cachedVerdicts() {
        verdicts.synchronous().cleanUp();
        return verdicts.synchronous().estimatedSize();
    }

    /** Tokens waiting for a verify thread now, both lanes. */
    public int queued() {
        return lanes.queued();
    }

    /** Tokens refused so far (503) because their verify lane had no room. */
    public long refusedForRoom() {
        return lanes.refused();
    }

    /**
     * Whether new tokens are being turned away for want of room: one was refused within the last 10 s, or a lane's
     * queue is full now (attack round 22: {@code /health} compared the total waiting in all four queues with twice
     * one queue's size, and said UP while one lane refused every new token).
     */
    public boolean shortOfRoom() {
        return lanes.shortOfRoom(java.util.concurrent.TimeUnit.SECONDS.toNanos(10));
    }

    private boolean bcrypt(String header) {
        return BCrypt.verifyer().verify(key, header.getBytes(StandardCharsets.UTF_8)).verified;
    }

    private static CompletableFuture<Result> done(Verdict verdict) {
        return CompletableFuture.completedFuture(new Result(verdict, 0));
    }

    /**
     * The cache key of a header value: its SHA-256 digest, the 32 bytes as a 32-character string (one char per
     * byte: a key, never shown). The digest is cloned from a prototype: looking SHA-256 up among the security
     * providers on every request cost more than hashing the value.
     */
    private static String digest(String header) {
        try {
            MessageDigest sha = (MessageDigest) SHA256.clone();
            return new String(sha.digest(header.getBytes(StandardCharsets.UTF_8)), StandardCharsets.ISO_8859_1);
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digests are cloneable", e);
        }
    }

    private static final MessageDigest SHA256 = sha256();

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    /** Hash a key as a client would, for the {@code hash-token} command and the sandbox banner. */
    public static String hash(String key, int cost) {
        return BCrypt.withDefaults().hashToString(cost, key.toCharArray());
    }

    /** Stops the verify threads; verifications still queued complete as {@link Verdict#BUSY}. */
    @Override
    public void close() {
        lanes.close();
    }

    /** What the verification found, and for THROTTLED and BUSY how many seconds to wait ({@code Retry-After}). */
    public record Result(Verdict verdict, long retryAfterSeconds) {
        static final Result OK = new Result(Verdict.OK, 0);
        static final Result WRONG = new Result(Verdict.WRONG, 0);
        static final Result BUSY = new Result(Verdict.BUSY, 1);

        static Result of(boolean ok) {
            return ok ? OK : WRONG;
        }
    }

    public enum Verdict {
        OK, MISSING, MALFORMED, COST_REFUSED, WRONG,
        /** This client used up its failed verifications for now (answer 429). */
        THROTTLED,
        /** The verify lane is full, or this token was pushed out of it by a newer caller (answer 503). */
        BUSY;

        public boolean allowed() {
            return this == OK;
        }
    }
}
