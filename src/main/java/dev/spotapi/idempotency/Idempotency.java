package dev.spotapi.idempotency;

import dev.spotapi.api.ApiException;
import dev.spotapi.shared.SharedState;
import dev.spotapi.shared.SharedState.Claim;
import dev.spotapi.shared.SharedState.Outcome;
import dev.spotapi.shared.SharedState.StoredReply;
import dev.spotapi.shared.SharedStateUnavailableException;
import dev.spotapi.spot.Correlation;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Handler;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Idempotency-Key} header (IETF httpapi draft "The Idempotency-Key HTTP Header Field", with
 * Stripe's semantics) for every route the route table marks: one wrapper around the handler plus one
 * after-handler that stores the answer.
 *
 * <ul>
 * <li>No key: the request runs as usual (its create still gets a random correlation tag).</li>
 * <li>First use of a key: the request runs; a 2xx answer is stored for {@code ttl} (default 24 h) with
 *     the request's fingerprint (method, path with account and id, query, SHA-256 of the body).</li>
 * <li>Same key, same request: the stored answer is replayed (same status and body, header
 *     {@code Idempotency-Replayed: true}); Spot is not called.</li>
 * <li>Same key, another request: 422. Same key while the first is still running: 409 with
 *     {@code Retry-After}. Key not 1-255 printable ASCII characters: 400.</li>
 * <li>An answer that certainly changed nothing (4xx, or a Spot failure before anything was sent) is not
 *     stored: the key can be used again. An answer that may have changed something (502/504 after the
 *     request reached Spot): for a {@link Mode#CREATE} the key is marked uncertain; every keyed create (a
 *     first claim too: the store may have lost an earlier record) first looks for the object by the
 *     correlation tag derived from the key; for an {@link Mode#ACTION} the answer is
 *     stored and replayed, so the action never runs twice (Stripe does the same with its 500s).</li>
 * <li>An earlier attempt that never recorded an answer (its replica or process stopped while it ran, and
 *     its lease ran out): a create runs again (it looks for its correlation tag first); an action does not
 *     (Spot may have carried it out, and nothing in Spot tells): 502, stored and replayed like the above.</li>
 * <li>The store cannot be reached (Redis down): 503 with {@code Retry-After}, nothing runs (fail closed).</li>
 * </ul>
 * Records are keyed by SHA-256 of the org and the key, so the key itself is never stored.
 */
public final class Idempotency {
    /** The request header. */
    public static final String HEADER = "Idempotency-Key";
    /** The response header on a replayed answer. */
    public static final String REPLAYED = "Idempotency-Replayed";
    /** Set by {@link dev.spotapi.api} when a failure is known not to have changed anything in Spot. */
    public static final String NOTHING_CHANGED = "spot-api.nothingChanged";
    /**
     * Request attribute: Spot changed something although the answer is an error (an update written, then its roll
     * refused): the answer is stored for the key whatever its status, so that a retry never writes again (attack
     * round 9: the retry rewrote the update over a later change).
     */
    public static final String SOMETHING_CHANGED = "spot-api.somethingChanged";

    private static final Logger LOG = LoggerFactory.getLogger(Idempotency.class);
    private static final dev.spotapi.log.Throttle UNREACHABLE_WARNINGS = new dev.spotapi.log.Throttle(10_000);
    private static final String CLAIM = "spot-api.idempotency.claim";
    private static final String CORRELATION = "spot-api.correlation";
    private static final String WRITE_FENCE = "spot-api.idempotency.writeFence";

    /** How a marked route treats an outcome that is in doubt. */
    public enum Mode {
        /** A create: retried after doubt, because the retry looks for the object by its correlation tag first. */
        CREATE,
        /** Any other action (power, capacity, scale): the doubtful answer is stored and replayed. */
        ACTION
    }

    /**
     * What the after-handler needs to finish a claimed request; {@code kept} renews the claim's lease while the request
     * runs ({@link #keepClaimed}).
     */
    private record Claimed(String key, Mode mode, boolean resumed, String owner, Kept kept) {
    }

    /**
     * The renewal of a claim's lease while its request runs, every third of the lease, for at most
     * {@link #MAX_RENEWED_LEASES} leases (a request that never reaches its after step cannot hold its key for good): a
     * live request may take longer than one lease (the org check's read, then a write that waits for its object's fence
     * and Spot, each within its own deadline), and a retry must then find it in flight (409), not take it over as
     * interrupted (attack round 22: the retry was told the action was interrupted while it still ran; the caller
     * repeated it with a new key and the group was scaled twice).
     */
    private static final class Kept {
        private final java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);
        private volatile java.util.concurrent.ScheduledFuture<?> renewal;

        void end() {
            open.set(false);
            java.util.concurrent.ScheduledFuture<?> r = renewal;
            if (r != null) {
                r.cancel(false);
            }
        }
    }

    /** How many leases a running request's claim is renewed for at most ({@link Kept}). */
    static final int MAX_RENEWED_LEASES = 8;

    private final SharedState state;
    private final Duration ttl;
    private final long leaseMs;
    private final String org;

    /**
     * @param state   where records live
     * @param ttl     how long keys and answers are kept
     * @param leaseMs how long a running request holds its key at most (longer than any request can run)
     * @param org     the configured org: records of deployments of other orgs sharing one Redis never mix
     */
    public Idempotency(SharedState state, Duration ttl, long leaseMs, String org) {
        this.state = state;
        this.ttl = ttl;
        this.leaseMs = leaseMs;
        this.org = org;
    }

    /** The shared state the records live in (also used by other per-request records, e.g. deleted objects). */
    public SharedState state() {
        return state;
    }

    /**
     * The before-matched step of the routes that take a key ({@code keyedRoutes}: "METHOD /path-template" → mode),
     * before the org check and everything else that may read Spot: a malformed {@value #HEADER} is a 400; a key
     * already answered is replayed at once, its stored answer as it was, with no Spot call and nothing else run
     * but the after steps (attack round 9: a replay needed the org check's read, so a Spot outage or the object's
     * later delete turned a stored 200 into a 502 or a 404); a new one is claimed for this request.
     */
    public Handler claimFirst(java.util.Map<String, Mode> keyedRoutes) {
        return ctx -> {
            var endpoint = ctx.endpoint();
            String given = ctx.header(HEADER);
            if (given == null || endpoint == null) {
                return;
            }
            Mode mode = keyedRoutes.get(ctx.method().name() + ' ' + endpoint.path);
            if (mode != null) {
                handle(ctx, mode);
            }
        };
    }

    /** How long a key and its stored answer are kept ({@code idempotency.ttlSeconds}). */
    public Duration ttl() {
        return ttl;
    }

    /** The correlation for a create in this request: derived from its idempotency key, or random. */
    public static Correlation correlation(Exchange ctx) {
        Correlation c = ctx.attribute(CORRELATION);
        return c != null ? c : Correlation.random();
    }

    private void handle(Exchange ctx, Mode mode) {
        String given = ctx.header(HEADER);
        String key = sha256(org + '\n' + parse(given));
        String fingerprint = fingerprint(ctx);
        Claim claim;
        try {
            claim = state.claim(key, fingerprint, System.currentTimeMillis() + leaseMs, ttl);
        } catch (dev.spotapi.shared.SharedStateRecoveringException e) {
            ctx.header("Retry-After", "2");
            throw new ApiException(503, e.getMessage() + "; the request was not run: retry in a few seconds with the"
                    + " same " + HEADER);
        } catch (SharedStateUnavailableException e) {
            long suppressed = UNREACHABLE_WARNINGS.allow("claim");
            if (suppressed >= 0) {
                LOG.atWarn().addKeyValue("suppressed", suppressed).addKeyValue("error", e.getMessage())
                        .log("idempotency store unreachable, keyed requests refused (503; logged at most every 10 s)");
            }
            ctx.header("Retry-After", "5");
            throw new ApiException(503, "the idempotency store cannot be reached; the request was not run: "
                    + "retry later with the same " + HEADER);
        }
        switch (claim.outcome()) {
            case MISMATCH -> throw new ApiException(422, HEADER + " was already used for a different request "
                    + "(method, path, account or body differ): use a new key for a new request");
            case IN_FLIGHT -> {
                long left = Math.max(1, (claim.leaseUntilMillis() - System.currentTimeMillis() + 999) / 1000);
                ctx.header("Retry-After", Long.toString(Math.min(left, 5)));
                throw new ApiException(409, "a request with this " + HEADER + " is still being processed: "
                        + "retry later for its answer");
            }
            case DONE -> {
                replay(ctx, claim.reply());
                ctx.skipToAfterSteps();
            }
            case NEW, RESUMED -> {
                boolean resumed = claim.outcome() == Outcome.RESUMED;
                Kept kept = keepClaimed(key, claim.owner());
                ctx.attribute(CLAIM, new Claimed(key, mode, resumed, claim.owner(), kept));
                if (resumed && mode == Mode.ACTION) {
                    // the earlier attempt ended without an answer (its process stopped, its lease ran out): Spot
                    // may have acted; an action cannot be looked up like a create, so it is not run again, and
                    // this doubtful answer is stored (after) and replayed to every later retry, as a 5xx is
                    throw new ApiException(502, "an earlier request with this " + HEADER + " was interrupted before"
                            + " its answer was recorded (the replica serving it stopped); Spot may or may not have"
                            + " carried out the action, so it is not run again: read the object, and use a new key"
                            + " for a new attempt");
                }
                // the same key and request always get the same tag; always look for it before creating: a claim
                // that found no record cannot tell a first use from a record lost (restart of an embedded store,
                // Redis FLUSHALL or restart without persistence; issue 20), so a create never relies on the store;
                // only after a known doubtful attempt (resumed) must that look-up succeed before creating
                Correlation.Fence fence = fence(key, claim.owner());
                ctx.attribute(CORRELATION, new Correlation(sha256("correlation\n" + key + '\n' + fingerprint)
                        .substring(0, 32), true, resumed, fence));
                // every write of the request is sent only while it still holds the key (as a keyed create is): a
                // replica paused past the lease, whose key a retry took over, sends nothing when it resumes
                ctx.attribute(WRITE_FENCE, (Correlation.Fence) () -> kept.open.get() ? fence.refusal() : null);
            }
        }
    }

    /**
     * The fence of a keyed create ({@link Correlation.Fence}): right before it creates, the request extends its claim
     * of the key by a lease; when a retry took the key over meanwhile (this replica was paused, or stuck, past the
     * lease: attack round 6 made Spot create the instance twice, once by the retry, once by the resumed replica), or
     * the store cannot confirm the claim, the create is not sent.
     */
    private Correlation.Fence fence(String key, String owner) {
        return () -> {
            try {
                return state.renewClaim(key, owner, System.currentTimeMillis() + leaseMs) ? null
                        : "a retry with this " + HEADER + " took this request over (this attempt outlived its lease):"
                        + " nothing was sent by this attempt; retry with the same key for the answer";
            } catch (SharedStateUnavailableException e) {
                return "the idempotency store cannot be reached to confirm this request still holds its " + HEADER
                        + "; nothing was sent: retry later with the same key";
            }
        };
    }

    /** After every request: stores, releases or marks the claimed key by the answer's outcome. */
    public void after(Exchange ctx) {
        Claimed claimed = ctx.attribute(CLAIM);
        if (claimed == null) {
            return;
        }
        ctx.attribute(CLAIM, null);
        claimed.kept().end();
        int status = ctx.statusCode();
        Boolean nothingChanged = ctx.attribute(NOTHING_CHANGED);
        // each write names this request's claim: once a retry took the key over, none of them changes its record
        String owner = claimed.owner();
        if (status < 400 || Boolean.TRUE.equals(ctx.attribute(SOMETHING_CHANGED))) {
            state.complete(claimed.key(), owner, new StoredReply(status, ctx.responseContentType(), body(ctx), replayedHeaders(ctx)), ttl);
        } else if (status < 500 || Boolean.TRUE.equals(nothingChanged)) {
            if (claimed.resumed()) {
                state.markUncertain(claimed.key(), owner, ttl); // this attempt did nothing, an earlier one may have
            } else {
                state.release(claimed.key(), owner);
            }
        } else if (claimed.mode() == Mode.CREATE) {
            java.util.List<java.util.concurrent.CompletableFuture<?>> open = openWrites();
            if (open.isEmpty()) {
                state.markUncertain(claimed.key(), owner, ttl);
            } else {
                uncertainOnceEnded(claimed.key(), owner, open);
            }
        } else {
            state.complete(claimed.key(), owner, new StoredReply(status, ctx.responseContentType(), body(ctx), replayedHeaders(ctx)), ttl);
        }
    }

    /** The Spot writes of the current request that Spot may still act on (its answer did not come yet). */
    private static java.util.List<java.util.concurrent.CompletableFuture<?>> openWrites() {
        dev.spotapi.trace.TraceContext trace = dev.spotapi.trace.TraceContext.current();
        return trace == null ? java.util.List.of() : trace.writesStillOpen();
    }

    /** Starts renewing the claim of a request that runs ({@link Kept}). */
    private Kept keepClaimed(String key, String owner) {
        Kept kept = new Kept();
        long every = Math.max(100, leaseMs / 3);
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(leaseMs * MAX_RENEWED_LEASES);
        kept.renewal = RENEWALS.scheduleWithFixedDelay(() -> {
            if (!kept.open.get() || System.nanoTime() - until > 0) {
                kept.renewal.cancel(false); // past the cap the claim may lapse; its writes still ask the store first
                return;
            }
            try {
                if (!state.renewClaim(key, owner, System.currentTimeMillis() + leaseMs)) {
                    kept.renewal.cancel(false); // answered meanwhile, or taken over: nothing left to keep
                }
            } catch (RuntimeException e) {
                LOG.debug("renewing the claim of a running request failed (retried): {}", e.getMessage());
            }
        }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        return kept;
    }

    /**
     * The request's write fence ({@link Correlation.Fence}) while it holds a claimed key: refuses when a retry took
     * the key over or the store cannot confirm the claim; never refuses once the request was answered (an async task's
     * work goes on under its stored answer). Null for a request without a claimed key.
     */
    public static Correlation.Fence writeFence(Exchange ctx) {
        return ctx.attribute(WRITE_FENCE);
    }

    /** Renews the leases of keys whose create Spot may still carry out ({@link #uncertainOnceEnded}). */
    private static final java.util.concurrent.ScheduledExecutorService RENEWALS =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "idempotency-renewals");
                t.setDaemon(true);
                return t;
            });

    /**
     * A keyed create answered 5xx while its request to Spot is still open (Spot holds it, it may still create the
     * object): the key stays in flight, its lease renewed, until Spot has answered or the exchange was given up on,
     * and only then is it marked uncertain (a retry then looks for the object first). Before, it was uncertain at
     * once: a retry found nothing yet and created a second object (attack round 17).
     */
    private void uncertainOnceEnded(String key, String owner, java.util.List<java.util.concurrent.CompletableFuture<?>> open) {
        java.util.concurrent.CompletableFuture<Void> ended = java.util.concurrent.CompletableFuture.allOf(
                open.toArray(new java.util.concurrent.CompletableFuture<?>[0]));
        long every = Math.max(100, leaseMs / 3);
        java.util.concurrent.ScheduledFuture<?> renewal = RENEWALS.scheduleWithFixedDelay(() -> {
            try {
                state.renewClaim(key, owner, System.currentTimeMillis() + leaseMs);
            } catch (RuntimeException e) {
                LOG.debug("renewing the claim of a create Spot still holds failed (retried): {}", e.getMessage());
            }
        }, 0, every, java.util.concurrent.TimeUnit.MILLISECONDS);
        ended.handle((done, failure) -> {
            renewal.cancel(false);
            try {
                state.markUncertain(key, owner, ttl);
            } catch (RuntimeException e) {
                LOG.warn("marking a create's key uncertain failed: its lease ends by itself: {}", e.getMessage());
            }
            return null;
        });
    }

    /**
     * The answer's headers a replay repeats: those that say what the request started and that its body does not
     * carry (an async request's task, a roll's id). A replay answers as the first answer did (attack rounds 7 and 8:
     * a replayed 202 named no task, a replayed roll no roll; a task id derived from the key named the finished task
     * of an earlier use of the key).
     */
    public static final java.util.List<String> REPLAYED_HEADERS = java.util.List.of("X-Flywheel-Task",
            "Preference-Applied", "X-Spot-Roll");

    private static String replayedHeaders(Exchange ctx) {
        StringBuilder out = new StringBuilder();
        for (String name : REPLAYED_HEADERS) {
            String value = ctx.responseHeader(name);
            if (value != null && value.indexOf('\n') < 0) {
                out.append(out.length() == 0 ? "" : "\n").append(name).append(": ").append(value);
            }
        }
        return out.toString();
    }

    private static void replay(Exchange ctx, StoredReply reply) {
        ctx.status(reply.status()).header(REPLAYED, "true");
        for (String line : reply.headers().split("\n")) {
            int colon = line.indexOf(": ");
            if (colon > 0 && REPLAYED_HEADERS.contains(line.substring(0, colon))) {
                ctx.header(line.substring(0, colon), line.substring(colon + 2));
            }
        }
        if (reply.contentType() != null && !reply.contentType().isEmpty()) {
            ctx.contentType(reply.contentType());
        }
        ctx.result(reply.body());
    }

    /**
     * The key of an {@code Idempotency-Key} header: an sf-string ({@code "..."}, its quotes removed) or a bare token,
     * 1-255 printable ASCII characters; {@link ApiException} 400 otherwise.
     */
    public static String parse(String header) {
        String key = header.strip();
        if (key.length() >= 2 && key.startsWith("\"") && key.endsWith("\"")) {
            key = key.substring(1, key.length() - 1);
        }
        if (key.isEmpty() || key.length() > 255 || !key.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
            throw ApiException.badRequest(HEADER + " must be 1-255 printable ASCII characters");
        }
        return key;
    }

    /** Method, path (account and id included), query and body digest: what makes two requests the same. */
    private static String fingerprint(Exchange ctx) {
        String query = ctx.queryString();
        return sha256(ctx.method().name() + '\n' + ctx.path() + '\n' + (query == null ? "" : query) + '\n'
                + sha256(ctx.bodyAsBytes()));
    }

    /** The body just written, read and put back. */
    private static byte[] body(Exchange ctx) {
        InputStream in = ctx.resultInputStream();
        if (in == null) {
            return new byte[0];
        }
        try {
            byte[] bytes = in.readAllBytes();
            ctx.result(bytes);
            return bytes;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static String sha256(String text) {
        return dev.spotapi.shared.Hashes.sha256Hex(text);
    }

    static String sha256(byte[] bytes) {
        return dev.spotapi.shared.Hashes.sha256Hex(bytes);
    }
}
