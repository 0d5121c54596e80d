package dev.spotapi.api;

import dev.spotapi.org.Ownership;

import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.spotapi.instance.CostWindow;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.tags.ServerTags;
import dev.spotapi.power.PowerState;
import dev.spotapi.spot.Deallocation;
import dev.spotapi.spot.SpotIds;
import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.api.http.Exchange;

/** HTTP side of /{account}/instances: reads the request, calls the service, writes the reply. */
final class InstanceRoutes extends AccountScopedRoutes {
    private final InstanceService service;

    InstanceRoutes(InstanceService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        super(accounts, bodies, replies);
        this.service = service;
    }

    void list(Exchange ctx) {
        replies.jsonLater(ctx, service.list(account(ctx), space(ctx)));
    }

    void create(Exchange ctx) {
        var account = account(ctx);
        ObjectNode body = parsed(() -> ServerTags.refuseOwnTagsOnCreate(Ownership.requireTagPlace(
                ServerTags.refuseDuplicateKeys(InstanceService.refuseImportName(body(ctx))), false)));
        replies.jsonLater(ctx, service.create(account, body, Idempotency.correlation(ctx)));
    }

    void summary(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, service.summary(account, id, checked(ctx, () -> service.read(account, id))));
    }

    void update(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        ObjectNode body = parsed(() -> Ownership.requireTagPlace(ServerTags.refuseDuplicateKeys(
                InstanceService.refuseImportName(body(ctx))), true));
        replies.jsonLater(ctx, service.update(account, id, body));
    }

    /** {@code ?keep=} chooses what the deallocation keeps; {@code ?detach=true} leaves the EC2 instance running. */
    void delete(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        Deallocation keep = keep(ctx);
        boolean detach = detach(ctx.queryParam("detach"));
        replies.textLater(ctx, service.delete(account, id, keep, detach, checked(ctx, () -> service.read(account, id))), "OK");
    }

    void power(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        PowerState state = parsed(() -> PowerState.fromBody(body(ctx)));
        replies.noContentLater(ctx, service.power(account, id, state));
    }

    void costs(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        CostWindow window = parsed(() -> CostWindow.parse(ctx.queryParam("start"), ctx.queryParam("end")));
        String period = aggregationPeriod(ctx);
        replies.jsonLater(ctx, service.costs(account, id, window, period, checked(ctx, () -> service.read(account, id))));
    }

    private static boolean detach(String value) {
        if (value == null || value.equalsIgnoreCase("false")) {
            return false;
        }
        if (value.equalsIgnoreCase("true")) {
            return true;
        }
        throw ApiException.badRequest("detach must be true or false");
    }

    void status(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, service.status(account, id, checked(ctx, () -> service.read(account, id))));
    }

    private static String id(Exchange ctx) {
        return id(ctx, "instance", SpotIds::isManagedInstanceId,
                "managed instance not found: not a managed instance id");
    }
}
