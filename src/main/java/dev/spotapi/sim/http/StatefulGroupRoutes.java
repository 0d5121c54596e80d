package dev.spotapi.sim.http;

import dev.spotapi.sim.state.StatefulInstanceType;
import dev.spotapi.sim.state.VolumeType;
import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.state.GroupType;
import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;
import dev.spotapi.sim.fleet.TransitionTime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;

/**
 * Stateful instances of a group (OAS {@code /aws/ec2/group/{groupId}/statefulInstance...}), in simulated
 * time: list; pause (ACTIVE → PAUSING → PAUSED), resume (PAUSED → RESUMING → ACTIVE on a new EC2 instance,
 * same IP and volumes), recycle (ACTIVE → RECYCLING → ACTIVE on a new EC2 instance), deallocate (→
 * DEALLOCATING → DEALLOCATED, without its EC2 instance and volumes, still listed; OAS
 * {@code listStatefulInstances.state}; any action on it then answers STATEFUL_INSTANCE_DOESNT_EXIST); delete of a volume of a PAUSED one. Each phase lasts the
 * transition time. Refusals as for managed instances, with {@code STATEFUL_INSTANCE_*} codes. Stateful
 * instances are seeded with the admin route {@code POST /_sim/groups/{groupId}/statefulInstances}
 * ({@code {"privateIp"?, "volumes"?: [{"deviceName", "size"}]}}); they persist and are part of
 * {@code /_sim/state} ({@code statefulInstances}).
 */
public final class StatefulGroupRoutes {
    static final String KIND = "spotinst:aws:ec2:group:statefulInstance";
    private static final String BASE = "/aws/ec2/group/{groupId}/statefulInstance";

    private final ResourceStore store;
    private final SimClock clock;
    private final Envelope envelope;
    private final TransitionTime transitionTime;
    private final Accounts accounts;

    public StatefulGroupRoutes(ResourceStore store, SimClock clock, Envelope envelope, TransitionTime transitionTime,
                        Accounts accounts) {
        this.store = store;
        this.clock = clock;
        this.envelope = envelope;
        this.transitionTime = transitionTime;
        this.accounts = accounts;
    }

    public void register(RoutesConfig routes) {
        routes.get(BASE, this::list);
        for (String action : List.of("pause", "resume", "recycle", "deallocate")) {
            routes.put(BASE + "/{ssi}/" + action, ctx -> act(ctx, action));
        }
        routes.delete(BASE + "/{ssi}/volume/{volumeId}", this::deleteVolume);
        routes.post("/_sim/groups/{groupId}/statefulInstances", this::seed);
    }

    private void seed(Context ctx) {
        JsonNode body = Bodies.json(ctx);
        if (body != null && !body.isObject()) {
            throw new AdminException("the body must be a JSON object");
        }
        String account = body == null || !body.hasNonNull("accountId") ? accounts.asMap().keySet().iterator().next()
                : body.get("accountId").asText();
        if (!accounts.asMap().containsKey(account)) {
            throw new AdminException("account " + account + " is not configured in this simulator");
        }
        String group = ctx.pathParam("groupId");
        if (!store.exists(GroupType.INSTANCE, account, group)) {
            throw new AdminException("group " + group + " does not exist in account " + account);
        }
        long now = clock.now();
        JsonNode volumes = body == null ? null : body.get("volumes");
        if (volumes != null && (!volumes.isArray() || volumes.size() > 16)) {
            throw new AdminException("\"volumes\" must be an array of at most 16 objects");
        }
        StoredResource created = store.create(StatefulInstanceType.INSTANCE, account, id -> {
            ObjectNode o = SimJson.object();
            o.put("id", id);
            o.put("groupId", group);
            o.put("instanceId", RandomIds.ec2InstanceId());
            o.put("privateIp", body != null && body.path("privateIp").isTextual() ? body.get("privateIp").asText()
                    : RandomIds.privateIp());
            GroupTypeImage.put(o, store, account, group);
            ArrayNode devices = o.putArray("devices");
            List<JsonNode> asked = new ArrayList<>();
            if (volumes == null) {
                asked.add(SimJson.object().put("deviceName", "/dev/xvda"));
            } else {
                volumes.forEach(asked::add);
            }
            for (JsonNode v : asked) {
                devices.addObject().put("deviceName", v.path("deviceName").asText("/dev/xvda"))
                        .put("volumeId", "vol-" + RandomIds.hex(17)).put("snapshotId", "snap-" + RandomIds.hex(17));
            }
            o.put("launchedAt", Timestamps.millis(now));
            o.put("createdAt", Timestamps.millis(now));
            return new StoredResource(id, o, StatefulInstanceType.INSTANCE.initialState(o, now));
        });
        ctx.status(200).contentType(Envelope.CONTENT_TYPE).result(SimJson.bytes(created.object()));
    }

    private void list(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        String group = ctx.pathParam("groupId");
        store.get(GroupType.INSTANCE, account, group);
        List<JsonNode> items = new ArrayList<>();
        for (StoredResource r : store.list(StatefulInstanceType.INSTANCE, account)) {
            if (group.equals(r.object().path("groupId").asText())) {
                StoredResource s = settled(account, r.id());
                if (s != null) {
                    items.add(item(s));
                }
            }
        }
        envelope.items(ctx, KIND, items);
    }

    private static ObjectNode item(StoredResource r) {
        ObjectNode item = r.object().deepCopy();
        item.remove("groupId");
        JsonNode pending = r.state().path("pending");
        item.put("state", pending.isObject() ? phase(pending.path("action").asText()) : r.state().path("status").asText());
        if (!"ACTIVE".equals(r.state().path("status").asText()) && !pending.isObject()) {
            item.remove("instanceId");
        }
        return item;
    }

    private static String phase(String action) {
        return switch (action) {
            case "pause" -> "PAUSING";
            case "resume" -> "RESUMING";
            case "recycle" -> "RECYCLING";
            default -> "DEALLOCATING";
        };
    }

    /**
     * The instance with a due phase completed. A completed deallocation leaves it DEALLOCATED (OAS
     * {@code listStatefulInstances.state}: "Stateful instance is Deallocated", after DEALLOCATE / DEALLOCATING),
     * listed without EC2 instance and devices (its volumes, snapshots and images are gone).
     */
    private StoredResource settled(String account, String id) {
        StoredResource r = store.get(StatefulInstanceType.INSTANCE, account, id);
        JsonNode pending = r.state().path("pending");
        long now = clock.now();
        if (!pending.isObject() || now < pending.path("until").asLong()) {
            return r;
        }
        return store.update(StatefulInstanceType.INSTANCE, account, id, current -> {
            JsonNode due = current.state().path("pending");
            if (!due.isObject() || now < due.path("until").asLong()) {
                return current; // settled meanwhile by another request
            }
            String action = due.path("action").asText();
            ObjectNode object = current.object().deepCopy();
            ObjectNode state = SimJson.object();
            long at = due.path("until").asLong();
            if (action.equals("deallocate")) {
                state.put("status", StatefulInstanceType.DEALLOCATED);
                object.remove("instanceId");
                object.putArray("devices");
            } else if (action.equals("pause")) {
                state.put("status", "PAUSED");
            } else {
                state.put("status", "ACTIVE");
                object.put("instanceId", RandomIds.ec2InstanceId());
                object.put("launchedAt", Timestamps.millis(at));
            }
            return new StoredResource(current.id(), object, state);
        }, false);
    }

    private StoredResource find(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        String group = ctx.pathParam("groupId");
        store.get(GroupType.INSTANCE, account, group);
        String id = ctx.pathParam("ssi");
        StoredResource r = store.exists(StatefulInstanceType.INSTANCE, account, id) ? settled(account, id) : null;
        // a DEALLOCATED one is listed (OAS listStatefulInstances.state) but has nothing left to act on [INF]
        if (r == null || !group.equals(r.object().path("groupId").asText())
                || StatefulInstanceType.DEALLOCATED.equals(r.state().path("status").asText())) {
            throw StatefulInstanceType.INSTANCE.notFound(id);
        }
        return r;
    }

    private void act(Context ctx, String action) {
        String account = SpotApiFilter.account(ctx);
        StoredResource r = find(ctx);
        store.update(StatefulInstanceType.INSTANCE, account, r.id(), current -> {
            String id = current.id();
            if (current.state().path("pending").isObject()) {
                throw SpotException.badRequest("STATEFUL_INSTANCE_ACTION_IN_PROGRESS", "Stateful instance '" + id
                        + "' is " + phase(current.state().path("pending").path("action").asText()) + "; wait until it is done");
            }
            boolean active = "ACTIVE".equals(current.state().path("status").asText());
            switch (action) {
                case "pause" -> {
                    if (!active) {
                        throw SpotException.badRequest("STATEFUL_INSTANCE_ALREADY_PAUSED", "Stateful instance '" + id
                                + "' is already paused");
                    }
                }
                case "resume" -> {
                    if (active) {
                        throw SpotException.badRequest("STATEFUL_INSTANCE_NOT_PAUSED", "Stateful instance '" + id
                                + "' is not paused");
                    }
                }
                case "recycle" -> {
                    if (!active) {
                        throw SpotException.badRequest("STATEFUL_INSTANCE_NOT_ACTIVE", "Stateful instance '" + id
                                + "' is paused; resume it first");
                    }
                }
                default -> {
                    // deallocate: from ACTIVE or PAUSED
                }
            }
            ObjectNode state = current.state().deepCopy();
            long now = clock.now();
            state.putObject("pending").put("action", action).put("since", now).put("until", now + transitionTime.millis());
            return new StoredResource(id, current.object(), state);
        });
        settled(account, r.id());
        envelope.ok(ctx);
    }

    private void deleteVolume(Context ctx) {
        String account = SpotApiFilter.account(ctx);
        StoredResource r = find(ctx);
        String volumeId = ctx.pathParam("volumeId");
        store.update(StatefulInstanceType.INSTANCE, account, r.id(), current -> {
            ArrayNode devices = SimJson.MAPPER.createArrayNode();
            boolean found = false;
            for (JsonNode d : current.object().path("devices")) {
                if (volumeId.equals(d.path("volumeId").asText())) {
                    found = true;
                } else {
                    devices.add(d);
                }
            }
            if (!found) {
                throw VolumeType.INSTANCE.notFound(volumeId);
            }
            if (!"PAUSED".equals(current.state().path("status").asText()) || current.state().path("pending").isObject()) {
                throw SpotException.badRequest("STATEFUL_INSTANCE_NOT_PAUSED", "Stateful instance '" + current.id()
                        + "' must be paused to delete one of its volumes");
            }
            ObjectNode object = current.object().deepCopy();
            object.set("devices", devices);
            return new StoredResource(current.id(), object, current.state());
        });
        envelope.ok(ctx);
    }

    /** The group's image id for a seeded stateful instance. */
    private static final class GroupTypeImage {
        static void put(ObjectNode o, ResourceStore store, String account, String group) {
            String image = store.get(GroupType.INSTANCE, account, group).object().path("compute")
                    .path("launchSpecification").path("imageId").asText(null);
            if (image != null) {
                o.put("imageId", image);
            }
        }
    }
}
