package dev.spotapi.api;

import dev.spotapi.shared.SharedState;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Method;
import dev.spotapi.api.http.Endpoint;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Tells "spot-api deleted it" apart from "it never existed" on a repeated DELETE (issue 20 kind 5). After a
 * DELETE of an elastigroup or managed instance that Spot accepted (2xx), or whose outcome is unknown (a 5xx
 * after the request may have reached Spot: a lost reply, a timeout), the object is recorded in the
 * {@link SharedState} (so every replica sees it) for {@link #TTL}. A later DELETE of it that would answer 404
 * keeps the 404 (what the Go service answered, and what clients that treat "not found" on delete as done
 * expect) but says so: {@code "already deleted by spot-api at <time>"}, and the machine-readable
 * {@code "deletedAt"} (ISO-8601) field in the error body. Records are keyed by org, Spot account id, kind and id: two
 * names of one Spot account in the config share them (attack round 16: a delete repeated through the other name got
 * the plain 404).
 */
final class DeletedRecently {
    /** How long a delete is remembered. */
    static final Duration TTL = Duration.ofHours(24);

    /** The 404 body of an object spot-api deleted: {@link ErrorBody}'s fields and when it was deleted. */
    record AlreadyDeleted(int status, String message, String requestId, String deletedAt) {
    }

    private final SharedState state;
    private final dev.spotapi.account.AccountRegistry accounts;
    private final String org;
    private final Replies replies;
    /** Path parameter name → the noun in the message, of the routes whose DELETE is tracked. */
    private final Map<String, String> kinds = Map.of("elastigroup", "elastigroup", "instance", "managed instance");

    DeletedRecently(SharedState state, dev.spotapi.account.AccountRegistry accounts, String org, Replies replies) {
        this.state = state;
        this.accounts = accounts;
        this.org = org;
        this.replies = replies;
    }

    /** The after handler: records a delete that may have happened, or rewrites the 404 of one that did. */
    void after(Exchange ctx) {
        if (!Method.DELETE.equals(ctx.method())) {
            return;
        }
        Endpoint endpoint = ctx.endpoint();
        if (endpoint == null) {
            return;
        }
        for (Map.Entry<String, String> kind : kinds.entrySet()) {
            if (endpoint.path.endsWith("/{" + kind.getKey() + "}")) {
                handle(ctx, kind.getKey(), kind.getValue());
                return;
            }
        }
    }

    private void handle(Exchange ctx, String param, String noun) {
        String id = ctx.pathParam(param);
        dev.spotapi.account.Account account = accounts.all().get(ctx.pathParam("account"));
        if (account == null) {
            return; // an unknown account's 404: nothing was deleted
        }
        String key = org + ':' + account.config().id() + ':' + param + ':' + id;
        int status = ctx.statusCode();
        boolean mayHaveActed = status >= 500 && !Boolean.TRUE.equals(ctx.attribute(dev.spotapi.idempotency.Idempotency.NOTHING_CHANGED));
        if (status < 300 || mayHaveActed) {
            state.recordDeleted(key, System.currentTimeMillis(), TTL);
        } else if (status == 404) {
            OptionalLong at = state.deletedAt(key);
            if (at.isPresent()) {
                String when = Instant.ofEpochMilli(at.getAsLong()).toString();
                replies.json(ctx, new AlreadyDeleted(404, noun + " '" + id + "' does not exist: it was already deleted by"
                        + " spot-api at " + when, RequestIds.of(ctx), when));
            }
        }
    }
}
