package dev.spotapi.sim.http;

import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.fleet.GroupActivity;
import dev.spotapi.sim.fleet.GroupFleet;
import dev.spotapi.sim.fleet.GroupRolls;
import dev.spotapi.sim.state.GroupType;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Spot's fleet operations of a group (OAS {@code /aws/ec2/group/{groupId}/roll…}, {@code /instanceHealthiness},
 * {@code /detachInstances}, {@code /suspension}, {@code /scale/suspensions}; Go SDK {@code Roll},
 * {@code DeploymentStatus}, {@code RollStatus}, {@code StopDeployment}, {@code GetInstanceHealthiness},
 * {@code Detach}, {@code CreateSuspensions}/{@code ListSuspensions}/{@code DeleteSuspensions}), and the admin
 * fault {@code PUT /_sim/unhealthyImages} ({@code {"imageIds": [...]}}: instances of these images fail
 * health checks). Rolls run in simulated time ({@link GroupRolls}); every request on a group first moves
 * its roll on to the current simulated time.
 */
public final class RollRoutes {
    static final String ROLL_KIND = "spotinst:aws:ec2:group:roll";
    static final String ROLL_STATUS_KIND = "spotinst:aws:ec2:group:roll:status";
    static final String HEALTH_KIND = "spotinst:aws:ec2:group:instanceHealthiness";
    static final String SUSPENSION_KIND = "spotinst:aws:ec2:group:suspension";
    /** The processes Spot suspends (OAS suspendProcessesRequestBody). */
    static final List<String> PROCESSES = List.of("AUTO_SCALE", "AUTO_HEALING", "OUT_OF_STRATEGY",
            "PREVENTIVE_REPLACEMENT", "REVERT_PREFERRED", "SCHEDULING");
    static final List<String> HEALTH_CHECKS = List.of("ELB", "ECS_CLUSTER_INSTANCE", "TARGET_GROUP", "OPSWORKS",
            "NOMAD_NODE", "HCS", "EC2", "NONE", "K8S_NODE", "MULTAI_TARGET_SET");
    private static final long MAX_TTL_MINUTES = 10_080;

    private final ResourceStore store;
    private final SimClock clock;
    private final Envelope envelope;
    private final Set<String> unhealthyImages = ConcurrentHashMap.newKeySet();

    public RollRoutes(ResourceStore store, SimClock clock, Envelope envelope) {
        this.store = store;
        this.clock = clock;
        this.envelope = envelope;
    }

    public void register(RoutesConfig routes) {
        String base = GroupType.INSTANCE.basePath() + "/{id}";
        routes.before(base, this::catchUp);
        routes.before(base + "/*", this::catchUp);
        routes.put(base + "/roll", this::start);
        routes.get(base + "/roll", this::list);
        routes.get(base + "/roll/{rollId}", this::one);
        routes.put(base + "/roll/{rollId}", this::stop);
        routes.get(base + "/roll/{rollId}/status", this::status);
        routes.get(base + "/instanceHealthiness", this::healthiness);
        routes.put(base + "/detachInstances", this::detach);
        routes.post(base + "/suspension", this::suspend);
        routes.get(base + "/suspension", ctx -> suspensions(ctx, find(ctx)));
        routes.delete(base + "/suspension", this::resume);
        routes.put(AdminRoutes.PREFIX + "/unhealthyImages", this::setUnhealthy);
        routes.get(AdminRoutes.PREFIX + "/unhealthyImages", this::unhealthy);
    }

    private String account(Context ctx) {
        return SpotApiFilter.account(ctx);
    }

    private StoredResource find(Context ctx) {
        return store.get(GroupType.INSTANCE, account(ctx), ctx.pathParam("id"));
    }

    /** Moves the group's roll on to now (a write only when a batch is due); an unknown group is left to the route. */
    private void catchUp(Context ctx) {
        String id = ctx.pathParamMap().get("id");
        if (id == null || AdminRoutes.isAdminPath(ctx.path())) {
            return;
        }
        long now = clock.now();
        try {
            StoredResource current = store.get(GroupType.INSTANCE, account(ctx), id);
            if (!GroupRolls.due(current.state(), now)) {
                return;
            }
            store.update(GroupType.INSTANCE, account(ctx), id, r -> {
                ObjectNode group = r.object().deepCopy();
                ObjectNode state = r.state().deepCopy();
                GroupRolls.advance(group, state, now, Set.copyOf(unhealthyImages));
                return new StoredResource(r.id(), group, state);
            });
        } catch (SpotException e) {
            // not found: the route answers
        }
    }

    private void start(Context ctx) {
        ObjectNode params = rollParams(Bodies.json(ctx));
        ObjectNode[] roll = new ObjectNode[1];
        store.update(GroupType.INSTANCE, account(ctx), ctx.pathParam("id"), r -> {
            ObjectNode group = r.object().deepCopy();
            ObjectNode state = r.state().deepCopy();
            roll[0] = GroupRolls.start(group, state, params, clock.now());
            return new StoredResource(r.id(), group, state);
        });
        envelope.item(ctx, ROLL_KIND, GroupRolls.summary(roll[0]));
    }

    /** Newest first (Spot's default sort {@code createdAt:DESC}; {@code sort=createdAt:ASC}), {@code limit}. */
    private void list(Context ctx) {
        List<JsonNode> rolls = new ArrayList<>();
        find(ctx).state().path("rolls").forEach(rolls::add);
        Comparator<JsonNode> byCreated = Comparator.comparingLong(r -> r.path("createdAt").asLong());
        rolls.sort("createdAt:ASC".equalsIgnoreCase(String.valueOf(ctx.queryParam("sort"))) ? byCreated
                : byCreated.reversed());
        String limit = ctx.queryParam("limit");
        if (limit != null) {
            int n;
            try {
                n = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1) {
                throw SpotException.validation("query:limit", "\"limit\" must be a positive integer");
            }
            rolls = rolls.subList(0, Math.min(n, rolls.size()));
        }
        envelope.items(ctx, ROLL_KIND, rolls.stream().map(r -> (JsonNode) GroupRolls.summary(r)).toList());
    }

    private void one(Context ctx) {
        envelope.item(ctx, ROLL_KIND, GroupRolls.summary(GroupRolls.find(find(ctx).state(), ctx.pathParam("rollId"))));
    }

    private void status(Context ctx) {
        envelope.item(ctx, ROLL_STATUS_KIND, GroupRolls.status(GroupRolls.find(find(ctx).state(), ctx.pathParam("rollId"))));
    }

    /** {@code {"roll": {"status": "STOPPED"}}} (OAS stop-deployment, Go SDK StopDeploymentInput). */
    private void stop(Context ctx) {
        ObjectNode body = Validation.unwrap(Bodies.json(ctx), "roll");
        known(body, "body:roll", Set.of("status"));
        if (!"STOPPED".equals(body.path("status").asText())) {
            throw SpotException.validation("body:roll.status", "\"status\" must be [STOPPED]");
        }
        String rollId = ctx.pathParam("rollId");
        store.update(GroupType.INSTANCE, account(ctx), ctx.pathParam("id"), r -> {
            ObjectNode group = r.object().deepCopy();
            ObjectNode state = r.state().deepCopy();
            GroupRolls.stop(group, state, rollId, clock.now());
            return new StoredResource(r.id(), group, state);
        });
        envelope.ok(ctx);
    }

    private void healthiness(Context ctx) {
        StoredResource group = find(ctx);
        Set<String> bad = Set.copyOf(unhealthyImages);
        List<JsonNode> items = new ArrayList<>();
        for (JsonNode i : group.state().path("instances")) {
            ObjectNode item = SimJson.object();
            item.put("instanceId", i.path("instanceId").asText());
            item.put("spotRequestId", i.path("spotInstanceRequestId").asText());
            item.put("groupId", group.id());
            item.put("availabilityZone", i.path("availabilityZone").asText());
            item.put("lifeCycle", "SPOT");
            item.put("healthStatus", GroupRolls.health(group.state(), i, bad));
            items.add(item);
        }
        envelope.items(ctx, HEALTH_KIND, items);
    }

    /** OAS detach-instance / Go SDK DetachGroupInput. */
    private void detach(Context ctx) {
        JsonNode body = Bodies.json(ctx);
        if (body == null || !body.isObject()) {
            throw SpotException.validation("body", "\"body\" must be an object");
        }
        known(body, "body", Set.of("instancesToDetach", "shouldDecrementTargetCapacity", "shouldTerminateInstances",
                "drainingTimeout"));
        JsonNode list = body.path("instancesToDetach");
        if (!list.isArray() || list.isEmpty()) {
            throw SpotException.validation("body:instancesToDetach", "\"instancesToDetach\" must be a non-empty array");
        }
        Set<String> ids = new java.util.LinkedHashSet<>();
        list.forEach(i -> {
            if (!i.isTextual()) {
                throw SpotException.validation("body:instancesToDetach", "\"instancesToDetach\" must hold instance ids");
            }
            ids.add(i.asText());
        });
        for (String flag : List.of("shouldDecrementTargetCapacity", "shouldTerminateInstances")) {
            if (!body.path(flag).isBoolean()) {
                throw SpotException.validation("body:" + flag, "\"" + flag + "\" is required and must be a boolean");
            }
        }
        JsonNode draining = body.get("drainingTimeout");
        if (draining != null && !draining.isNull() && !(draining.canConvertToInt() && draining.isIntegralNumber()
                && draining.asInt() >= 0)) {
            throw SpotException.validation("body:drainingTimeout", "\"drainingTimeout\" must be an integer >= 0");
        }
        boolean decrement = body.path("shouldDecrementTargetCapacity").asBoolean();
        boolean terminate = body.path("shouldTerminateInstances").asBoolean();
        store.update(GroupType.INSTANCE, account(ctx), ctx.pathParam("id"), r -> {
            ObjectNode group = r.object().deepCopy();
            ObjectNode state = r.state().deepCopy();
            Set<String> present = new java.util.HashSet<>();
            state.path("instances").forEach(i -> present.add(i.path("instanceId").asText()));
            for (String id : ids) {
                if (!present.contains(id)) {
                    throw SpotException.badRequest("INSTANCE_NOT_IN_GROUP", "Instance " + id
                            + " is not an instance of group " + r.id());
                }
            }
            long now = clock.now();
            GroupRolls.remove(group, state, ids, now, terminate);
            GroupActivity.log(state, now, "INFO", "Detached " + ids.size() + " instance(s) " + ids + " from group "
                    + r.id() + (terminate ? ", terminated" : ", left running") + (decrement ? ", target decremented" : ""));
            if (decrement) {
                ObjectNode capacity = (ObjectNode) group.get("capacity");
                int target = Math.max(0, capacity.path("target").asInt() - ids.size());
                capacity.put("target", target);
                capacity.put("minimum", Math.min(capacity.path("minimum").asInt(), target));
                group.put("updatedAt", Timestamps.seconds(now));
            }
            return new StoredResource(r.id(), group, GroupFleet.reconcile(group, state, now).state());
        });
        envelope.ok(ctx);
    }

    /** OAS suspensions-request-body ({@code suspensions: [{name, ttlInMinutes}]}) or {@code processes: [...]}. */
    private void suspend(Context ctx) {
        JsonNode body = Bodies.json(ctx);
        if (body == null || !body.isObject()) {
            throw SpotException.validation("body", "\"body\" must be an object");
        }
        known(body, "body", Set.of("suspensions", "processes"));
        Map<String, Long> wanted = new java.util.LinkedHashMap<>();
        long now = clock.now();
        for (JsonNode s : body.path("suspensions")) {
            if (!s.isObject()) {
                throw SpotException.validation("body:suspensions", "\"suspensions\" must hold objects");
            }
            known(s, "body:suspensions", Set.of("name", "ttlInMinutes"));
            String name = process(s.path("name"), "body:suspensions.name");
            JsonNode ttl = s.get("ttlInMinutes");
            Long expires = null;
            if (ttl != null && !ttl.isNull()) {
                if (!ttl.isIntegralNumber() || ttl.asLong() < 1 || ttl.asLong() > MAX_TTL_MINUTES) {
                    throw SpotException.validation("body:suspensions.ttlInMinutes",
                            "\"ttlInMinutes\" must be an integer between 1 and " + MAX_TTL_MINUTES);
                }
                expires = now + ttl.asLong() * 60_000L;
            }
            wanted.put(name, expires);
        }
        for (JsonNode p : body.path("processes")) {
            wanted.put(process(p, "body:processes"), null);
        }
        if (wanted.isEmpty()) {
            throw SpotException.validation("body:suspensions", "\"suspensions\" or \"processes\" must name a process");
        }
        StoredResource updated = store.update(GroupType.INSTANCE, account(ctx), ctx.pathParam("id"), r -> {
            ObjectNode state = r.state().deepCopy();
            ObjectNode current = live(state, now);
            wanted.forEach((name, expires) -> {
                if (expires == null) {
                    current.putNull(name);
                } else {
                    current.put(name, expires);
                }
            });
            state.set("suspensions", current);
            GroupActivity.log(state, now, "INFO", "Suspended processes " + wanted.keySet() + " of group " + r.id());
            return new StoredResource(r.id(), r.object(), state);
        });
        suspensions(ctx, updated);
    }

    private void resume(Context ctx) {
        JsonNode body = Bodies.json(ctx);
        if (body == null || !body.isObject()) {
            throw SpotException.validation("body", "\"body\" must be an object");
        }
        known(body, "body", Set.of("processes"));
        if (!body.path("processes").isArray() || body.path("processes").isEmpty()) {
            throw SpotException.validation("body:processes", "\"processes\" must be a non-empty array");
        }
        List<String> names = new ArrayList<>();
        body.path("processes").forEach(p -> names.add(process(p, "body:processes")));
        long now = clock.now();
        store.update(GroupType.INSTANCE, account(ctx), ctx.pathParam("id"), r -> {
            ObjectNode state = r.state().deepCopy();
            ObjectNode current = live(state, now);
            names.forEach(current::remove);
            state.set("suspensions", current);
            GroupActivity.log(state, now, "INFO", "Resumed processes " + names + " of group " + r.id());
            return new StoredResource(r.id(), r.object(), state);
        });
        envelope.ok(ctx);
    }

    /** The Go SDK's {@code SuspendProcesses} item: {@code suspensions: [{name, expiresAt?}]} and {@code processes}. */
    private void suspensions(Context ctx, StoredResource group) {
        ObjectNode live = live(group.state(), clock.now());
        ObjectNode item = SimJson.object();
        item.put("groupId", group.id());
        ArrayNode suspensions = item.putArray("suspensions");
        ArrayNode processes = item.putArray("processes");
        live.properties().forEach(e -> {
            ObjectNode s = suspensions.addObject().put("name", e.getKey());
            if (!e.getValue().isNull()) {
                s.put("expiresAt", Timestamps.millis(e.getValue().asLong()));
            }
            processes.add(e.getKey());
        });
        envelope.item(ctx, SUSPENSION_KIND, item);
    }

    /** The unexpired suspensions of {@code state}: name → expiry millis or null (indefinite). */
    private static ObjectNode live(JsonNode state, long now) {
        ObjectNode out = SimJson.object();
        state.path("suspensions").properties().forEach(e -> {
            if (e.getValue().isNull() || e.getValue().asLong() > now) {
                out.set(e.getKey(), e.getValue());
            }
        });
        return out;
    }

    private static String process(JsonNode value, String field) {
        if (!value.isTextual() || !PROCESSES.contains(value.asText())) {
            throw SpotException.validation(field, "process must be one of " + PROCESSES);
        }
        return value.asText();
    }

    /** OAS start-deployment / Go SDK RollGroupInput, checked as Spot does; returns the body. */
    static ObjectNode rollParams(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw SpotException.validation("body", "\"body\" must be an object");
        }
        known(body, "body", Set.of("batchSizePercentage", "gracePeriod", "healthCheckType", "drainingTimeout",
                "strategy", "groupId"));
        JsonNode pct = body.get("batchSizePercentage");
        if (pct == null || !pct.isIntegralNumber() || pct.asLong() < 1 || pct.asLong() > 100) {
            throw SpotException.validation("body:batchSizePercentage",
                    "\"batchSizePercentage\" is required and must be an integer between 1 and 100");
        }
        JsonNode grace = body.get("gracePeriod");
        if (grace == null || grace.isNull()) {
            // OAS start-deployment: required with batchSizePercentage
            throw SpotException.validation("body:gracePeriod", "\"gracePeriod\" is required");
        }
        integer(body, "gracePeriod", 0, 7200, "body:gracePeriod");
        integer(body, "drainingTimeout", 0, 3600, "body:drainingTimeout");
        JsonNode hc = body.get("healthCheckType");
        if (hc != null && !hc.isNull() && !(hc.isTextual() && HEALTH_CHECKS.contains(hc.asText()))) {
            throw SpotException.validation("body:healthCheckType", "\"healthCheckType\" must be one of " + HEALTH_CHECKS);
        }
        JsonNode strategy = body.get("strategy");
        if (strategy != null && !strategy.isNull()) {
            if (!strategy.isObject()) {
                throw SpotException.validation("body:strategy", "\"strategy\" must be an object");
            }
            known(strategy, "body:strategy", Set.of("action", "batchMinHealthyPercentage", "onFailure",
                    "shouldDrainInstances"));
            JsonNode action = strategy.get("action");
            if (action != null && !action.isNull() && !(action.isTextual()
                    && List.of(GroupRolls.REPLACE, GroupRolls.RESTART).contains(action.asText()))) {
                throw SpotException.validation("body:strategy.action",
                        "\"action\" must be one of [REPLACE_SERVER, RESTART_SERVER]");
            }
            integer(strategy, "batchMinHealthyPercentage", 0, 100, "body:strategy.batchMinHealthyPercentage");
            JsonNode onFailure = strategy.get("onFailure");
            if (onFailure != null && !onFailure.isNull()) {
                if (!onFailure.isObject()) {
                    throw SpotException.validation("body:strategy.onFailure", "\"onFailure\" must be an object");
                }
                known(onFailure, "body:strategy.onFailure", Set.of("actionType", "shouldHandleAllBatches", "batchNum",
                        "drainingTimeout", "shouldDecrementTargetCapacity"));
                JsonNode type = onFailure.get("actionType");
                if (type == null || !type.isTextual() || !List.of("DETACH_OLD", "DETACH_NEW").contains(type.asText())) {
                    throw SpotException.validation("body:strategy.onFailure.actionType",
                            "\"actionType\" is required and must be one of [DETACH_OLD, DETACH_NEW]");
                }
                integer(onFailure, "drainingTimeout", 0, 3600, "body:strategy.onFailure.drainingTimeout");
            }
        }
        return (ObjectNode) body;
    }

    private static void integer(JsonNode body, String name, long min, long max, String field) {
        JsonNode v = body.get(name);
        if (v != null && !v.isNull() && !(v.isIntegralNumber() && v.asLong() >= min && v.asLong() <= max)) {
            throw SpotException.validation(field, "\"" + name + "\" must be an integer between " + min + " and " + max);
        }
    }

    private static void known(JsonNode body, String field, Set<String> allowed) {
        body.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) {
                throw SpotException.validation(field + "." + f, "\"" + f + "\" is not allowed");
            }
        });
    }

    private void setUnhealthy(Context ctx) {
        JsonNode body = Bodies.json(ctx);
        JsonNode ids = body == null ? null : body.get("imageIds");
        if (ids == null || !ids.isArray()) {
            throw new AdminException("the body must be {\"imageIds\": [\"ami-...\", ...]}");
        }
        Set<String> next = new java.util.HashSet<>();
        ids.forEach(i -> next.add(i.asText()));
        unhealthyImages.clear();
        unhealthyImages.addAll(next);
        unhealthy(ctx);
    }

    private void unhealthy(Context ctx) {
        ObjectNode body = SimJson.object();
        ArrayNode ids = body.putArray("imageIds");
        unhealthyImages.stream().sorted().forEach(ids::add);
        ctx.contentType(Envelope.CONTENT_TYPE).result(SimJson.bytes(body));
    }
}
