package dev.spotapi.sim.fleet;

import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The fake EC2 instances of a group, kept in the group's state as {@code {"instances": [...]}}:
 * enough to reach {@code capacity.target}. With {@code capacity.unit: instance} (the default) each
 * instance counts 1; with {@code weight} each counts its type's {@code weightedCapacity} from
 * {@code compute.instanceTypes.weights}, or its vCPUs when no weight is given (contract §9.6), so
 * target 4 with one type of weight 4 runs one instance. Scaling up launches new ones, scaling down
 * terminates the newest while the rest still reach the target. Terminated instances leave a
 * {@code "history"} entry (type and running period, for costs) and every change an activity entry
 * ({@link GroupActivity}, for events and logs).
 */
public final class GroupFleet {
    private static final String DEFAULT_TYPE = "t3.micro";
    /** Terminated instances remembered for costs; the oldest are forgotten beyond this. */
    static final int HISTORY_RETENTION = 2000;
    /** Internal: the exact simulated launch time (createdAt has whole seconds only); never shown. */
    private static final String LAUNCH_MILLIS = "launchedAtMillis";

    /** The new state and the instances that were launched or terminated to reach it. */
    public record Change(ObjectNode state, List<ObjectNode> launched, List<ObjectNode> terminated) {
    }

    private GroupFleet() {
    }

    static int target(ObjectNode group) {
        return group.path("capacity").path("target").asInt(0);
    }

    public static Change reconcile(ObjectNode group, ObjectNode state, long now) {
        List<ObjectNode> instances = new ArrayList<>();
        state.path("instances").forEach(i -> instances.add((ObjectNode) i));
        List<ObjectNode> launched = new ArrayList<>();
        List<ObjectNode> terminated = new ArrayList<>();
        int target = target(group);
        long units = 0;
        for (ObjectNode i : instances) {
            units += weight(group, i.path("instanceType").asText());
        }
        java.util.Map<String, JsonNode> shared = new java.util.HashMap<>();
        while (units < target) {
            ObjectNode instance = launch(group, instances.size(), now, shared);
            instances.add(instance);
            launched.add(instance);
            units += weight(group, instance.path("instanceType").asText());
        }
        while (!instances.isEmpty()) {
            long last = weight(group, instances.get(instances.size() - 1).path("instanceType").asText());
            if (units - last < target) {
                break;
            }
            terminated.add(instances.remove(instances.size() - 1));
            units -= last;
        }
        ObjectNode next = SimJson.object();
        // everything else the group's state holds (its rolls, its suspensions, ...) stays as it was: Spot keeps a
        // group's deployments and suspensions when the group changes (attack round 21: every change dropped them)
        state.fields().forEachRemaining(e -> {
            if (!"instances".equals(e.getKey()) && !"history".equals(e.getKey()) && !"activity".equals(e.getKey())) {
                next.set(e.getKey(), e.getValue().deepCopy());
            }
        });
        next.putArray("instances").addAll(instances);
        ArrayNode history = next.putArray("history");
        state.path("history").forEach(h -> history.add(h.deepCopy()));
        for (ObjectNode gone : terminated) {
            if (history.size() >= HISTORY_RETENTION) {
                history.remove(0);
            }
            history.addObject().put("instanceId", gone.path("instanceId").asText())
                    .put("instanceType", gone.path("instanceType").asText())
                    .put("from", launchedAt(gone)).put("to", now);
        }
        GroupActivity.carry(state, next);
        GroupActivity.fleetChanged(next, group.path("id").asText(), now, launched, terminated);
        return new Change(next, launched, terminated);
    }

    /**
     * Makes the values that instances repeat (type, zone, launch times) one shared node each, across every
     * state given the same {@code shared} map: a state read back from storage costs as little heap as a fresh
     * one. Called on the states loaded at start; {@code state} is changed in place before it is stored.
     */
    public static void share(ObjectNode state, java.util.Map<String, JsonNode> shared) {
        for (JsonNode i : state.path("instances")) {
            if (i instanceof ObjectNode instance) {
                for (String field : List.of("instanceType", "availabilityZone", "createdAt", LAUNCH_MILLIS)) {
                    JsonNode value = instance.get(field);
                    if (value != null && value.isValueNode() && shared.size() < 10_000) {
                        instance.set(field, shared.computeIfAbsent(field + '=' + value, k -> value));
                    }
                }
            }
        }
    }

    /** Every period an instance of the group ran (current ones still open), for costs. */
    public static List<InstanceState.ActiveInterval> runningIntervals(ObjectNode state) {
        List<InstanceState.ActiveInterval> out = new ArrayList<>();
        for (JsonNode h : state.path("history")) {
            out.add(new InstanceState.ActiveInterval(h.path("from").asLong(), h.path("to").asLong(),
                    h.path("instanceType").asText()));
        }
        for (JsonNode i : state.path("instances")) {
            out.add(new InstanceState.ActiveInterval(launchedAt(i), null, i.path("instanceType").asText()));
        }
        return out;
    }

    private static long launchedAt(JsonNode instance) {
        return instance.has(LAUNCH_MILLIS) ? instance.get(LAUNCH_MILLIS).asLong()
                : Timestamps.parse(instance.path("createdAt").asText());
    }

    /** Capacity units one instance of {@code type} counts for (contract §9.6); at least 1. */
    static long weight(ObjectNode group, String type) {
        if (!"weight".equals(group.path("capacity").path("unit").asText())) {
            return 1;
        }
        for (JsonNode w : group.path("compute").path("instanceTypes").path("weights")) {
            if (type.equals(w.path("instanceType").asText()) && w.path("weightedCapacity").canConvertToLong()
                    && w.path("weightedCapacity").asLong() >= 1) {
                return w.path("weightedCapacity").asLong();
            }
        }
        return PriceTable.vcpus(type);
    }

    /** {@code GET .../status} items: the running instances with the fields of contract §3.1. */
    public static List<JsonNode> statusItems(StoredResource group) {
        String product = group.object().path("compute").path("product").asText("Linux/UNIX");
        List<JsonNode> items = new ArrayList<>();
        for (JsonNode instance : group.state().path("instances")) {
            ObjectNode item = ((ObjectNode) instance).deepCopy();
            item.remove(LAUNCH_MILLIS);
            item.put("status", "fulfilled");
            item.put("product", product);
            item.put("groupId", group.id());
            item.put("lockStatus", "unlocked");
            items.add(item);
        }
        return items;
    }

    /** The {@code spotinst:aws:ec2:scale} item for a scale call. */
    public static ObjectNode scaleItem(Change change) {
        ObjectNode item = SimJson.object();
        ArrayNode newSpotRequests = item.putArray("newSpotRequests");
        ArrayNode newInstances = item.putArray("newInstances");
        for (ObjectNode i : change.launched()) {
            newSpotRequests.addObject()
                    .put("spotInstanceRequestId", i.path("spotInstanceRequestId").asText())
                    .put("instanceId", i.path("instanceId").asText())
                    .put("availabilityZone", i.path("availabilityZone").asText())
                    .put("instanceType", i.path("instanceType").asText());
            newInstances.addObject()
                    .put("instanceId", i.path("instanceId").asText())
                    .put("availabilityZone", i.path("availabilityZone").asText())
                    .put("instanceType", i.path("instanceType").asText());
        }
        ArrayNode victimSpotRequests = item.putArray("victimSpotRequests");
        ArrayNode victimInstances = item.putArray("victimInstances");
        for (ObjectNode i : change.terminated()) {
            victimSpotRequests.addObject().put("spotInstanceRequestId", i.path("spotInstanceRequestId").asText());
            victimInstances.addObject().put("instanceId", i.path("instanceId").asText());
        }
        return item;
    }

    /**
     * One new instance. Values its siblings launched at the same time repeat (type, zone, times) are one
     * shared immutable node each ({@code shared}), so that a big scale-up costs memory for the ids and
     * addresses only (1,046 heap bytes per instance with its activity entry, 1,215 before; docs/simulator.md).
     */
    private static ObjectNode launch(ObjectNode group, int index, long now, java.util.Map<String, JsonNode> shared) {
        ObjectNode instance = SimJson.object();
        instance.put("instanceId", RandomIds.ec2InstanceId());
        instance.put("spotInstanceRequestId", RandomIds.spotRequestId());
        instance.set("instanceType", shared.computeIfAbsent("t:" + instanceType(group, index), k -> SimJson.NODES.textNode(k.substring(2))));
        instance.set("availabilityZone", shared.computeIfAbsent("z:" + availabilityZone(group, index), k -> SimJson.NODES.textNode(k.substring(2))));
        instance.put("privateIp", RandomIds.privateIp());
        instance.put("publicIp", RandomIds.publicIp());
        instance.set("createdAt", shared.computeIfAbsent("createdAt", k -> SimJson.NODES.textNode(Timestamps.seconds(now))));
        instance.set(LAUNCH_MILLIS, shared.computeIfAbsent("launched", k -> SimJson.NODES.numberNode(now)));
        return instance;
    }

    private static String instanceType(ObjectNode group, int index) {
        JsonNode types = group.path("compute").path("instanceTypes");
        JsonNode spot = types.path("spot");
        if (spot.isArray() && !spot.isEmpty()) {
            return spot.get(index % spot.size()).asText();
        }
        return types.path("ondemand").asText(DEFAULT_TYPE);
    }

    private static String availabilityZone(ObjectNode group, int index) {
        JsonNode zones = group.path("compute").path("availabilityZones");
        if (zones.isArray() && !zones.isEmpty() && zones.get(index % zones.size()).has("name")) {
            return zones.get(index % zones.size()).path("name").asText();
        }
        return group.path("region").asText("us-east-1") + "a";
    }
}
