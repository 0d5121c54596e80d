package dev.spotapi.api;

import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.spot.SpotIds;
import io.javalin.http.Context;

/** HTTP side of /{account}/elastigroups: reads the request, calls the service, writes the reply. */
final class ElastigroupRoutes extends AccountScopedRoutes {
    private final ElastigroupService service;

    ElastigroupRoutes(ElastigroupService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        super(accounts, bodies, replies);
        this.service = service;
    }

    void list(Context ctx) {
        replies.jsonLater(ctx, service.list(account(ctx), space(ctx)));
    }

    void create(Context ctx) {
        var account = account(ctx);
        replies.jsonLater(ctx, service.create(account, body(ctx)));
    }

    void get(Context ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, checked(ctx, () -> service.get(account, id)));
    }

    void update(Context ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, service.update(account, id, body(ctx)));
    }

    void delete(Context ctx) {
        var account = account(ctx);
        replies.textLater(ctx, service.delete(account, id(ctx)), "OK");
    }

    private static String id(Context ctx) {
        return id(ctx, "elastigroup", SpotIds::isGroupId, "elastigroup not found: not an elastigroup id");
    }
}
