package dev.spotapi.sim.fleet;

import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Blue/green deployments ("rolls") of a group in simulated time (OAS {@code /aws/ec2/group/{groupId}/roll};
 * Go SDK {@code RollGroupInput}, {@code RollGroupStatus}, {@code RollStatusOutput}). A roll is kept in the
 * group's state under {@code "rolls"} and moved on lazily, from the simulated clock, whenever the group is
 * read: batch {@code k} launches its green instances (new ids, the group's current image) when it starts,
 * and {@code gracePeriod} seconds later their health check decides: healthy enough (at least
 * {@code batchMinHealthyPercentage}, default 50) → the batch's blue instances are terminated and the next
 * batch starts; else the roll is FAILED and its {@code onFailure} action applies (DETACH_NEW: the new
 * instances leave the fleet; DETACH_OLD: the old ones do; none: both stay). An instance launched from an
 * image marked unhealthy ({@code PUT /_sim/unhealthyImages}) fails its health check, unless the roll's
 * {@code healthCheckType} is NONE. A stop halts between batches: the batch in progress is undone.
 */
public final class GroupRolls {
    static final String IN_PROGRESS = "IN_PROGRESS";
    static final String FINISHED = "FINISHED";
    static final String FAILED = "FAILED";
    static final String STOPPED = "STOPPED";
    public static final String REPLACE = "REPLACE_SERVER";
    public static final String RESTART = "RESTART_SERVER";
    /** Rolls remembered per group; the oldest finished ones are forgotten beyond this. */
    static final int RETENTION = 50;
    private static final String LAUNCH_MILLIS = "launchedAtMillis";

    private GroupRolls() {
    }

    /** The roll in progress of {@code state}, or null. */
    static ObjectNode active(JsonNode state) {
        for (JsonNode r : state.path("rolls")) {
            if (IN_PROGRESS.equals(r.path("status").asText())) {
                return (ObjectNode) r;
            }
        }
        return null;
    }

    /** Whether an active roll of {@code state} has a batch due at {@code now} (a write is needed). */
    public static boolean due(JsonNode state, long now) {
        ObjectNode roll = active(state);
        return roll != null && now >= batchEnd(roll);
    }

    private static long batchEnd(JsonNode roll) {
        return roll.path("batchStartedAt").asLong() + roll.path("gracePeriod").asLong() * 1000L;
    }

    /**
     * Starts a roll in {@code state} (a copy the caller stores): plans the batches over the current fleet
     * and launches the first. {@code params} is the validated request; throws Spot's 400 for a group without
     * instances or with a roll in progress.
     */
    public static ObjectNode start(ObjectNode group, ObjectNode state, ObjectNode params, long now) {
        ObjectNode running = active(state);
        if (running != null) {
            throw SpotException.badRequest("DEPLOYMENT_ALREADY_IN_PROGRESS", "Group " + group.path("id").asText()
                    + " already has deployment " + running.path("id").asText() + " in progress");
        }
        List<String> fleet = new ArrayList<>();
        state.path("instances").forEach(i -> fleet.add(i.path("instanceId").asText()));
        if (GroupFleet.target(group) == 0 || fleet.isEmpty()) {
            throw SpotException.badRequest("CANT_ROLL_GROUP", "Can't roll group " + group.path("id").asText()
                    + ": it has no running instances (capacity 0)");
        }
        int pct = params.path("batchSizePercentage").asInt();
        int batchSize = Math.max(1, (int) Math.ceil(fleet.size() * pct / 100.0));
        int batches = (fleet.size() + batchSize - 1) / batchSize;
        ObjectNode roll = SimJson.object();
        roll.put("id", "sbgd-" + RandomIds.hex(8));
        roll.put("status", IN_PROGRESS);
        roll.put("createdAt", now).put("updatedAt", now);
        roll.put("batchSizePercentage", pct);
        roll.put("gracePeriod", params.path("gracePeriod").asInt(300));
        // without one, the group's own health check (OAS start-deployment), EC2 when it has none
        roll.put("healthCheckType", params.path("healthCheckType").asText(
                group.path("compute").path("launchSpecification").path("healthCheckType").asText("EC2")));
        roll.put("drainingTimeout", params.path("drainingTimeout").asInt(120));
        JsonNode strategy = params.path("strategy");
        roll.put("action", strategy.path("action").asText(REPLACE));
        roll.put("batchMinHealthyPercentage", strategy.path("batchMinHealthyPercentage").asInt(50));
        if (strategy.path("onFailure").isObject()) {
            roll.set("onFailure", strategy.get("onFailure").deepCopy());
        }
        roll.put("imageId", group.path("compute").path("launchSpecification").path("imageId").asText(""));
        roll.put("numOfBatches", batches);
        roll.put("currentBatch", 1);
        roll.put("batchStartedAt", now);
        ArrayNode blue = roll.putArray("blue");
        for (int i = 0; i < fleet.size(); i++) {
            blue.addObject().put("instanceId", fleet.get(i)).put("lifeCycle", "spot").put("batchNum", i / batchSize + 1)
                    .put("status", "RUNNING");
        }
        roll.putArray("green");
        ArrayNode rolls = state.has("rolls") ? (ArrayNode) state.get("rolls") : state.putArray("rolls");
        rolls.add(roll);
        while (rolls.size() > RETENTION) {
            rolls.remove(0);
        }
        GroupActivity.log(state, now, "INFO", "Deployment " + roll.path("id").asText() + " of group "
                + group.path("id").asText() + " started: " + batches + " batch(es) of up to " + batchSize + " instance(s)");
        startBatch(group, state, roll, now);
        return roll;
    }

    /**
     * Moves the active roll of {@code state} (changed in place) on to {@code now}; {@code unhealthy} are the
     * images whose instances fail their health check. Returns whether anything changed.
     */
    public static boolean advance(ObjectNode group, ObjectNode state, long now, Set<String> unhealthy) {
        ObjectNode roll = active(state);
        boolean changed = false;
        while (roll != null && IN_PROGRESS.equals(roll.path("status").asText()) && now >= batchEnd(roll)) {
            changed = true;
            long end = batchEnd(roll);
            int batch = roll.path("currentBatch").asInt();
            List<ObjectNode> green = members(roll, "green", batch);
            boolean passes = "NONE".equals(roll.path("healthCheckType").asText())
                    || RESTART.equals(roll.path("action").asText())
                    || !unhealthy.contains(roll.path("imageId").asText());
            int healthyPct = passes ? 100 : 0;
            if (healthyPct >= roll.path("batchMinHealthyPercentage").asInt(50)) {
                green.forEach(g -> g.put("status", "HEALTHY"));
                if (REPLACE.equals(roll.path("action").asText())) {
                    List<ObjectNode> blue = members(roll, "blue", batch);
                    remove(group, state, ids(blue), end, true);
                    blue.forEach(b -> b.put("status", "TERMINATED"));
                } else {
                    members(roll, "blue", batch).forEach(b -> b.put("status", "RESTARTED"));
                }
                GroupActivity.log(state, end, "INFO", "Deployment " + roll.path("id").asText() + ": batch " + batch
                        + " of " + roll.path("numOfBatches").asInt() + " finished");
                roll.put("updatedAt", end);
                if (batch >= roll.path("numOfBatches").asInt()) {
                    roll.put("status", FINISHED);
                    GroupActivity.log(state, end, "INFO", "Deployment " + roll.path("id").asText() + " finished");
                } else {
                    roll.put("currentBatch", batch + 1);
                    roll.put("batchStartedAt", end);
                    startBatch(group, state, roll, end);
                }
            } else {
                green.forEach(g -> g.put("status", "UNHEALTHY"));
                roll.put("status", FAILED).put("updatedAt", end);
                GroupActivity.log(state, end, "WARN", "Deployment " + roll.path("id").asText() + " failed: batch "
                        + batch + " instances did not become healthy within " + roll.path("gracePeriod").asInt() + " s");
                onFailure(group, state, roll, batch, end);
            }
        }
        return changed;
    }

    /** Stops the active roll {@code rollId}: the batch in progress is undone (its green instances leave). */
    public static void stop(ObjectNode group, ObjectNode state, String rollId, long now) {
        ObjectNode roll = find(state, rollId);
        if (!IN_PROGRESS.equals(roll.path("status").asText())) {
            throw SpotException.badRequest("DEPLOYMENT_NOT_IN_PROGRESS", "Deployment " + rollId + " is "
                    + roll.path("status").asText() + ", not in progress");
        }
        int batch = roll.path("currentBatch").asInt();
        List<ObjectNode> green = members(roll, "green", batch);
        if (REPLACE.equals(roll.path("action").asText())) {
            remove(group, state, ids(green), now, true);
            green.forEach(g -> g.put("status", "CANCELLED"));
        }
        roll.put("status", STOPPED).put("updatedAt", now);
        GroupActivity.log(state, now, "INFO", "Deployment " + rollId + " stopped during batch " + batch);
    }

    /** The roll {@code rollId} of {@code state}; Spot's 400 when unknown. */
    public static ObjectNode find(JsonNode state, String rollId) {
        for (JsonNode r : state.path("rolls")) {
            if (rollId.equals(r.path("id").asText())) {
                return (ObjectNode) r;
            }
        }
        throw SpotException.badRequest("DEPLOYMENT_NOT_FOUND", "Deployment " + rollId + " not found");
    }

    /** The {@code groupDeploymentStatus} item (Go SDK {@code RollGroupStatus}, OAS elastigroup-deployment-status). */
    public static ObjectNode summary(JsonNode roll) {
        ObjectNode out = SimJson.object();
        out.put("id", roll.path("id").asText());
        out.put("status", roll.path("status").asText());
        out.putObject("progress").put("unit", "percent").put("value", progress(roll));
        out.put("currentBatch", roll.path("currentBatch").asInt());
        out.put("numOfBatches", roll.path("numOfBatches").asInt());
        out.put("gracePeriod", roll.path("gracePeriod").asInt());
        out.put("blueInstances", count(roll, "blue", "RUNNING"));
        out.put("greenInstances", roll.path("green").size());
        out.put("createdAt", Timestamps.seconds(roll.path("createdAt").asLong()));
        out.put("updatedAt", Timestamps.seconds(roll.path("updatedAt").asLong()));
        return out;
    }

    /** The {@code .../roll/{rollId}/status} item (Go SDK {@code RollStatusOutput}). */
    public static ObjectNode status(JsonNode roll) {
        ObjectNode out = SimJson.object();
        out.putObject("progress").put("unit", "percent").put("value", progress(roll));
        out.put("numberOfBatches", roll.path("numOfBatches").asInt());
        out.put("currentBatch", roll.path("currentBatch").asInt());
        out.put("gracePeriod", roll.path("gracePeriod").asInt());
        out.put("strategyAction", roll.path("action").asText());
        out.put("healthCheck", roll.path("healthCheckType").asText());
        ObjectNode bg = out.putArray("instances").addObject();
        bg.set("blue", roll.path("blue").deepCopy());
        bg.set("green", roll.path("green").deepCopy());
        return out;
    }

    /** Per cent of batches done (100 when FINISHED). */
    static int progress(JsonNode roll) {
        int batches = Math.max(1, roll.path("numOfBatches").asInt(1));
        int done = roll.path("currentBatch").asInt(1) - 1;
        if (FINISHED.equals(roll.path("status").asText())) {
            done = batches;
        }
        return done * 100 / batches;
    }

    /** Health of an instance of the fleet: INSUFFICIENT_DATA while in a grace period, UNHEALTHY on a bad image. */
    public static String health(JsonNode state, JsonNode instance, Set<String> unhealthy) {
        ObjectNode roll = active(state);
        String id = instance.path("instanceId").asText();
        if (roll != null) {
            for (JsonNode g : roll.path("green")) {
                if (id.equals(g.path("instanceId").asText()) && "PENDING".equals(g.path("status").asText())) {
                    return "INSUFFICIENT_DATA";
                }
            }
        }
        return unhealthy.contains(instance.path("imageId").asText()) ? "UNHEALTHY" : "HEALTHY";
    }

    /**
     * Takes {@code ids} out of the fleet of {@code state} at {@code now}; each leaves a cost history entry (an
     * instance detached but not terminated runs on outside the group: the group no longer pays for it).
     */
    public static List<ObjectNode> remove(ObjectNode group, ObjectNode state, Set<String> ids, long now, boolean terminated) {
        List<ObjectNode> gone = new ArrayList<>();
        ArrayNode kept = SimJson.NODES.arrayNode();
        for (JsonNode i : state.path("instances")) {
            if (ids.contains(i.path("instanceId").asText())) {
                gone.add((ObjectNode) i);
            } else {
                kept.add(i);
            }
        }
        state.set("instances", kept);
        ArrayNode history = state.has("history") ? (ArrayNode) state.get("history") : state.putArray("history");
        for (ObjectNode i : gone) {
            if (history.size() >= GroupFleet.HISTORY_RETENTION) {
                history.remove(0);
            }
            long from = i.has(LAUNCH_MILLIS) ? i.get(LAUNCH_MILLIS).asLong() : Timestamps.parse(i.path("createdAt").asText());
            history.addObject().put("instanceId", i.path("instanceId").asText())
                    .put("instanceType", i.path("instanceType").asText()).put("from", from).put("to", now);
        }
        if (terminated) {
            GroupActivity.fleetChanged(state, group.path("id").asText(), now, List.of(), gone);
        }
        return gone;
    }

    private static void startBatch(ObjectNode group, ObjectNode state, ObjectNode roll, long now) {
        int batch = roll.path("currentBatch").asInt();
        ArrayNode green = (ArrayNode) roll.get("green");
        List<ObjectNode> blue = members(roll, "blue", batch);
        if (RESTART.equals(roll.path("action").asText())) {
            blue.forEach(b -> green.addObject().put("instanceId", b.path("instanceId").asText()).put("lifeCycle", "spot")
                    .put("batchNum", batch).put("status", "PENDING"));
            return;
        }
        ArrayNode fleet = (ArrayNode) state.get("instances");
        List<ObjectNode> launched = new ArrayList<>();
        for (ObjectNode old : blue) {
            JsonNode was = null;
            for (JsonNode i : fleet) {
                if (old.path("instanceId").asText().equals(i.path("instanceId").asText())) {
                    was = i;
                }
            }
            ObjectNode instance = SimJson.object();
            instance.put("instanceId", RandomIds.ec2InstanceId());
            instance.put("spotInstanceRequestId", RandomIds.spotRequestId());
            instance.put("instanceType", was == null ? "t3.micro" : was.path("instanceType").asText());
            instance.put("availabilityZone", was == null ? group.path("region").asText("us-east-1") + "a"
                    : was.path("availabilityZone").asText());
            instance.put("privateIp", RandomIds.privateIp());
            instance.put("publicIp", RandomIds.publicIp());
            instance.put("createdAt", Timestamps.seconds(now));
            instance.put(LAUNCH_MILLIS, now);
            instance.put("imageId", roll.path("imageId").asText());
            fleet.add(instance);
            launched.add(instance);
            green.addObject().put("instanceId", instance.path("instanceId").asText()).put("lifeCycle", "spot")
                    .put("batchNum", batch).put("status", "PENDING");
        }
        GroupActivity.fleetChanged(state, group.path("id").asText(), now, launched, List.of());
    }

    /** Spot's {@code strategy.onFailure} (OAS start-deployment): DETACH_NEW or DETACH_OLD, this batch or all. */
    private static void onFailure(ObjectNode group, ObjectNode state, ObjectNode roll, int batch, long now) {
        JsonNode onFailure = roll.path("onFailure");
        if (!onFailure.isObject()) {
            return;
        }
        boolean all = onFailure.path("shouldHandleAllBatches").asBoolean(false);
        boolean decrement = onFailure.path("shouldDecrementTargetCapacity").asBoolean(true);
        String type = onFailure.path("actionType").asText();
        List<ObjectNode> victims = new ArrayList<>();
        for (JsonNode member : roll.path("DETACH_OLD".equals(type) ? "blue" : "green")) {
            int b = member.path("batchNum").asInt();
            String status = member.path("status").asText();
            if ((all || b == batch) && !"TERMINATED".equals(status) && !"DETACHED".equals(status)) {
                victims.add((ObjectNode) member);
            }
        }
        List<ObjectNode> gone = remove(group, state, ids(victims), now, false);
        victims.forEach(v -> v.put("status", "DETACHED"));
        GroupActivity.log(state, now, "WARN", "Deployment " + roll.path("id").asText() + ": " + type + " detached "
                + gone.size() + " instance(s)");
        // the fleet of batch k had its green instances beside its blue ones: only instances that replaced a
        // blue one already terminated (earlier batches) lower the fleet below target
        int below = Math.max(0, GroupFleet.target(group) - state.path("instances").size());
        if (decrement && below > 0) {
            ObjectNode capacity = (ObjectNode) group.get("capacity");
            int target = Math.max(0, capacity.path("target").asInt() - below);
            capacity.put("target", target);
            capacity.put("minimum", Math.min(capacity.path("minimum").asInt(), target));
        }
    }

    private static List<ObjectNode> members(JsonNode roll, String side, int batch) {
        List<ObjectNode> out = new ArrayList<>();
        for (JsonNode m : roll.path(side)) {
            if (m.path("batchNum").asInt() == batch && !"DETACHED".equals(m.path("status").asText())) {
                out.add((ObjectNode) m);
            }
        }
        return out;
    }

    private static int count(JsonNode roll, String side, String status) {
        int n = 0;
        for (JsonNode m : roll.path(side)) {
            if (status.equals(m.path("status").asText())) {
                n++;
            }
        }
        return n;
    }

    private static Set<String> ids(List<ObjectNode> members) {
        Set<String> out = new java.util.HashSet<>();
        members.forEach(m -> out.add(m.path("instanceId").asText()));
        return out;
    }
}
