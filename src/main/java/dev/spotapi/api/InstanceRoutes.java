package dev.spotapi.api;

import dev.spotapi.instance.CostWindow;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.spot.SpotIds;
import io.javalin.http.Context;

/** HTTP side of /{account}/instances: reads the request, calls the service, writes the reply. */
final class InstanceRoutes {
    private final InstanceService service;
    private final AccountLookup accounts;
    private final RequestBodies bodies;
    private final Replies replies;

    InstanceRoutes(InstanceService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
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

    void summary(Context ctx) {
        var account = accounts.of(ctx);
        replies.jsonLater(ctx, service.summary(account, id(ctx)));
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

    void costs(Context ctx) {
        var account = accounts.of(ctx);
        String id = id(ctx);
        CostWindow window;
        try {
            window = CostWindow.parse(ctx.queryParam("start"), ctx.queryParam("end"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        replies.jsonLater(ctx, service.costs(account, id, window));
    }

    void status(Context ctx) {
        var account = accounts.of(ctx);
        replies.jsonLater(ctx, service.status(account, id(ctx)));
    }

    private static String id(Context ctx) {
        String id = ctx.pathParam("instance");
        if (!SpotIds.isManagedInstanceId(id)) {
            throw ApiException.notFound("managed instance not found: not a managed instance id");
        }
        return id;
    }
}
