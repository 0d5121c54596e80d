package dev.spotapi.api;

import dev.spotapi.elastigroup.ElastigroupService;
import dev.spotapi.instance.InstanceService;
import dev.spotapi.spot.SpotIds;
import dev.spotapi.spot.SpotResource;
import dev.spotapi.tags.TagChange;
import dev.spotapi.tags.TagService;
import dev.spotapi.api.http.Exchange;

/**
 * HTTP side of {@code GET|PUT /{account}/instances/{instance}/tags} and {@code .../elastigroups/{elastigroup}/tags}:
 * the tags as {@code {"tags": {"key": "value", ...}}}; a PUT merges its map ({@link TagChange}; null removes a
 * key) and answers the tags after the merge.
 */
final class TagRoutes extends AccountScopedRoutes {
    private final TagService service;

    TagRoutes(TagService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        super(accounts, bodies, replies);
        this.service = service;
    }

    void readInstance(Exchange ctx) {
        var account = account(ctx);
        String id = instanceId(ctx);
        replies.jsonLater(ctx, service.read(checked(ctx, () -> InstanceService.INSTANCES.read(account.spot(), id))));
    }

    void mergeInstance(Exchange ctx) {
        var account = account(ctx);
        String id = instanceId(ctx);
        TagChange change = parsed(() -> TagChange.fromBody(body(ctx)));
        replies.jsonLater(ctx, service.merge(account, InstanceService.INSTANCES, id, change,
                checked(ctx, () -> InstanceService.INSTANCES.read(account.spot(), id))));
    }

    void readGroup(Exchange ctx) {
        var account = account(ctx);
        String id = groupId(ctx);
        replies.jsonLater(ctx, service.read(checked(ctx, () -> ElastigroupService.GROUPS.read(account.spot(), id))));
    }

    void mergeGroup(Exchange ctx) {
        var account = account(ctx);
        String id = groupId(ctx);
        TagChange change = parsed(() -> TagChange.fromBody(body(ctx)));
        replies.jsonLater(ctx, service.merge(account, ElastigroupService.GROUPS, id, change,
                checked(ctx, () -> ElastigroupService.GROUPS.read(account.spot(), id))));
    }

    /**
     * {@code /{account}/{resource}/tags}, the URL the expiry service builds ({@code <endpoint>/<org>/<id>/tags}):
     * a group ({@code sig-}) or managed instance ({@code smi-}) id; anything else is a 404 with no Spot call.
     * The org check is made here (the guard knows only {@code {instance}} and {@code {elastigroup}}): an object
     * of another org, or untagged, is the same 404 as a missing one, before any write.
     */
    void readAny(Exchange ctx) {
        var account = account(ctx);
        String id = ctx.pathParam("resource");
        SpotResource kind = kindOf(id);
        replies.jsonLater(ctx, service.read(service.owned(kind, id, kind.read(account.spot(), id))));
    }

    void mergeAny(Exchange ctx) {
        var account = account(ctx);
        String id = ctx.pathParam("resource");
        SpotResource kind = kindOf(id);
        TagChange change = parsed(() -> TagChange.fromBody(body(ctx)));
        replies.jsonLater(ctx, service.merge(account, kind, id, change,
                service.owned(kind, id, kind.read(account.spot(), id))));
    }

    private static SpotResource kindOf(String id) {
        if (SpotIds.isGroupId(id)) {
            return ElastigroupService.GROUPS;
        }
        if (SpotIds.isManagedInstanceId(id)) {
            return InstanceService.INSTANCES;
        }
        throw ApiException.notFound("not found: not an elastigroup or managed instance id");
    }

    private static String instanceId(Exchange ctx) {
        return id(ctx, "instance", SpotIds::isManagedInstanceId, "managed instance not found: not a managed instance id");
    }

    private static String groupId(Exchange ctx) {
        return id(ctx, "elastigroup", SpotIds::isGroupId, "elastigroup not found: not an elastigroup id");
    }
}
