package dev.spotapi.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.org.OrgGuard;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import dev.spotapi.account.Account;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.spot.Deallocation;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** What every /{account}/... handler needs: the account, the body, the object id, and a way to reply. */
abstract class AccountScopedRoutes {
    private static final Pattern AGGREGATION_PERIOD = Pattern.compile("[A-Za-z]{1,32}");

    private final AccountLookup accounts;
    private final RequestBodies bodies;
    protected final Replies replies;

    AccountScopedRoutes(AccountLookup accounts, RequestBodies bodies, Replies replies) {
        this.accounts = accounts;
        this.bodies = bodies;
        this.replies = replies;
    }

    protected Account account(Exchange ctx) {
        return accounts.of(ctx);
    }

    protected ObjectNode body(Exchange ctx) {
        return bodies.object(ctx);
    }

    /** The optional {@code ?space=} filter of a list (the {@code spinup:spaceid} tag), or null. */
    protected static String space(Exchange ctx) {
        String space = ctx.queryParam("space");
        return space == null || space.isEmpty() ? null : space;
    }

    /** The object the org check already read for this request, or {@code read} when there was no check. */
    protected static CompletableFuture<JsonNode> checked(Exchange ctx, Supplier<CompletableFuture<JsonNode>> read) {
        return OrgGuard.resource(ctx, read);
    }

    /** Runs a parser of request input; its IllegalArgumentException becomes a 400 with its message. */
    protected static <T> T parsed(Supplier<T> parser) {
        try {
            return parser.get();
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** {@code ?keep=} of the delete routes (400 for an unknown value). */
    protected static Deallocation keep(Exchange ctx) {
        return parsed(() -> Deallocation.parseKeep(ctx.queryParams("keep")));
    }

    /**
     * {@code ?aggregationPeriod=} of the costs routes, passed to Spot as given (Spot checks the value;
     * it documents only {@code daily}); null when absent. Only a short word is accepted.
     */
    protected static String aggregationPeriod(Exchange ctx) {
        String value = ctx.queryParam("aggregationPeriod");
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (!AGGREGATION_PERIOD.matcher(value).matches()) {
            throw ApiException.badRequest("aggregationPeriod must be a word such as daily");
        }
        return value;
    }

    /** The id path parameter; one that is not a Spot id of the right kind cannot exist (404, no Spot call). */
    protected static String id(Exchange ctx, String param, Predicate<String> isSpotId, String notFoundMessage) {
        String id = ctx.pathParam(param);
        if (!isSpotId.test(id)) {
            throw ApiException.notFound(notFoundMessage);
        }
        return id;
    }
}
