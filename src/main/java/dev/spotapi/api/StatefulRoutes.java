package dev.spotapi.api;

import dev.spotapi.power.PowerState;
import dev.spotapi.spot.SpotIds;
import dev.spotapi.stateful.GroupStatefulService;
import dev.spotapi.stateful.BulkPower;
import dev.spotapi.stateful.ImportRequest;
import dev.spotapi.stateful.StatefulService;
import dev.spotapi.api.http.Exchange;
import java.util.regex.Pattern;

/**
 * HTTP side of the stateful-node routes (issue 26): {@code POST /{account}/imports},
 * {@code GET /{account}/imports/{migration}}, {@code POST /{account}/bulk-imports}, {@code PUT /{account}/instances-power} and
 * {@code DELETE /{account}/instances/{instance}/volumes/{volume}}, and the stateful instances of a group under
 * {@code /{account}/elastigroups/{elastigroup}/stateful-instances}.
 */
final class StatefulRoutes extends AccountScopedRoutes {
    private static final Pattern MIGRATION_ID = Pattern.compile("smg-[0-9a-z]{1,40}");

    private static final Pattern STATEFUL_INSTANCE_ID = Pattern.compile("ssi-[0-9a-z]{1,40}");

    private final StatefulService service;
    private final GroupStatefulService groups = new GroupStatefulService();

    StatefulRoutes(StatefulService service, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        super(accounts, bodies, replies);
        this.service = service;
    }

    /** The stateful instances of a group (Spot's items). */
    void statefulInstances(Exchange ctx) {
        var account = account(ctx);
        String group = group(ctx);
        replies.jsonLater(ctx, groups.list(account, group));
    }

    /** stop / start / reboot of one stateful instance of a group: Spot pause / resume / recycle. */
    void statefulPower(Exchange ctx) {
        var account = account(ctx);
        String group = group(ctx);
        String ssi = statefulInstance(ctx);
        PowerState state = parsed(() -> PowerState.fromBody(body(ctx)));
        replies.noContentLater(ctx, groups.power(account, group, ssi, state));
    }

    /**
     * Deallocates a stateful instance (its volumes, snapshots and network interface are deleted). Spot's deallocate
     * takes no options, so {@code keep} or {@code detach} (the delete options of groups and instances) is a 400, never
     * ignored: what the caller asked to keep would be deleted (attack round 6).
     */
    void deallocate(Exchange ctx) {
        for (String option : new String[] {"keep", "detach"}) {
            if (ctx.queryParam(option) != null) {
                throw ApiException.badRequest(option + " does not apply to a stateful instance: Spot's deallocate"
                        + " deletes its volumes, snapshots and network interface and takes no options (to keep a"
                        + " volume, stop the instance and delete the other volumes one by one)");
            }
        }
        var account = account(ctx);
        String group = group(ctx);
        String ssi = statefulInstance(ctx);
        replies.noContentLater(ctx, groups.deallocate(account, group, ssi));
    }

    /** Deletes one volume of a paused stateful instance. */
    void deleteStatefulVolume(Exchange ctx) {
        var account = account(ctx);
        String group = group(ctx);
        String ssi = statefulInstance(ctx);
        String volume = volume(ctx);
        replies.noContentLater(ctx, groups.deleteVolume(account, group, ssi, volume));
    }

    private static String group(Exchange ctx) {
        return id(ctx, "elastigroup", SpotIds::isGroupId, "elastigroup not found: not an elastigroup id");
    }

    private static String statefulInstance(Exchange ctx) {
        String id = ctx.pathParam("statefulInstance");
        if (!STATEFUL_INSTANCE_ID.matcher(id).matches()) {
            throw ApiException.notFound("stateful instance not found: not a stateful instance id");
        }
        return id;
    }

    private static String volume(Exchange ctx) {
        String volume = ctx.pathParam("volume");
        if (!dev.spotapi.spot.SpotIds.isVolumeId(volume)) {
            throw ApiException.notFound("volume not found: not a volume id (vol- and 8 or 17 hexadecimal digits)");
        }
        return volume;
    }

    /**
     * {@code kinds} with the asynchronous stateful routes ({@link AsyncTasks#KINDS}): an import waits as a create
     * (the managed instance ACTIVE once the migration finished); power and deallocation of a stateful instance
     * wait for its state.
     */
    static java.util.Map<String, dev.spotapi.task.TaskKind> withTaskKinds(java.util.Map<String, dev.spotapi.task.TaskKind> kinds) {
        java.util.Map<String, dev.spotapi.task.TaskKind> out = new java.util.LinkedHashMap<>(kinds);
        String ssi = Routes.PREFIX + "/{account}/elastigroups/{elastigroup}/stateful-instances/{statefulInstance}";
        out.put("POST " + Routes.PREFIX + "/{account}/imports", dev.spotapi.task.TaskKind.INSTANCE_CREATE);
        out.put("PUT " + ssi + "/power", dev.spotapi.task.TaskKind.STATEFUL_INSTANCE);
        out.put("DELETE " + ssi, dev.spotapi.task.TaskKind.STATEFUL_INSTANCE);
        return java.util.Map.copyOf(out);
    }

    /** Starts an import; answers {@code {"id", "migrationId", "state", "originalInstanceId"}}. */
    void importInstance(Exchange ctx) {
        var account = account(ctx);
        ImportRequest request = parsed(() -> ImportRequest.parse(body(ctx)));
        replies.jsonLater(ctx, service.importInstance(account, request, dev.spotapi.idempotency.Idempotency.correlation(ctx)));
    }

    /**
     * Imports 1 to 50 EC2 instances ({@code {"instances": [{...import fields...}]}}); answers
     * {@code {"instances": [...]}}, one entry per instance in order (see {@link StatefulService#bulkImport}).
     */
    void bulkImport(Exchange ctx) {
        var account = account(ctx);
        dev.spotapi.stateful.BulkImport request = parsed(() -> dev.spotapi.stateful.BulkImport.parse(body(ctx)));
        replies.jsonLater(ctx, service.bulkImport(account, request.instances(),
                        dev.spotapi.idempotency.Idempotency.correlation(ctx)),
                results -> java.util.Map.of("instances", results));
    }

    /** The status of an import of this org. */
    void migration(Exchange ctx) {
        var account = account(ctx);
        String id = ctx.pathParam("migration");
        if (!MIGRATION_ID.matcher(id).matches()) {
            throw ApiException.notFound("migration not found: not a migration id");
        }
        replies.jsonLater(ctx, service.migration(account, id));
    }

    /** Stop or start of many instances; one answer per id. */
    void bulkPower(Exchange ctx) {
        var account = account(ctx);
        BulkPower request = parsed(() -> BulkPower.parse(body(ctx)));
        replies.jsonLater(ctx, service.bulkPower(account, request), results -> java.util.Map.of("instances", results));
    }

    /** Deletes a detached volume Spot keeps for the instance (org check by the {@code {instance}} parameter). */
    void deleteVolume(Exchange ctx) {
        var account = account(ctx);
        String instance = id(ctx, "instance", SpotIds::isManagedInstanceId,
                "managed instance not found: not a managed instance id");
        String volume = volume(ctx);
        replies.noContentLater(ctx, service.deleteVolume(account, instance, volume));
    }
}
