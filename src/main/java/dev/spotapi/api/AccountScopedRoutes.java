package dev.spotapi.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.org.OrgGuard;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import dev.spotapi.account.Account;
import io.javalin.http.Context;
import java.util.function.Predicate;

/** What every /{account}/... handler needs: the account, the body, the object id, and a way to reply. */
abstract class AccountScopedRoutes {
    private final AccountLookup accounts;
    private final RequestBodies bodies;
    protected final Replies replies;

    AccountScopedRoutes(AccountLookup accounts, RequestBodies bodies, Replies replies) {
        this.accounts = accounts;
        this.bodies = bodies;
        this.replies = replies;
    }

    protected Account account(Context ctx) {
        return accounts.of(ctx);
    }

    protected ObjectNode body(Context ctx) {
        return bodies.object(ctx);
    }

    /** The optional {@code ?space=} filter of a list (the {@code spinup:spaceid} tag), or null. */
    protected static String space(Context ctx) {
        String space = ctx.queryParam("space");
        return space == null || space.isEmpty() ? null : space;
    }

    /** The object the org check already read for this request, or {@code read} when there was no check. */
    protected static CompletableFuture<JsonNode> checked(Context ctx, Supplier<CompletableFuture<JsonNode>> read) {
        return OrgGuard.resource(ctx, read);
    }

    /** The id path parameter; one that is not a Spot id of the right kind cannot exist (404, no Spot call). */
    protected static String id(Context ctx, String param, Predicate<String> isSpotId, String notFoundMessage) {
        String id = ctx.pathParam(param);
        if (!isSpotId.test(id)) {
            throw ApiException.notFound(notFoundMessage);
        }
        return id;
    }
}
