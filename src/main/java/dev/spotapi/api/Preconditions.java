package dev.spotapi.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Method;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Conditional requests (RFC 9110 §13) on every route that changes something, evaluated before anything reaches
 * Spot (attack round 7: {@code If-Match} and {@code If-Unmodified-Since} were ignored, so a client relying on
 * them for optimistic concurrency overwrote changes it never saw):
 * <ul>
 *   <li>{@code If-Match}: spot-api sends no entity tags, so only {@code *} can match (the object exists: the org
 *       check found it); any entity tag is 412;</li>
 *   <li>{@code If-Unmodified-Since} (without {@code If-Match}): on a per-resource route, 412 when Spot's
 *       {@code updatedAt} of the object is later than the date (second precision); ignored where there is no
 *       object (a create) or no {@code updatedAt}, and when the date is not an HTTP date (§13.1.4);</li>
 *   <li>{@code If-None-Match: *} on a per-resource route: the object exists, 412.</li>
 * </ul>
 * Reads ignore preconditions: spot-api sends no validators, so their answers are the unconditional ones.
 */
final class Preconditions {
    private final Function<Exchange, CompletableFuture<JsonNode>> objects;
    private final Replies replies;

    /**
     * @param objects the object of a per-resource request (the org check's read), null for other routes
     * @param replies how the request waits for that read
     */
    Preconditions(Function<Exchange, CompletableFuture<JsonNode>> objects, Replies replies) {
        this.objects = objects;
        this.replies = replies;
    }

    /** The before-matched step (after the org check). */
    void before(Exchange ctx) {
        Method m = ctx.method();
        if (Method.GET.equals(m) || Method.HEAD.equals(m) || Method.OPTIONS.equals(m) || ctx.endpoint() == null) {
            return;
        }
        List<String> ifMatch = ctx.headers("If-Match");
        List<String> ifNoneMatch = ctx.headers("If-None-Match");
        String ifUnmodifiedSince = ctx.header("If-Unmodified-Since");
        if (ifMatch.isEmpty() && ifNoneMatch.isEmpty() && ifUnmodifiedSince == null) {
            return;
        }
        if (!ifMatch.isEmpty()) {
            if (!onlyStar(ifMatch)) {
                throw failed("If-Match names an entity tag, and spot-api sends none (only If-Match: * can match)");
            }
            ifUnmodifiedSince = null; // §13.2.2: If-Unmodified-Since is evaluated only without If-Match
        }
        CompletableFuture<JsonNode> object = objects.apply(ctx);
        if (object == null) {
            return; // a collection (a create): no object whose state the condition could be about
        }
        if (onlyStar(ifNoneMatch)) {
            throw failed("If-None-Match: * and the object exists");
        }
        Instant since = httpDate(ifUnmodifiedSince);
        if (since == null) {
            return;
        }
        replies.later(ctx, object.thenAccept(o -> {
            Instant updated = updatedAt(o);
            if (updated != null && updated.getEpochSecond() > since.getEpochSecond()) {
                throw failed("the object was modified at " + updated + ", after If-Unmodified-Since");
            }
        }));
    }

    private static boolean onlyStar(List<String> values) {
        return !values.isEmpty() && values.stream().allMatch(v -> v.strip().equals("*"));
    }

    private static ApiException failed(String why) {
        return new ApiException(412, "precondition failed: " + why + "; nothing was done");
    }

    /** An HTTP date (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime forms), or null. */
    static Instant httpDate(String value) {
        if (value == null) {
            return null;
        }
        try {
            return ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    /** Spot's {@code updatedAt} of an object ({@code yyyy-MM-ddTHH:mm:ss.SSSZ}, contract §4.3), or null. */
    private static Instant updatedAt(JsonNode object) {
        String text = object == null ? "" : object.path("updatedAt").asText("");
        try {
            return text.isEmpty() ? null : Instant.parse(text);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
