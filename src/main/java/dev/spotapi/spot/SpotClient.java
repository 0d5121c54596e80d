package dev.spotapi.spot;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.shared.SharedState;
import dev.spotapi.spot.SpotException.Kind;
import dev.spotapi.trace.TraceContext;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.eclipse.jetty.client.BytesRequestContent;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.Response;
import org.eclipse.jetty.http.HttpHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Spot REST client for one account: base URL, Bearer token and {@code accountId} on every call.
 *
 * <p>Each call gets an overall deadline; inside it, attempts have their own timeout and are retried with
 * exponential backoff and jitter (honouring {@code Retry-After}) when {@link SpotRetryPolicy} says it is
 * safe: reads on 429, 502, 503, 504, timeouts and dropped connections; writes only when the attempt provably
 * did not reach Spot (429, connection refused). Writes to one object are kept in order by a
 * {@link WriteFence} (cluster-wide with Redis). Identical GETs in flight at the same time share one upstream
 * call, but never across a write answered in between, by this replica or (Redis) any other (read-after-write:
 * {@link SharedState#writeMark}).
 */
public final class SpotClient {
    private static final Logger LOG = LoggerFactory.getLogger(SpotClient.class);

    private final String accountName;
    private final String baseUrl;
    private final String bearer;
    private final String accountIdQuery;
    private final HttpClient http;
    private final SpotClientSettings settings;
    private final SpotMetrics metrics;
    private final ScheduledExecutorService scheduler;
    private final EnvelopeDecoder decoder;
    private final String userAgent;
    private final Retry retry;
    private final RateBudget budget;
    private final Map<String, CompletableFuture<SpotReply>> getsInFlight;
    /** Writes answered so far: part of the GET-sharing key (read-after-write). */
    private final java.util.concurrent.atomic.AtomicLong writesAnswered;
    private final WriteFence fence;
    /** Told the Spot request id of every call made through this view (null: nobody listens). */
    private final Consumer<String> spotRequestIds;
    /** Where the write marks of other replicas are read ({@link SharedState#writeMark}). */
    private final SharedState shared;
    /** The Spot account id: the scope of write marks and fence leases. */
    private final String scope;
    /**
     * Whose rate budget a call takes from: the account's config name and its Spot account id together, so that
     * deployments of several orgs on one Redis that give different Spot accounts the same name never hold each
     * other's routes (two names for one Spot account still have a budget each, as before).
     */
    private final String budgetKey;
    /** The objects whose write fences this view holds ({@link #exclusive}, {@link #exclusiveAll}), or null. */
    private final java.util.List<String> heldObjects;
    /** Counts the calls open inside {@link #exclusive} (null outside one). */
    private final Hold hold;
    /** Whether this view's calls are background work (a task's reads): they may use only part of a route's budget. */
    private final boolean background;
    /** Each route's share of the connections to Spot. */
    private final RouteShare routeShare;
    /** The check the first entry into one object's write fence runs first ({@link #guardedBy}), or null. */
    private final Guard guard;
    /** Asked before each write attempt is sent ({@link #writesFencedBy}), or null. */
    private final Correlation.Fence writeFence;
    /** Whether a read's reply counts as found in the call metrics ({@link #countedFoundOnlyIf}), or null: every one. */
    private final java.util.function.BiPredicate<SpotCall, SpotReply> found;

    public SpotClient(String accountName, String baseUrl, String accountId, String token, HttpClient http,
            SpotClientSettings settings, SpotMetrics metrics, ScheduledExecutorService scheduler,
            ObjectMapper mapper, String userAgent, RateBudget budget) {
        this.accountName = accountName;
        this.baseUrl = baseUrl;
        this.bearer = "Bearer " + token;
        this.accountIdQuery = "accountId=" + encode(accountId);
        this.http = http;
        this.settings = settings;
        this.metrics = metrics;
        this.scheduler = scheduler;
        this.decoder = new EnvelopeDecoder(mapper);
        this.userAgent = userAgent;
        this.retry = Retry.of("spot-" + accountName, retryConfig(settings));
        this.retry.getEventPublisher().onRetry(e -> metrics.retried(accountName));
        this.budget = budget;
        this.getsInFlight = new ConcurrentHashMap<>();
        this.writesAnswered = new java.util.concurrent.atomic.AtomicLong();
        this.shared = budget.shared();
        this.scope = accountId;
        this.budgetKey = accountName + '/' + accountId;
        this.fence = new WriteFence(shared, accountId, scheduler);
        this.spotRequestIds = null;
        this.heldObjects = null;
        this.hold = null;
        this.background = false;
        this.routeShare = new RouteShare(RouteShare.PER_ROUTE);
        this.guard = null;
        this.writeFence = null;
        this.found = null;
    }

    /** A view sharing everything with {@code base} (budget, retries, GETs in flight) that reports request ids. */
    private SpotClient(SpotClient base, Consumer<String> spotRequestIds, java.util.List<String> heldObjects, Hold hold) {
        this(base, spotRequestIds, heldObjects, hold, base.background, base.guard, base.writeFence, base.found);
    }

    private SpotClient(SpotClient base, Consumer<String> spotRequestIds, java.util.List<String> heldObjects, Hold hold,
            boolean background, Guard guard, Correlation.Fence writeFence,
            java.util.function.BiPredicate<SpotCall, SpotReply> found) {
        this.background = background;
        this.guard = guard;
        this.writeFence = writeFence;
        this.found = found;
        this.accountName = base.accountName;
        this.baseUrl = base.baseUrl;
        this.bearer = base.bearer;
        this.accountIdQuery = base.accountIdQuery;
        this.http = base.http;
        this.settings = base.settings;
        this.metrics = base.metrics;
        this.scheduler = base.scheduler;
        this.decoder = base.decoder;
        this.userAgent = base.userAgent;
        this.retry = base.retry;
        this.budget = base.budget;
        this.getsInFlight = base.getsInFlight;
        this.writesAnswered = base.writesAnswered;
        this.fence = base.fence;
        this.shared = base.shared;
        this.scope = base.scope;
        this.budgetKey = base.budgetKey;
        this.spotRequestIds = spotRequestIds;
        this.heldObjects = heldObjects;
        this.hold = hold;
        this.routeShare = base.routeShare;
    }

    /**
     * This client, telling {@code spotRequestIds} Spot's request id ({@code x-request-id}) of every
     * call that got a reply, success or error; used to put Spot's ids in the audit line of one request.
     */
    public SpotClient reportingTo(Consumer<String> spotRequestIds) {
        return new SpotClient(this, spotRequestIds, heldObjects, hold);
    }

    /**
     * This client for background work (a task following Spot's state): its calls may take at most half of a route's
     * rate budget in a window ({@link RateBudget#take}), so that callers waiting for an answer always find the other
     * half (attack round 18: eight tasks' polls spent a route's whole budget in 2 s, every user's read 429 for a
     * minute, another org's too).
     */
    public SpotClient background() {
        return new SpotClient(this, spotRequestIds, heldObjects, hold, true, guard, writeFence, found);
    }

    /**
     * A condition one request's writes to one Spot object depend on (a conditional request's {@code If-Unmodified-Since},
     * RFC 9110 §13): {@code check} runs once, with a view of the client that holds {@code object}'s write fence (its reads
     * are the request's own, never shared), when the request's first write to the object, or its first
     * {@link #exclusive} on it, has entered the fence, and before anything is sent. A check that fails (its future
     * completes exceptionally, e.g. with the caller's 412) fails that write or exclusive with the same exception, and
     * nothing is sent; once it passed, later entries of the same request do not run it again. So no other write to the
     * object, from this replica or (Redis) another, can come between the check and the write (attack round 22: two
     * writes conditioned on the same date were both checked before either was sent, and both answered 200).
     */
    public static final class Guard {
        private final String object;
        private final java.util.function.Function<SpotClient, CompletableFuture<?>> check;
        private final java.util.concurrent.atomic.AtomicBoolean passed = new java.util.concurrent.atomic.AtomicBoolean();

        /**
         * @param object the object's fence name, as {@link SpotCall#objectPath()} gives it ({@code /aws/ec2/group/sig-1})
         * @param check  reads the object through the given view and completes normally when the condition holds
         */
        public Guard(String object, java.util.function.Function<SpotClient, CompletableFuture<?>> check) {
            this.object = object;
            this.check = check;
        }

        private boolean due(java.util.Collection<String> objects) {
            return !passed.get() && objects.contains(object);
        }

        private CompletableFuture<?> run(SpotClient fenced) {
            return check.apply(fenced).thenRun(() -> passed.set(true));
        }
    }

    /** This client, its writes to {@code guard}'s object and its {@link #exclusive}s on it checked first ({@link Guard}). */
    public SpotClient guardedBy(Guard guard) {
        return new SpotClient(this, spotRequestIds, heldObjects, hold, background, guard, writeFence, found);
    }

    /**
     * This client, each of its write attempts sent only when {@code fence} does not refuse right before it (a keyed
     * request's hold on its {@code Idempotency-Key}, {@link Correlation.Fence}): a refused attempt fails
     * {@link Kind#IN_PROGRESS} (409, Retry-After 1 s) and nothing is sent.
     */
    public SpotClient writesFencedBy(Correlation.Fence fence) {
        return new SpotClient(this, spotRequestIds, heldObjects, hold, background, guard, fence, found);
    }

    /**
     * This client, its reads whose call and reply {@code found} rejects counted in the call metrics ({@link SpotMetrics})
     * as {@code not_found}, as Spot's 404 is: a read of another org's object, which the caller is answered as missing,
     * must not be told from a missing one on the public {@code /metrics} either (attack round 22: the outcome
     * {@code ok} against {@code not_found} told another org's id from a missing one).
     */
    public SpotClient countedFoundOnlyIf(java.util.function.BiPredicate<SpotCall, SpotReply> found) {
        return new SpotClient(this, spotRequestIds, heldObjects, hold, background, guard, writeFence, found);
    }

    /** The guard's check, when it is due for {@code objects}, run with {@code fenced}; else done at once. */
    private CompletableFuture<?> guardFirst(java.util.Collection<String> objects, SpotClient fenced) {
        return guard != null && guard.due(objects) ? guard.run(fenced) : CompletableFuture.completedFuture(null);
    }

    /** A guard's failure on its way through a call's own failure handling: passed on as it is, never classified. */
    private static final class GuardRefused extends RuntimeException {
        GuardRefused(Throwable cause) {
            super(null, cause, false, false);
        }
    }

    /**
     * Runs {@code body} holding the write fence of {@code object} (e.g. {@code /aws/ec2/group/sig-1}): a
     * read-modify-write that no other write to the object, from this replica or (Redis) another, can come
     * between. {@code body} gets a view of this client whose reads are never shared with other callers (they
     * see every write answered before) and whose writes to {@code object} do not queue again. The fence is
     * held until {@code body}'s future completes and every write it sent has been answered by Spot (or its
     * connection closed). Waits for the fence at most {@code spot.deadlineMs}, else fails with
     * {@link Kind#IN_PROGRESS} (409 with Retry-After) and runs nothing.
     */
    public <T> CompletableFuture<T> exclusive(String object, String operation,
            java.util.function.Function<SpotClient, CompletableFuture<T>> body) {
        return exclusive(object, operation, settings.deadlineMs(), body);
    }

    /** {@link #exclusive(String, String, java.util.function.Function)} waiting for the fence at most {@code waitMs}. */
    public <T> CompletableFuture<T> exclusive(String object, String operation, long waitMs,
            java.util.function.Function<SpotClient, CompletableFuture<T>> body) {
        return exclusiveAll(java.util.List.of(object), operation, waitMs, body);
    }

    /**
     * {@link #exclusive} holding the write fences of every object of {@code objects} at once (taken in sorted order,
     * see {@link WriteFence#enterAll}): a bulk write's decision read and the write itself ({@link SpotCall#writing})
     * that no other write to any of them can come between (attack round 12: a bulk stop still open at Spot was not
     * ordered with a start of one of its instances).
     */
    public <T> CompletableFuture<T> exclusiveAll(java.util.Collection<String> objects, String operation,
            java.util.function.Function<SpotClient, CompletableFuture<T>> body) {
        return exclusiveAll(objects, operation, settings.deadlineMs(), body);
    }

    /** {@link #exclusiveAll(java.util.Collection, String, java.util.function.Function)} waiting at most {@code waitMs}. */
    public <T> CompletableFuture<T> exclusiveAll(java.util.Collection<String> objects, String operation, long waitMs,
            java.util.function.Function<SpotClient, CompletableFuture<T>> body) {
        java.util.List<String> sorted = objects.stream().sorted().distinct().toList();
        java.util.List<WriteFence.Ticket> tickets = fence.enterAll(sorted);
        Hold inside = new Hold(tickets, () -> tickets.forEach(WriteFence.Ticket::leave));
        // the body runs on whichever thread ended the wait (another request's, completing its write): with this
        // request's trace current, so that its Spot calls and log lines carry it
        TraceContext trace = TraceContext.current();
        CompletableFuture<T> result = turns(tickets, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(Math.max(1, waitMs)))
                .handle((ready, notYet) -> notYet)
                .thenCompose(notYet -> {
                    if (notYet != null) {
                        return CompletableFuture.<T>failedFuture(sorted.equals(java.util.List.of(COSTS_FENCE))
                                ? costsBusy(operation, waitMs) : stillInProgress(operation));
                    }
                    SpotClient fenced = new SpotClient(this, spotRequestIds, sorted, inside);
                    return guardFirst(sorted, fenced).thenCompose(checked -> {
                        java.util.List<CompletableFuture<T>> started = new java.util.ArrayList<>(1);
                        TraceContext.runWith(trace, () -> started.add(body.apply(fenced)));
                        return started.get(0);
                    });
                });
        result.whenComplete((r, failure) -> inside.close());
        return result;
    }

    /** Completes when every ticket's turn has come, one after the other, all by {@code deadlineNanos}. */
    private static CompletableFuture<Void> turns(java.util.List<WriteFence.Ticket> tickets, long deadlineNanos) {
        CompletableFuture<Void> ready = CompletableFuture.completedFuture(null);
        for (WriteFence.Ticket t : tickets) {
            ready = ready.thenCompose(x -> t.turn(TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
        }
        return ready;
    }

    public String accountName() {
        return accountName;
    }

    /**
     * How long, after a create that Spot may have carried out without our seeing the reply, spot-api
     * keeps looking for the created object by its correlation tag: {@code spot.orphanSearchMs} (default one
     * attempt timeout, Spot finishing the call late, at most 10 s).
     */
    public Duration orphanSearchWindow() {
        return settings.orphanSearch();
    }

    SpotMetrics metrics() {
        return metrics;
    }

    /** The fence name of an account's cost calls ({@link #sendCosts}). */
    public static final String COSTS_FENCE = "/aws/ec2/costs";

    /**
     * A cost call ({@code GET .../{id}/costs}): Spot answers 400 to concurrent cost calls of one account
     * (docs/reliability.md), so every one of them, the roll-up's and the per-resource routes' alike, goes through one
     * fence ({@link #exclusive} on {@value #COSTS_FENCE}: one at a time, across replicas with Redis). Fails as
     * {@link #send} does, and {@link SpotException.Kind#IN_PROGRESS} when the fence is not free in time.
     */
    public CompletableFuture<SpotReply> sendCosts(SpotCall call) {
        return exclusive(COSTS_FENCE, call.operation(), spot -> spot.send(call));
    }

    /**
     * {@link #sendCosts(SpotCall)} waiting for the fence at most {@code waitMs} (a delete's read of the costs it is
     * about to make unreadable waits for its turn longer than an interactive call would).
     */
    public CompletableFuture<SpotReply> sendCosts(SpotCall call, long waitMs) {
        return exclusive(COSTS_FENCE, call.operation(), waitMs, spot -> spot.send(call));
    }

    /**
     * Performs the call; the future fails with a {@link SpotException} when it does not succeed. The
     * request's trace ({@link TraceContext#current()}) goes to Spot as {@code traceparent}, and is current
     * again while the returned future completes, so that calls chained on it carry it too.
     */
    public CompletableFuture<SpotReply> send(SpotCall call) {
        return reported(sendShared(call, null));
    }

    /**
     * {@link #send} of a list read ({@code GET}, with items) whose reply is read as it arrives: its
     * {@link SpotReply#items} are what {@code view} keeps of each of Spot's items ({@link ListView}), and no
     * more of the reply than one item's fields is held at a time. Retries, rate budget, metrics, tracing, GET
     * sharing (per view key) and errors are those of {@link #send}: every Spot failure, a reply that is not a
     * list envelope included, fails the same way.
     */
    public CompletableFuture<SpotReply> sendList(SpotCall call, ListView view) {
        if (!call.isRead() || !call.readsItems()) {
            throw new IllegalArgumentException("a streamed list is a GET with items: " + call.method() + " " + call.path());
        }
        return reported(sendShared(call, view));
    }

    private CompletableFuture<SpotReply> reported(CompletableFuture<SpotReply> reply) {
        if (spotRequestIds == null) {
            return reply;
        }
        // the returned stage completes only after the id was reported, so nothing downstream misses it
        return reply.whenComplete((r, failure) -> {
            String id = r != null ? r.spotRequestId()
                    : unwrap(failure) instanceof SpotException s ? s.spotRequestId() : null;
            if (id != null) {
                spotRequestIds.accept(id);
            }
        });
    }

    private CompletableFuture<SpotReply> sendShared(SpotCall call, ListView view) {
        TraceContext trace = TraceContext.current();
        CompletableFuture<SpotReply> mine = new CompletableFuture<>();
        if (!call.isRead()) {
            execute(call, trace, view).whenComplete((reply, failure) -> {
                // a read that starts after this write was answered must not share a read that started before it,
                // on this replica or (Redis) any other
                writesAnswered.incrementAndGet();
                shared.markWritten(scope);
                complete(mine, reply, failure, trace);
            });
            return mine;
        }
        if (heldObjects != null) {
            // inside a read-modify-write: a read of its own, never one that started before the fence was taken
            execute(call, trace, view).whenComplete((reply, failure) -> complete(mine, reply, failure, trace));
            return mine;
        }
        String key = writesAnswered.get() + " " + shared.writeMark(scope) + " " + call.path() + '?' + call.query();
        if (view != null) {
            key += "\u0000view " + view.key(); // a streamed list is shared only with the same view
        }
        CompletableFuture<SpotReply> existing = getsInFlight.putIfAbsent(key, mine);
        if (existing != null) {
            // a read of its own, completed under this caller's trace: what the caller chains to it (a write after a
            // list, its log lines) must carry its own trace, not that of the request whose read this one joined
            existing.whenComplete((reply, failure) -> complete(mine, reply, failure, trace));
            return mine;
        }
        String shareKey = key;
        execute(call, trace, view).whenComplete((reply, failure) -> {
            getsInFlight.remove(shareKey, mine);
            complete(mine, reply, failure, trace);
        });
        return mine;
    }

    private static void complete(CompletableFuture<SpotReply> future, SpotReply reply, Throwable failure,
            TraceContext trace) {
        TraceContext.runWith(trace, () -> {
            if (failure != null) {
                future.completeExceptionally(failure);
            } else {
                future.complete(reply);
            }
        });
    }

    private CompletableFuture<SpotReply> execute(SpotCall call, TraceContext requestTrace, ListView view) {
        long start = System.nanoTime();
        // the call's own span (tracing on; else the request's): its id is the parent Spot's traceparent names
        TraceContext trace = requestTrace == null ? null
                : requestTrace.child("spot " + call.method() + " " + RateBudget.template(call.path()))
                        .attribute("http.request.method", call.method())
                        .attribute("url.template", RateBudget.template(call.path()))
                        .attribute("spot.account", accountName)
                        .attribute("spot.operation", call.operation());
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(settings.deadlineMs());
        CallState state = new CallState();
        java.util.List<String> objects = call.objectPaths();
        CompletableFuture<SpotReply> attempts;
        if (objects.isEmpty()) {
            attempts = attempts(call, deadline, state, trace, view);
            attempts.whenComplete((reply, failure) -> state.finish(null));
        } else if (heldObjects != null && heldObjects.containsAll(objects)) {
            // the fences are held by the exclusive() this call runs in: they stay held until this exchange ends
            hold.open();
            attempts = hold.stillHeld(objects) ? attempts(call, deadline, state, trace, view)
                    : CompletableFuture.failedFuture(leaseLost(call.operation()));
            attempts.whenComplete((reply, failure) -> state.finish(hold::close));
        } else {
            java.util.List<WriteFence.Ticket> tickets = objects.size() == 1 ? java.util.List.of(fence.enter(objects.get(0)))
                    : fence.enterAll(objects);
            attempts = turns(tickets, start + TimeUnit.MILLISECONDS.toNanos(settings.deadlineMs()))
                    .handle((ready, notYet) -> notYet)
                    .thenCompose(notYet -> notYet != null
                            ? CompletableFuture.failedFuture(stillInProgress(call.operation()))
                            : guardFirst(objects, new SpotClient(this, spotRequestIds, objects, null))
                                    .handle((checked, refused) -> refused)
                                    .thenCompose(refused -> refused == null ? attempts(call, deadline, state, trace, view)
                                            : CompletableFuture.failedFuture(new GuardRefused(unwrap(refused)))));
            attempts.whenComplete((reply, failure) -> state.finish(() -> tickets.forEach(WriteFence.Ticket::leave)));
        }
        java.util.concurrent.atomic.AtomicBoolean refusedByGuard = new java.util.concurrent.atomic.AtomicBoolean();
        CompletableFuture<SpotReply> result = attempts.handle((reply, failure) -> {
            if (failure == null) {
                return reply;
            }
            if (unwrap(failure) instanceof GuardRefused refused) { // nothing was sent: the check's own failure
                refusedByGuard.set(true);
                throw new CompletionException(refused.getCause());
            }
            throw new CompletionException(honest(call, classify(call, unwrap(failure), true)));
        });
        result.whenComplete((reply, failure) -> {
            if (refusedByGuard.get()) {
                if (trace != null && trace != requestTrace) {
                    trace.end("not sent: " + unwrap(failure).getMessage());
                }
                return;
            }
            Throwable cause = failure == null ? null : unwrap(failure);
            if (trace != null && trace != requestTrace) {
                trace.attribute("spot.retries", Math.max(0, state.attemptsSent() - 1));
                if (cause instanceof SpotException s) {
                    trace.attribute("error.type", s.kind().name());
                }
                trace.end(cause == null ? null : String.valueOf(cause.getMessage()));
            }
            String outcome = cause == null && found != null && call.isRead() && !found.test(call, reply) ? "not_found"
                    : SpotMetrics.outcome(cause);
            metrics.record(accountName, call.operation(), outcome, System.nanoTime() - start);
            if (cause instanceof SpotException s && LOG.isDebugEnabled()) {
                // with the request's trace id (MDC) and request id, whatever thread Spot's answer came on
                TraceContext.runWith(requestTrace, () -> {
                    var line = LOG.atDebug();
                    if (requestTrace != null && requestTrace.requestId() != null) {
                        line = line.addKeyValue("requestId", requestTrace.requestId());
                    }
                    line.log("spot call failed account={} op={} {} {} kind={} status={} spotRequestId={} message={}",
                            accountName, call.operation(), call.method(), call.path(), s.kind(), s.httpStatus(),
                            s.spotRequestId(), s.spotMessage());
                });
            }
        });
        return result;
    }

    private CompletableFuture<SpotReply> attempts(SpotCall call, long deadlineNanos, CallState state,
            TraceContext trace, ListView view) {
        long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        return retry.executeCompletionStage(scheduler, () -> budgeted(call, deadlineNanos, state, trace, view))
                .toCompletableFuture()
                .orTimeout(Math.max(1, remainingMs), TimeUnit.MILLISECONDS);
    }

    /**
     * A write the caller was told nothing about could still be applied by Spot after this answer: say so, so
     * the caller reads the object before repeating the change (issue 10 item 5).
     */
    private static SpotException honest(SpotCall call, SpotException e) {
        if (call.isRead() || !e.mayHaveActed() || SpotRetryPolicy.provablyNotApplied(e)) {
            return e;
        }
        String what = "POST".equals(call.method()) ? "the object may have been created in Spot: list before creating it again"
                : "the change may have been applied in Spot: read the object before repeating it";
        return new SpotException(e.kind(), e.operation(), e.httpStatus(), e.code(), e.spotMessage() + "; " + what,
                e.spotRequestId(), e.retryAfter(), true);
    }

    /**
     * The cost fence stayed busy for {@code waitedMs}: Spot answers one cost call of an account at a time, and others
     * (a burst of deletes reading theirs first) took the time (attack round 12: this said "an earlier change to the
     * same object", for a read). Retry-After: the time waited, at least 2 s.
     */
    private static SpotException costsBusy(String operation, long waitedMs) {
        return new SpotException(Kind.IN_PROGRESS, operation, 0, null, "other cost calls of this Spot account are in"
                + " progress (Spot answers one at a time) and took longer than this call could wait; nothing was sent",
                null, Duration.ofMillis(Math.max(2_000, Math.min(waitedMs, 30_000))), false);
    }

    /** A write inside a fence whose lease this replica no longer holds: not sent (see {@link WriteFence.Ticket#stillHeld}). */
    private static SpotException leaseLost(String operation) {
        return new SpotException(Kind.IN_PROGRESS, operation, 0, null, "this replica lost the object's write fence while"
                + " it waited (a stall longer than the fence's lease): the change was not sent, another change may have"
                + " come first; read the object again and retry", null, Duration.ofSeconds(1), false);
    }

    private SpotException stillInProgress(String operation) {
        return new SpotException(Kind.IN_PROGRESS, operation, 0, null,
                "an earlier change to the same object has not been answered by Spot yet; this change was not sent",
                null, Duration.ofSeconds(1), false);
    }

    /** Every attempt is one Spot call: it takes one unit of the route's rate budget first, or fails at once. */
    private CompletableFuture<SpotReply> budgeted(SpotCall call, long deadlineNanos, CallState state,
            TraceContext trace, ListView view) {
        String refusal = call.isRead() || writeFence == null ? null : writeFence.refusal();
        if (refusal != null) {
            return CompletableFuture.failedFuture(new SpotException(Kind.IN_PROGRESS, call.operation(), 0, null,
                    refusal, null, Duration.ofSeconds(1), false));
        }
        Duration wait = budget.take(budgetKey, scope, call, background);
        if (!wait.isZero()) {
            metrics.budgetRefused(accountName);
            return CompletableFuture.failedFuture(new SpotException(Kind.RATE_LIMITED, call.operation(), 0, null,
                    "spot-api's Spot rate budget for account '" + accountName + "' (" + call.method() + " "
                            + RateBudget.template(call.path())
                            + ") is used up for this window, or the route is held after Spot's own rate limit",
                    null, wait, false));
        }
        String route = call.method() + " " + RateBudget.template(call.path());
        return routeShare.enter(route, deadlineNanos).handle((leave, late) -> leave).thenCompose(leave -> leave == null
                ? CompletableFuture.failedFuture(new SpotException(Kind.RATE_LIMITED, call.operation(), 0, null,
                        "the calls to Spot's " + route + " of account '" + accountName + "' that may be open at once ("
                                + RouteShare.PER_ROUTE + ", a share of the connections) were all in flight until this"
                                + " call's deadline; nothing was sent", null, Duration.ofSeconds(1), false))
                : attempt(call, deadlineNanos, state, trace, view, leave));
    }

    /** A Spot 429 without Retry-After: the route is held for the window, so that is the wait to report. */
    private SpotException heldFor(SpotException e) {
        if (e.kind() != Kind.RATE_LIMITED || e.retryAfter() != null) {
            return e;
        }
        return new SpotException(e.kind(), e.operation(), e.httpStatus(), e.code(), e.spotMessage(), e.spotRequestId(),
                budget.window(), e.mayHaveActed());
    }

    /**
     * The longest string spot-api reads in a Spot reply (characters; 1 MiB, the longest a caller's body may carry, and
     * far above the 32 KiB Spot keeps of a field): a reply with a longer one is not read (a bad reply), so that no
     * reply's tree takes much more heap than its bytes (attack round 17: two 7.5 MB strings, each reply under its
     * bound, ended a 64 MiB heap).
     */
    public static final int MAX_REPLY_STRING = 1 << 20;

    /** The mapper Spot's replies are read with: exact numbers ({@link dev.spotapi.json.ExactJson}), strings bounded. */
    public static ObjectMapper replyMapper() {
        return dev.spotapi.json.ExactJson.builder(com.fasterxml.jackson.core.JsonFactory.builder()
                .streamReadConstraints(com.fasterxml.jackson.core.StreamReadConstraints.builder()
                        .maxStringLength(MAX_REPLY_STRING).build())
                .build()).build();
    }

    /**
     * The longest a write's exchange stays open waiting for Spot to answer or close (ms): 10 minutes, far past any
     * front end's idle limit (an AWS load balancer's default is 60 s), so that a connection a NAT or a balancer dropped
     * without a word is not waited on for good (attack round 16: 192 such writes held the route's places and
     * connections until a restart). Until then the write fence keeps the object's later writes waiting.
     */
    static final long WRITE_EXCHANGE_LIMIT_MS = 10 * 60_000;

    /**
     * One exchange with Spot; {@code leave} gives its route's place back ({@link RouteShare}) when it ends, or for a
     * write at its attempt timeout (its object's write fence still holds later writes to that object).
     */
    private CompletableFuture<SpotReply> attempt(SpotCall call, long deadlineNanos, CallState state,
            TraceContext trace, ListView view, Runnable leaveOnce) {
        java.util.concurrent.atomic.AtomicBoolean left = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable leave = () -> {
            if (left.compareAndSet(false, true)) {
                leaveOnce.run();
            }
        };
        long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (remainingMs <= 0 || !state.beginExchange()) {
            leave.run();
            return CompletableFuture.failedFuture(timeout(call, false));
        }
        long attemptMs = Math.max(1, Math.min(remainingMs, settings.attemptTimeoutMs()));
        // A read's exchange ends with its attempt. A write's exchange stays open after the attempt timeout, with
        // no time limit, until Spot answers or closes the connection: only then does the fence know the write can
        // no longer land after a newer one (issue 20: a limit let a write held past it land last)
        SpotExchange listener = new SpotExchange(response -> reader(view, response));
        try {
            request(call, call.isRead() ? attemptMs : WRITE_EXCHANGE_LIMIT_MS, trace).send(listener);
        } catch (RuntimeException e) { // never sent: its route's place back at once
            leave.run();
            throw e;
        }
        CompletableFuture<SpotExchange.Reply> exchange = listener.reply();
        if (!call.isRead() && trace != null) {
            trace.writeSent(exchange); // a keyed create's key stays in flight while Spot may still act (Idempotency)
        }
        long sentNanos = System.nanoTime();
        exchange.whenComplete((response, failure) -> {
            leave.run();
            state.endExchange();
            // only a write whose attempt timed out can be answered after its caller's answer (the caller's
            // answer of a write answered in time may come first only by callback order: not worth a line)
            if (!call.isRead() && state.isFinished()
                    && System.nanoTime() - sentNanos >= TimeUnit.MILLISECONDS.toNanos(attemptMs)) {
                LOG.atInfo().addKeyValue("account", accountName).addKeyValue("operation", call.operation())
                        .addKeyValue("spotStatus", response == null ? 0 : response.status())
                        .log("spot write answered after its caller's answer (attempt timed out) account={} op={}"
                                + " status={}", accountName, call.operation(), response == null
                                ? "none: " + unwrap(failure).getClass().getSimpleName()
                                : Integer.toString(response.status()));
            }
        });
        CompletableFuture<SpotExchange.Reply> seen = call.isRead() ? exchange
                : exchange.copy().orTimeout(attemptMs, TimeUnit.MILLISECONDS);
        if (!call.isRead()) {
            seen.whenComplete((response, failure) -> {
                leave.run();
                if (failure != null) { // the attempt timed out: a reply whose body stalls is let go now
                    listener.abortIfAnswered(new TimeoutException("Spot's reply to a write stalled after its head"));
                }
            });
        }
        return seen.handle((response, failure) -> {
            if (response != null && trace != null) {
                trace.attribute("http.response.status_code", response.status());
            }
            if (failure != null) {
                throw new CompletionException(withRetryDecision(call, classify(call, unwrap(failure), false),
                        deadlineNanos, state));
            }
            String remaining = response.header("X-RateLimit-Remaining");
            if (response.status() == 429 || (remaining != null && "0".equals(remaining.strip()))) {
                budget.spent(scope, call, EnvelopeDecoder.retryAfter(response.header("Retry-After")));
            }
            try {
                if (response.body() instanceof StreamedEnvelope.Result streamed) {
                    return decoder.decodeStreamed(call, streamed, response.header("x-request-id"));
                }
                return decoder.decode(call, response.status(), (byte[]) response.body(),
                        response.header("Retry-After"), response.header("x-request-id"));
            } catch (SpotException e) {
                throw new CompletionException(withRetryDecision(call, heldFor(e), deadlineNanos, state));
            }
        });
    }

    /**
     * The reply into memory ({@link BoundedBody}); for a streamed list ({@code view}) a 200 reply is read as it
     * arrives ({@link StreamedEnvelope}), any other (an error envelope) into memory as for every call.
     */
    private ReplyReader<?> reader(ListView view, Response response) {
        long declared = response.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        return view != null && response.getStatus() == 200
                ? StreamedEnvelope.reader(decoder.mapper(), view, BoundedBody.MAX_STREAMED_BYTES, declared)
                : BoundedBody.reader(BoundedBody.MAX_REPLY_BYTES, declared);
    }

    /**
     * {@code timeoutMs}: the exchange's whole time (a read's attempt timeout; a write's
     * {@link #WRITE_EXCHANGE_LIMIT_MS}, see {@link #attempt}). No exchange has an idle timeout of its own: a read
     * ends with its attempt timeout, a write when Spot answers or closes, or at that limit.
     */
    private Request request(SpotCall call, long timeoutMs, TraceContext trace) {
        StringBuilder uri = new StringBuilder(baseUrl.length() + call.path().length() + 64)
                .append(baseUrl).append(call.path()).append('?').append(accountIdQuery);
        call.query().forEach((k, v) -> uri.append('&').append(encode(k)).append('=').append(encode(v)));
        Request request = http.newRequest(uri.toString())
                .method(call.method())
                .idleTimeout(0, TimeUnit.MILLISECONDS)
                .headers(headers -> {
                    headers.put(HttpHeader.AUTHORIZATION, bearer)
                            .put(HttpHeader.ACCEPT, "application/json")
                            .put(HttpHeader.CONTENT_TYPE, "application/json")
                            .put(HttpHeader.USER_AGENT, userAgent);
                    if (trace != null) {
                        trace.headers().forEach(headers::put);
                    }
                });
        if (!call.isRead()) {
            request.tag(SpotHttp.CHANGES); // connections of their own, reused only once seen open (SpotHttp)
        }
        if (call.body() != null) {
            request.body(new BytesRequestContent("application/json",
                    call.body().toString().getBytes(StandardCharsets.UTF_8)));
        }
        if (timeoutMs > 0) {
            request.timeout(timeoutMs, TimeUnit.MILLISECONDS);
        }
        return request;
    }

    /**
     * Marks a failed attempt as retryable or final, as {@link SpotRetryPolicy} decides; Resilience4j's
     * predicate only reads the mark.
     */
    private RuntimeException withRetryDecision(SpotCall call, SpotException e, long deadlineNanos, CallState state) {
        long remainingMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        return SpotRetryPolicy.mayRetry(call, e, state.attemptsSent(), remainingMs, settings)
                ? new RetryableSpotException(e) : e;
    }

    private static RetryConfig retryConfig(SpotClientSettings settings) {
        IntervalFunction backoff = IntervalFunction.ofExponentialRandomBackoff(
                Duration.ofMillis(settings.initialBackoffMs()), 2.0, 0.5, Duration.ofMillis(settings.maxBackoffMs()));
        return RetryConfig.<Object>custom()
                .maxAttempts(settings.maxAttempts())
                .retryOnException(t -> unwrap(t) instanceof RetryableSpotException)
                .intervalBiFunction((attempt, outcome) -> {
                    long computed = backoff.apply(attempt);
                    Throwable t = outcome.isLeft() ? unwrap(outcome.getLeft()) : null;
                    if (t instanceof RetryableSpotException r) {
                        t = r.original();
                    }
                    if (t instanceof SpotException s && s.retryAfter() != null) {
                        return Math.max(computed, s.retryAfter().toMillis());
                    }
                    return computed;
                })
                .failAfterMaxAttempts(false)
                .build();
    }

    private SpotException classify(SpotCall call, Throwable failure, boolean overall) {
        if (failure instanceof RetryableSpotException r) {
            return r.original();
        }
        if (failure instanceof SpotException s) {
            return s;
        }
        if (failure instanceof TimeoutException) {
            return timeout(call, overall);
        }
        BoundedBody.TooLarge tooLarge = causeOf(failure, BoundedBody.TooLarge.class);
        if (tooLarge != null) {
            return new SpotException(Kind.BAD_REPLY, call.operation(), 0, null, tooLarge.getMessage(), null, null,
                    !call.isRead());
        }
        if (failure instanceof ConnectException) {
            return new SpotException(Kind.UNREACHABLE, call.operation(), 0, null,
                    "cannot connect to Spot", null, null, false);
        }
        if (failure instanceof IOException) {
            return new SpotException(Kind.UNREACHABLE, call.operation(), 0, null,
                    "connection to Spot failed before a reply: " + failure.getClass().getSimpleName(), null, null,
                    !call.isRead());
        }
        return new SpotException(Kind.UNREACHABLE, call.operation(), 0, null,
                "Spot call failed: " + failure.getClass().getSimpleName(), null, null, !call.isRead());
    }

    private SpotException timeout(SpotCall call, boolean overall) {
        return new SpotException(Kind.TIMEOUT, call.operation(), 0, null,
                overall ? "no answer from Spot within " + settings.deadlineMs() + " ms"
                        : "no answer from Spot within the attempt timeout", null, null, !call.isRead());
    }

    private static <T extends Throwable> T causeOf(Throwable failure, Class<T> type) {
        for (Throwable c = failure; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    /** The failure inside {@code CompletionException}/{@code ExecutionException} wrappers: what a caller maps. */
    public static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        while ((cur instanceof CompletionException || cur instanceof java.util.concurrent.ExecutionException)
                && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    /** What one call has sent so far (each attempt is one request: {@link SpotHttp}) and what is still open. */
    private static final class CallState {
        private int attemptsSent;
        private int openExchanges;
        private boolean finished;
        private Runnable whenIdle;

        synchronized int attemptsSent() {
            return attemptsSent;
        }

        /** False once the call has been answered: no request is sent after that. */
        synchronized boolean beginExchange() {
            if (finished) {
                return false;
            }
            openExchanges++;
            attemptsSent++;
            return true;
        }

        void endExchange() {
            Runnable run;
            synchronized (this) {
                openExchanges--;
                run = finished && openExchanges == 0 ? whenIdle : null;
                if (run != null) {
                    whenIdle = null;
                }
            }
            if (run != null) {
                run.run();
            }
        }

        synchronized boolean isFinished() {
            return finished;
        }

        /** The call is answered; {@code whenIdle} runs once its last exchange with Spot has ended. */
        void finish(Runnable idle) {
            boolean now;
            synchronized (this) {
                finished = true;
                now = openExchanges == 0;
                if (!now) {
                    whenIdle = idle;
                }
            }
            if (now && idle != null) {
                idle.run();
            }
        }
    }

    /** The body of an {@link #exclusive} and the writes it sent: runs {@code whenIdle} once all have ended. */
    private static final class Hold {
        private final java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger(1);
        private final java.util.List<WriteFence.Ticket> tickets;
        private final Runnable whenIdle;

        Hold(java.util.List<WriteFence.Ticket> tickets, Runnable whenIdle) {
            this.tickets = tickets;
            this.whenIdle = whenIdle;
        }

        /** Whether the fences of every object of {@code objects} are still this hold's ({@link WriteFence.Ticket#stillHeld}). */
        boolean stillHeld(java.util.List<String> objects) {
            for (WriteFence.Ticket t : tickets) {
                if (objects.contains(t.object()) && !t.stillHeld()) {
                    return false;
                }
            }
            return true;
        }

        void open() {
            open.incrementAndGet();
        }

        void close() {
            if (open.decrementAndGet() == 0) {
                whenIdle.run();
            }
        }
    }

    /** Wraps a failure that may be tried again; never leaves this class. */
    private static final class RetryableSpotException extends RuntimeException {
        private final SpotException original;

        RetryableSpotException(SpotException original) {
            super(original.getMessage(), null, false, false);
            this.original = original;
        }

        SpotException original() {
            return original;
        }
    }
}
