package dev.spotapi.sim.fleet;

import dev.spotapi.sim.RandomIds;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Managed instance lifecycle: ACTIVE after create; pause → PAUSING → PAUSED (the EC2 instance is
 * gone); resume → RESUMING → ACTIVE on a new EC2 instance; recycle → RECYCLING → ACTIVE on a new
 * EC2 instance (contract §9.10). Each phase lasts the configured transition time of simulated
 * time, and completes as of its due time when the instance is next looked at ({@link #settle}).
 * The instance keeps running (and costing) during PAUSING and RECYCLING and starts running when
 * RESUMING ends. Each launch opens an ACTIVE interval and each pause or recycle closes one, which
 * is what costs are computed from.
 */
public final class InstanceLifecycle {
    static final String ALREADY_PAUSED = "MANAGED_INSTANCE_ALREADY_PAUSED";
    static final String NOT_PAUSED = "MANAGED_INSTANCE_NOT_PAUSED";
    static final String NOT_ACTIVE = "MANAGED_INSTANCE_NOT_ACTIVE";
    static final String IN_PROGRESS = "MANAGED_INSTANCE_ACTION_IN_PROGRESS";
    public static final String STATUS_KIND = "spotinst:aws:ec2:managedInstanceStatus";
    private static final String DEFAULT_TYPE = "t3.micro";

    private InstanceLifecycle() {
    }

    public static InstanceState create(ObjectNode mi, long now) {
        return launch(mi, null, List.of(), now);
    }

    /** Starts a pause (ACTIVE only); done after {@code durationMillis} (0 = at once). */
    static InstanceState pause(String id, ObjectNode mi, InstanceState s, long now, long durationMillis) {
        requireIdle(id, s);
        if (!s.active()) {
            throw SpotException.badRequest(ALREADY_PAUSED, "Managed instance '" + id + "' is already paused");
        }
        return start(mi, s, "pause", now, durationMillis);
    }

    /** Starts a resume (PAUSED only). */
    static InstanceState resume(String id, ObjectNode mi, InstanceState s, long now, long durationMillis) {
        requireIdle(id, s);
        if (s.active()) {
            throw SpotException.badRequest(NOT_PAUSED, "Managed instance '" + id + "' is not paused");
        }
        return start(mi, s, "resume", now, durationMillis);
    }

    /** Starts a recycle (ACTIVE only). */
    static InstanceState recycle(String id, ObjectNode mi, InstanceState s, long now, long durationMillis) {
        requireIdle(id, s);
        if (!s.active()) {
            throw SpotException.badRequest(NOT_ACTIVE, "Managed instance '" + id + "' is paused; resume it first");
        }
        return start(mi, s, "recycle", now, durationMillis);
    }

    /** True when a pending action is due at {@code now}. */
    static boolean due(InstanceState s, long now) {
        return s.pending() != null && now >= s.pending().until();
    }

    /** Completes a pending action that is due at {@code now}, as of its due time; otherwise {@code s} unchanged. */
    public static InstanceState settle(ObjectNode mi, InstanceState s, long now) {
        if (!due(s, now)) {
            return s;
        }
        long at = s.pending().until();
        InstanceState idle = s.withPending(null);
        return switch (s.pending().action()) {
            case "pause" -> new InstanceState(InstanceState.PAUSED, null, idle.instanceType(), idle.imageId(),
                    idle.privateIp(), null, idle.launchedAt(), closeOpenInterval(idle.intervals(), at), null);
            case "resume" -> launch(mi, idle, idle.intervals(), at);
            default -> launch(mi, idle, closeOpenInterval(idle.intervals(), at), at);
        };
    }

    private static InstanceState start(ObjectNode mi, InstanceState s, String action, long now, long durationMillis) {
        InstanceState started = s.withPending(new InstanceState.Pending(action, now, now + durationMillis));
        return settle(mi, started, now);
    }

    private static void requireIdle(String id, InstanceState s) {
        if (s.pending() != null) {
            throw SpotException.badRequest(IN_PROGRESS, "Managed instance '" + id + "' is " + s.pending().status()
                    + "; wait until it is done");
        }
    }

    /** The {@code /status} item (contract §5.1). As in Spot's own example, {@code name} is the EC2 instance id. */
    public static ObjectNode statusItem(StoredResource r) {
        InstanceState s = InstanceState.of(r.state());
        ObjectNode item = SimJson.object();
        item.put("id", r.id());
        item.put("name", s.instanceId() != null ? s.instanceId() : r.object().path("name").asText(null));
        item.put("status", s.visibleStatus());
        putIfNotNull(item, "instanceId", s.instanceId());
        putIfNotNull(item, "instanceType", s.instanceType());
        putIfNotNull(item, "imageId", s.imageId());
        putIfNotNull(item, "privateIp", s.privateIp());
        putIfNotNull(item, "publicIp", s.publicIp());
        item.put("createdAt", r.object().path("createdAt").asText());
        item.put("launchedAt", Timestamps.seconds(s.launchedAt()));
        return item;
    }

    private static InstanceState launch(ObjectNode mi, InstanceState previous, List<InstanceState.ActiveInterval> closed,
                                        long now) {
        String type = preferredType(mi);
        List<InstanceState.ActiveInterval> intervals = new ArrayList<>(closed);
        intervals.add(new InstanceState.ActiveInterval(now, null, type));
        return new InstanceState(InstanceState.ACTIVE, RandomIds.ec2InstanceId(), type,
                mi.path("compute").path("launchSpecification").path("imageId").asText(null),
                privateIp(mi, previous), RandomIds.publicIp(), now, intervals, null);
    }

    private static List<InstanceState.ActiveInterval> closeOpenInterval(List<InstanceState.ActiveInterval> intervals,
                                                                         long now) {
        List<InstanceState.ActiveInterval> out = new ArrayList<>(intervals.size());
        for (InstanceState.ActiveInterval i : intervals) {
            out.add(i.to() == null ? new InstanceState.ActiveInterval(i.from(), now, i.instanceType()) : i);
        }
        return out;
    }

    /** A fixed {@code compute.privateIp} wins; with {@code persistence.persistPrivateIp} the old IP is kept. */
    private static String privateIp(ObjectNode mi, InstanceState previous) {
        JsonNode fixed = mi.path("compute").path("privateIp");
        if (fixed.isTextual() && !fixed.asText().isBlank()) {
            return fixed.asText();
        }
        if (previous != null && previous.privateIp() != null
                && mi.path("persistence").path("persistPrivateIp").asBoolean(false)) {
            return previous.privateIp();
        }
        return RandomIds.privateIp();
    }

    public static String preferredType(ObjectNode mi) {
        JsonNode types = mi.path("compute").path("launchSpecification").path("instanceTypes");
        if (types.path("preferredType").isTextual()) {
            return types.path("preferredType").asText();
        }
        JsonNode list = types.path("types");
        if (list.isArray() && !list.isEmpty() && list.get(0).isTextual()) {
            return list.get(0).asText();
        }
        return DEFAULT_TYPE;
    }

    private static void putIfNotNull(ObjectNode node, String key, String value) {
        if (value != null) {
            node.put(key, value);
        }
    }
}
