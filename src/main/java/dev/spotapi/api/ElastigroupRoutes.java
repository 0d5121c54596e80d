package dev.spotapi.api;

import dev.spotapi.org.Ownership;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.elastigroup.ActivityQuery;
import dev.spotapi.elastigroup.Capacity;
import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.elastigroup.Scale;
import dev.spotapi.instance.CostWindow;
import dev.spotapi.power.PowerState;
import dev.spotapi.spot.Deallocation;
import java.time.Instant;
import dev.spotapi.spot.SpotIds;
import dev.spotapi.tags.ServerTags;
import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.api.http.Exchange;

/** HTTP side of /{account}/elastigroups: reads the request, calls the service, writes the reply. */
final class ElastigroupRoutes extends AccountScopedRoutes {
    private final ElastigroupService service;

    ElastigroupRoutes(ElastigroupService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        super(accounts, bodies, replies);
        this.service = service;
    }

    void list(Exchange ctx) {
        replies.jsonLater(ctx, service.list(account(ctx), space(ctx)));
    }

    void create(Exchange ctx) {
        var account = account(ctx);
        ObjectNode body = parsed(() -> ServerTags.refuseOwnTagsOnCreate(Ownership.requireTagPlace(
                ServerTags.refuseDuplicateKeys(body(ctx)), false)));
        replies.jsonLater(ctx, service.create(account, body, Idempotency.correlation(ctx)));
    }

    void get(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        replies.jsonLater(ctx, checked(ctx, () -> service.get(account, id)));
    }

    void update(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        ObjectNode body = parsed(() -> Ownership.requireTagPlace(ServerTags.refuseDuplicateKeys(body(ctx)), true));
        replies.jsonLater(ctx, service.update(account, id, body));
    }

    /** {@code ?keep=} chooses what the stateful deallocation keeps; {@code ?detach} is for instances only. */
    void delete(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        Deallocation keep = keep(ctx);
        if (keep.kept().contains(Deallocation.Kept.AMI_BACKUPS)) {
            throw ApiException.badRequest("keep=amiBackups applies to managed instances only: Spot's group delete "
                    + "has no AMI backup flag");
        }
        if (ctx.queryParam("detach") != null) {
            throw ApiException.badRequest("detach applies to managed instances only; an elastigroup is deleted "
                    + "with its instances");
        }
        replies.textLater(ctx, service.delete(account, id, keep, checked(ctx, () -> service.get(account, id))), "OK");
    }

    void status(Exchange ctx) {
        var account = account(ctx);
        replies.jsonLater(ctx, service.status(account, id(ctx)));
    }

    void capacity(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        Capacity capacity = parsed(() -> Capacity.fromBody(body(ctx)));
        replies.jsonLater(ctx, service.capacity(account, id, capacity));
    }

    void scale(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        Scale scale = parsed(() -> Scale.fromBody(body(ctx)));
        replies.jsonLater(ctx, service.scale(account, id, scale));
    }

    void power(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        PowerState state = parsed(() -> PowerState.fromBody(body(ctx)));
        replies.noContentLater(ctx, service.power(account, id, state, checked(ctx, () -> service.get(account, id))));
    }

    void costs(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        CostWindow window = parsed(() -> CostWindow.parse(ctx.queryParam("start"), ctx.queryParam("end")));
        String period = aggregationPeriod(ctx);
        replies.jsonLater(ctx, service.costs(account, id, window, period, checked(ctx, () -> service.get(account, id))));
    }

    void events(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        ActivityQuery query = parsed(() -> ActivityQuery.events(ctx.queryParam("start"), Instant.now()));
        replies.jsonLater(ctx, service.events(account, id, query));
    }

    void logs(Exchange ctx) {
        var account = account(ctx);
        String id = id(ctx);
        ActivityQuery query = parsed(() -> ActivityQuery.parse(ctx.queryParam("start"), ctx.queryParam("end"),
                ctx.queryParam("severity"), ctx.queryParam("limit"), Instant.now()));
        replies.jsonLater(ctx, service.logs(account, id, query));
    }

    private static String id(Exchange ctx) {
        return id(ctx, "elastigroup", SpotIds::isGroupId, "elastigroup not found: not an elastigroup id");
    }
}
