package dev.spotapi.api;

import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.spot.SpotIds;
import io.javalin.http.Context;

/** HTTP side of /{account}/elastigroups: reads the request, calls the service, writes the reply. */
final class ElastigroupRoutes {
    private final ElastigroupService service;
    private final AccountLookup accounts;
    private final RequestBodies bodies;
    private final Replies replies;

    ElastigroupRoutes(ElastigroupService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        this.service = service;
        this.accounts = accounts;
        this.bodies = bodies;
        this.replies = replies;
    }

    void list(Context ctx) {
        replies.jsonLater(ctx, service.list(accounts.of(ctx)));
    }

    void create(Context ctx) {
        var account = accounts.of(ctx);
        replies.jsonLater(ctx, service.create(account, bodies.object(ctx)));
    }

    void get(Context ctx) {
        var account = accounts.of(ctx);
        replies.jsonLater(ctx, service.get(account, id(ctx)));
    }

    void update(Context ctx) {
        var account = accounts.of(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, service.update(account, id, bodies.object(ctx)));
    }

    void delete(Context ctx) {
        var account = accounts.of(ctx);
        replies.textLater(ctx, service.delete(account, id(ctx)), "OK");
    }

    private static String id(Context ctx) {
        String id = ctx.pathParam("elastigroup");
        if (!SpotIds.isGroupId(id)) {
            throw ApiException.notFound("elastigroup not found: not an elastigroup id");
        }
        return id;
    }
}
