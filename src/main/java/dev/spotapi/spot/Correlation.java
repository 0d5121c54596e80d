package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The correlation tag every create carries ({@value #TAG_KEY} in
 * {@code compute.launchSpecification.tags}, the place both groups and managed instances keep their tags:
 * contract section 4): a server-made token, never a secret. Spot's creates take no client token, so
 * after a create whose reply was lost spot-api looks for this tag to learn whether, and what, Spot
 * created. With an {@code Idempotency-Key} the token is derived from the hashed key, so a retry finds
 * what an earlier attempt made, on any replica, after any restart.
 *
 * @param token          the tag value
 * @param lookFirst      whether an earlier attempt may have created the resource already: look before creating
 * @param lookupRequired whether a failed look-up must stop the create (an earlier attempt is known to have
 *                       been left in doubt); when false a failed look-up is logged and the create goes ahead
 *                       (a first claim of a key, whose earlier record could only have been lost)
 */
public record Correlation(String token, boolean lookFirst, boolean lookupRequired, Fence fence) {
    public static final String TAG_KEY = "spot-api:correlation";

    /**
     * Asked right before a create that its look-up found no earlier object for: null when the request may go
     * ahead, else why not (its {@code Idempotency-Key} was taken over by a retry on another replica while this
     * one was paused past its lease; the store cannot confirm it). Extends the request's hold on its key.
     */
    @FunctionalInterface
    public interface Fence {
        String refusal();
    }

    /** A fence that never refuses (a create without an idempotency key). */
    public static final Fence NONE = () -> null;

    /** A correlation without a fence. */
    public Correlation(String token, boolean lookFirst, boolean lookupRequired) {
        this(token, lookFirst, lookupRequired, NONE);
    }

    /** A correlation whose look-up, when it looks first, must succeed before creating. */
    public Correlation(String token, boolean lookFirst) {
        this(token, lookFirst, lookFirst);
    }

    /** A fresh token for a create without an idempotency key. */
    public static Correlation random() {
        byte[] bytes = new byte[16];
        ThreadLocalRandom.current().nextBytes(bytes);
        return new Correlation(HexFormat.of().formatHex(bytes), false);
    }

    /**
     * What an earlier attempt with this token may have made, before making it again: {@code none} when no earlier
     * attempt can exist ({@link #lookFirst} false), else {@code lookup}'s answer. A failed look-up fails the result
     * when {@link #lookupRequired}; otherwise it is handed to {@code skipped} (to log) and the answer is {@code none}.
     * What the caller then creates, it creates after {@link #beforeCreate()}.
     */
    public <T> java.util.concurrent.CompletableFuture<T> lookFirst(
            java.util.function.Supplier<java.util.concurrent.CompletableFuture<T>> lookup, T none,
            java.util.function.Consumer<Throwable> skipped) {
        if (!lookFirst) {
            return java.util.concurrent.CompletableFuture.completedFuture(none);
        }
        return lookupRequired ? lookup.get() : lookup.get().exceptionally(failure -> {
            skipped.accept(SpotClient.unwrap(failure));
            return none;
        });
    }

    /**
     * Called right before a create (or import) is sent, after {@link #lookFirst} found nothing (or not all) to
     * answer with: when this request's look-up ran ({@link #lookFirst}) and its {@link #fence} refuses, throws
     * {@link SpotException.Kind#IN_PROGRESS} (409 with Retry-After) and nothing is sent.
     */
    public void beforeCreate() {
        if (!lookFirst) {
            return;
        }
        String refusal = fence.refusal();
        if (refusal != null) {
            throw new SpotException(SpotException.Kind.IN_PROGRESS, "create", 0, null, refusal, null,
                    java.time.Duration.ofSeconds(1), false);
        }
    }

    /**
     * {@code object} with this tag set in {@code compute.launchSpecification.tags} (replacing any copy of it); a
     * missing or null place is made. Throws {@link IllegalArgumentException} when something else is there (never
     * replaced: it could be the caller's tags, the org's among them).
     */
    ObjectNode tag(ObjectNode object) {
        ObjectNode compute = objectAt(object, "compute");
        ObjectNode spec = objectAt(compute, "launchSpecification");
        JsonNode had = spec.get("tags");
        if (had != null && !had.isNull() && !had.isArray()) {
            throw new IllegalArgumentException("compute.launchSpecification.tags must be an array");
        }
        ArrayNode tags = had instanceof ArrayNode t ? t : spec.putArray("tags");
        for (int i = tags.size() - 1; i >= 0; i--) {
            if (TAG_KEY.equals(tags.get(i).path("tagKey").asText(null))) {
                tags.remove(i);
            }
        }
        tags.addObject().put("tagKey", TAG_KEY).put("tagValue", token);
        return object;
    }

    private static ObjectNode objectAt(ObjectNode parent, String field) {
        JsonNode child = parent.get(field);
        if (child instanceof ObjectNode o) {
            return o;
        }
        if (child != null && !child.isNull()) {
            throw new IllegalArgumentException(field + " must be an object");
        }
        return parent.putObject(field);
    }

    /**
     * Whether an object (as a read answers it; list items are first unwrapped by
     * {@link SpotResource#object}) carries this tag where Spot keeps tags, {@code compute.launchSpecification.tags}.
     * No other place counts: a caller's own copy of the tag elsewhere in the object decides nothing.
     */
    boolean taggedOn(JsonNode object) {
        for (JsonNode tag : object.path("compute").path("launchSpecification").path("tags")) {
            if (TAG_KEY.equals(tag.path("tagKey").asText(null)) && token.equals(tag.path("tagValue").asText(null))) {
                return true;
            }
        }
        return false;
    }
}
