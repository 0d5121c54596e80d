package dev.spotapi.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.elastigroup.Rolls;
import dev.spotapi.spot.SpotIds;
import dev.spotapi.api.http.Exchange;
import java.util.concurrent.CompletableFuture;

/**
 * HTTP side of a group's fleet operations (issue 22): rolls (always asynchronous: 202 with the
 * {@code X-Flywheel-Task} of a {@code groupRoll} task and Spot's roll id in {@value #ROLL_HEADER} and the
 * body), instance healthiness, detaching instances and suspending processes. Also the {@code ?roll=}
 * parameter of the group update ({@link #updateWithRoll}). Bodies are Spot's shapes ({@link Rolls}).
 */
final class RollRoutes extends AccountScopedRoutes {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RollRoutes.class);
    /** Response header naming the roll a request started. */
    static final String ROLL_HEADER = "X-Spot-Roll";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final ElastigroupService groups;

    RollRoutes(ElastigroupService groups, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        super(accounts, bodies, replies);
        this.groups = groups;
    }

    /** {@code POST .../rolls}: Spot's start-deployment body; answers {@code {"rollId", "roll": Spot's item}}. */
    void start(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        ObjectNode params = parsed(() -> Rolls.rollBody(body(ctx)));
        replies.jsonLater(ctx, Rolls.start(account, id, params).thenApply(roll -> started(ctx, roll)));
    }

    /**
     * {@code PUT .../elastigroups/{id}?roll=<JSON object or true>}: updates the group, then starts a roll with
     * those parameters (Spot's defaults for {@code true} or an empty value); answers the updated group with
     * the roll in {@value #ROLL_HEADER}, and a task like {@link #start}. Without {@code roll} a plain update.
     */
    /**
     * A roll refused (or failed) after its update was written: the same failure, saying that the update stands, so
     * that no caller takes the refusal for "nothing changed" (attack round 6: a 400 from Spot's roll hid the update).
     */
    private static Throwable updatedButNotRolled(String id, Throwable failure) {
        Throwable cause = dev.spotapi.spot.SpotClient.unwrap(failure);
        if (!(cause instanceof dev.spotapi.spot.SpotException s)) {
            return cause;
        }
        return new dev.spotapi.spot.SpotException(s.kind(), s.operation(), s.httpStatus(), s.code(), "elastigroup '" + id
                + "' was updated (the update stands); its roll was not started: " + s.spotMessage(), s.spotRequestId(),
                s.retryAfter(), s.mayHaveActed());
    }

    void updateWithRoll(Exchange ctx, ElastigroupRoutes plain) {
        String rollParam = ctx.queryParam("roll");
        if (rollParam == null) {
            plain.update(ctx);
            return;
        }
        var account = account(ctx);
        String id = id(ctx);
        ObjectNode params = parsed(() -> Rolls.rollBody(rollQuery(rollParam)));
        ObjectNode body = parsed(() -> dev.spotapi.org.Ownership.requireTagPlace(
                dev.spotapi.tags.ServerTags.refuseDuplicateKeys(body(ctx)), true));
        CompletableFuture<JsonNode> done = groups.update(account, id, body)
                .thenCompose(group -> Rolls.start(account, id, params)
                        .exceptionallyCompose(failure -> {
                            // the update was written: the key keeps this answer, a retry never writes again
                            ctx.attribute(dev.spotapi.idempotency.Idempotency.SOMETHING_CHANGED, Boolean.TRUE);
                            return CompletableFuture.failedFuture(updatedButNotRolled(id, failure));
                        })
                        .thenApply(roll -> {
                            started(ctx, roll);
                            return group;
                        }));
        replies.jsonLater(ctx, done);
    }

    /** The {@code roll} query value: a JSON object, or {@code true} / empty for the defaults (null). */
    private static JsonNode rollQuery(String value) {
        String v = value.strip();
        if (v.isEmpty() || v.equalsIgnoreCase("true")) {
            return null;
        }
        try {
            return RequestBodies.readStrict(v);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("roll is not a JSON object of roll parameters: " + RequestBodies.describe(e));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("roll must be true or a JSON object of roll parameters "
                    + "(batchSizePercentage, gracePeriod, healthCheckType, drainingTimeout, strategy), each given once");
        }
    }

    /** A roll id as Spot writes them ({@code sbgd-...}): what may go into {@value #ROLL_HEADER}. */
    private static final java.util.regex.Pattern ROLL_ID = java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

    private static ObjectNode started(Exchange ctx, JsonNode roll) {
        String rollId = roll.path("id").asText("");
        if (ROLL_ID.matcher(rollId).matches()) {
            ctx.header(ROLL_HEADER, rollId);
        } else if (!rollId.isEmpty()) {
            // Spot's answer is data, never a header as it stands (attack round 9: CR/LF, NUL, 20,000 characters)
            LOG.warn("Spot answered a roll id that is not one ({} characters): left out of {}", rollId.length(),
                    ROLL_HEADER);
        }
        ObjectNode out = MAPPER.createObjectNode();
        out.put("rollId", rollId);
        out.set("roll", roll);
        return out;
    }

    void list(Exchange ctx) {
        var account = account(ctx);
        replies.jsonLater(ctx, Rolls.list(account, id(ctx)));
    }

    void get(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, Rolls.get(account, id, rollId(ctx)));
    }

    /** {@code PUT .../rolls/{roll}} with {@code {"status": "STOPPED"}} (Spot's stop-deployment). */
    void stop(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        String rollId = rollId(ctx);
        parsed(() -> {
            ObjectNode b = body(ctx);
            if (b.size() != 1 || !"STOPPED".equals(b.path("status").asText())) {
                throw new IllegalArgumentException("the body must be {\"status\": \"STOPPED\"}");
            }
            return b;
        });
        replies.noContentLater(ctx, Rolls.stop(account, id, rollId));
    }

    void healthiness(Exchange ctx) {
        var account = account(ctx);
        replies.jsonLater(ctx, Rolls.healthiness(account, id(ctx)));
    }

    void detach(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        ObjectNode body = parsed(() -> Rolls.detachBody(body(ctx)));
        replies.noContentLater(ctx, Rolls.detach(account, id, body));
    }

    void suspensions(Exchange ctx) {
        var account = account(ctx);
        replies.jsonLater(ctx, Rolls.suspensions(account, id(ctx)));
    }

    void suspend(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        ObjectNode body = parsed(() -> Rolls.suspensionBody(body(ctx)));
        replies.jsonLater(ctx, Rolls.suspend(account, id, body));
    }

    void resume(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        String process = parsed(() -> Rolls.process(ctx.pathParam("process")));
        replies.noContentLater(ctx, Rolls.resume(account, id, process));
    }

    private static String id(Exchange ctx) {
        return id(ctx, "elastigroup", SpotIds::isGroupId, "elastigroup not found: not an elastigroup id");
    }

    private static String rollId(Exchange ctx) {
        return id(ctx, "roll", Rolls::isRollId, "roll not found: not a Spot roll id (sbgd-...)");
    }
}
