package dev.spotapi.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Handler;
import dev.spotapi.api.http.Method;
import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.spot.SpotClient;
import dev.spotapi.spot.SpotException;
import dev.spotapi.spot.SpotTimestamps;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * Conditional requests (RFC 9110 §13) on every route that changes something, evaluated before anything reaches
 * Spot (attack round 7: {@code If-Match} and {@code If-Unmodified-Since} were ignored, so a client relying on
 * them for optimistic concurrency overwrote changes it never saw):
 * <ul>
 *   <li>{@code If-Match}: spot-api sends no entity tags, so only {@code *} can match (the object exists: the org
 *       check found it); any entity tag is 412;</li>
 *   <li>{@code If-Unmodified-Since} (without {@code If-Match}): on a per-resource route, 412 when Spot's
 *       {@code updatedAt} of the object ({@link SpotTimestamps}: both of Spot's forms) is later than the date, an
 *       HTTP date in any of RFC 9110 §5.6.7's three forms (second precision); ignored where there is no object
 *       (a create) or no {@code updatedAt}, and when the date is not an HTTP date (§13.1.4);</li>
 *   <li>{@code If-None-Match: *} on a per-resource route: the object exists, 412.</li>
 * </ul>
 * The object is read before the route ({@link #prefetch}, a before-matched step after the org check), and again inside
 * its write fence before the request's first write to it ({@link SpotClient.Guard}); the
 * conditions are evaluated inside the {@code Idempotency-Key} handling ({@link #evaluatedFirst}), so the retry of a
 * conditional keyed write that was done is its stored answer, not a 412 against the object it changed (attack round
 * 8). Reads ignore preconditions: spot-api sends no validators, so their answers are the unconditional ones.
 */
final class Preconditions {
    private static final String OBJECT = "spot-api.preconditions.object";
    /** The object's stand-in when there is none to compare with (not this org's, not readable). */
    private static final JsonNode NONE = com.fasterxml.jackson.databind.node.MissingNode.getInstance();

    /** The request's {@link SpotClient.Guard} of a conditional write: {@link AccountLookup} puts it on the account's client. */
    static final String GUARD = "spot-api.preconditions.guard";

    private final Function<Exchange, CompletableFuture<JsonNode>> objects;
    private final Function<Exchange, dev.spotapi.org.OrgGuard.Target> targets;
    private final Replies replies;

    /**
     * @param objects the object of a per-resource request (the org check's read), null for other routes
     * @param targets the Spot object of a per-resource request (its write fence and a read of it), null for others
     * @param replies how the request waits for that read
     */
    Preconditions(Function<Exchange, CompletableFuture<JsonNode>> objects,
            Function<Exchange, dev.spotapi.org.OrgGuard.Target> targets, Replies replies) {
        this.objects = objects;
        this.targets = targets;
        this.replies = replies;
    }

    /**
     * The before-matched step (after the org check): a conditional write waits for its object's read, and its writes to
     * the object are guarded ({@link #GUARD}): the conditions are evaluated again against a read made inside the
     * object's write fence, just before the request's first write to it is sent (attack round 22: two writes conditioned
     * on the same date, both checked before either was sent, were both answered 200 and one was lost).
     */
    void prefetch(Exchange ctx) {
        if (!conditionalWrite(ctx)) {
            return;
        }
        dev.spotapi.org.OrgGuard.Target target = targets.apply(ctx);
        if (target != null) {
            ctx.attribute(GUARD, new SpotClient.Guard(target.path(), fenced -> target.read().apply(fenced)
                    .handle((object, failure) -> {
                        if (failure != null && !(SpotClient.unwrap(failure) instanceof SpotException s
                                && s.kind() == SpotException.Kind.NOT_FOUND)) {
                            throw failure instanceof CompletionException c ? c : new CompletionException(failure);
                        }
                        evaluate(ctx, failure == null && object != null ? object : NONE); // gone: the write answers
                        return null;
                    })));
        }
        CompletableFuture<JsonNode> object = objects.apply(ctx);
        if (object != null) {
            replies.later(ctx, object.handle((o, failure) -> {
                ctx.attribute(OBJECT, failure == null && o != null ? o : NONE);
                return null;
            }));
        }
    }

    /** {@code handler} after the conditions (inside the {@code Idempotency-Key} handling: a replay skips both). */
    Handler evaluatedFirst(Handler handler) {
        return ctx -> {
            if (conditionalWrite(ctx)) {
                try {
                    evaluate(ctx);
                } catch (ApiException e) {
                    ctx.attribute(Idempotency.NOTHING_CHANGED, true); // nothing was sent: the key is free again
                    throw e;
                }
            }
            handler.handle(ctx);
        };
    }

    private static boolean conditionalWrite(Exchange ctx) {
        Method m = ctx.method();
        if (Method.GET.equals(m) || Method.HEAD.equals(m) || Method.OPTIONS.equals(m) || ctx.endpoint() == null) {
            return false;
        }
        return ctx.header("If-Match") != null || ctx.header("If-None-Match") != null
                || ctx.header("If-Unmodified-Since") != null;
    }

    private static void evaluate(Exchange ctx) {
        evaluate(ctx, ctx.attribute(OBJECT));
    }

    private static void evaluate(Exchange ctx, JsonNode object) {
        List<String> ifMatch = ctx.headers("If-Match");
        String ifUnmodifiedSince = ctx.header("If-Unmodified-Since");
        if (!ifMatch.isEmpty()) {
            if (!onlyStar(ifMatch)) {
                throw failed("If-Match names an entity tag, and spot-api sends none (only If-Match: * can match)");
            }
            ifUnmodifiedSince = null; // §13.2.2: If-Unmodified-Since is evaluated only without If-Match
        }
        if (object == null || object == NONE) {
            return; // a collection (a create), or no object of this org to compare with: the route answers
        }
        if (onlyStar(ctx.headers("If-None-Match"))) {
            throw failed("If-None-Match: * and the object exists");
        }
        Instant since = httpDate(ifUnmodifiedSince);
        Instant updated = SpotTimestamps.parse(object.path("updatedAt").asText(""));
        if (since != null && updated != null && updated.getEpochSecond() > since.getEpochSecond()) {
            throw failed("the object was modified at " + updated + ", after If-Unmodified-Since");
        }
    }

    private static boolean onlyStar(List<String> values) {
        return !values.isEmpty() && values.stream().allMatch(v -> v.strip().equals("*"));
    }

    private static ApiException failed(String why) {
        return new ApiException(412, "precondition failed: " + why + "; nothing was done");
    }

    /**
     * An HTTP date (RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms a recipient must accept;
     * Jetty's {@code DateParser}), or null.
     */
    static Instant httpDate(String value) {
        if (value == null) {
            return null;
        }
        long millis = org.eclipse.jetty.http.DateParser.parseDate(value.strip());
        return millis < 0 ? null : Instant.ofEpochMilli(millis);
    }
}
