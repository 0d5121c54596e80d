package dev.spotapi.api;

import dev.spotapi.instance.CostWindow;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.spot.SpotIds;
import io.javalin.http.Context;

/** HTTP side of /{account}/instances: reads the request, calls the service, writes the reply. */
final class InstanceRoutes extends AccountScopedRoutes {
    private final InstanceService service;

    InstanceRoutes(InstanceService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
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

    void summary(Context ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, service.summary(account, id, checked(ctx, () -> service.read(account, id))));
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

    void costs(Context ctx) {
        var account = account(ctx);
        String id = id(ctx);
        CostWindow window;
        try {
            window = CostWindow.parse(ctx.queryParam("start"), ctx.queryParam("end"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        replies.jsonLater(ctx, service.costs(account, id, window, checked(ctx, () -> service.read(account, id))));
    }

    void status(Context ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, service.status(account, id, checked(ctx, () -> service.read(account, id))));
    }

    private static String id(Context ctx) {
        return id(ctx, "instance", SpotIds::isManagedInstanceId,
                "managed instance not found: not a managed instance id");
    }
}
