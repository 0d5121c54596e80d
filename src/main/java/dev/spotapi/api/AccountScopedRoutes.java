package dev.spotapi.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
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

    /** The id path parameter; one that is not a Spot id of the right kind cannot exist (404, no Spot call). */
    protected static String id(Context ctx, String param, Predicate<String> isSpotId, String notFoundMessage) {
        String id = ctx.pathParam(param);
        if (!isSpotId.test(id)) {
            throw ApiException.notFound(notFoundMessage);
        }
        return id;
    }
}
