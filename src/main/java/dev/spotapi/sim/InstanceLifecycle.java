package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Managed instance lifecycle: ACTIVE after create; pause → PAUSED (the EC2 instance is gone);
 * resume → ACTIVE on a new EC2 instance; recycle → ACTIVE on a new EC2 instance. Each launch opens
 * an ACTIVE interval and each pause or recycle closes one, which is what costs are computed from.
 */
final class InstanceLifecycle {
    static final String ALREADY_PAUSED = "MANAGED_INSTANCE_ALREADY_PAUSED";
    static final String NOT_PAUSED = "MANAGED_INSTANCE_NOT_PAUSED";
    static final String NOT_ACTIVE = "MANAGED_INSTANCE_NOT_ACTIVE";
    static final String STATUS_KIND = "spotinst:aws:ec2:managedInstanceStatus";
    private static final String DEFAULT_TYPE = "t3.micro";

    private InstanceLifecycle() {
    }

    static InstanceState create(ObjectNode mi, long now) {
        return launch(mi, null, List.of(), now);
    }

    static InstanceState pause(String id, InstanceState s, long now) {
        if (!s.active()) {
            throw SpotException.badRequest(ALREADY_PAUSED, "Managed instance '" + id + "' is already paused");
        }
        return new InstanceState(InstanceState.PAUSED, null, s.instanceType(), s.imageId(), s.privateIp(), null,
                s.launchedAt(), closeOpenInterval(s.intervals(), now));
    }

    static InstanceState resume(String id, ObjectNode mi, InstanceState s, long now) {
        if (s.active()) {
            throw SpotException.badRequest(NOT_PAUSED, "Managed instance '" + id + "' is not paused");
        }
        return launch(mi, s, s.intervals(), now);
    }

    static InstanceState recycle(String id, ObjectNode mi, InstanceState s, long now) {
        if (!s.active()) {
            throw SpotException.badRequest(NOT_ACTIVE, "Managed instance '" + id + "' is paused; resume it first");
        }
        return launch(mi, s, closeOpenInterval(s.intervals(), now), now);
    }

    /** The {@code /status} item (contract §5.1). As in Spot's own example, {@code name} is the EC2 instance id. */
    static ObjectNode statusItem(StoredResource r) {
        InstanceState s = InstanceState.of(r.state());
        ObjectNode item = SimJson.object();
        item.put("id", r.id());
        item.put("name", s.instanceId() != null ? s.instanceId() : r.object().path("name").asText(null));
        item.put("status", s.status());
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
                privateIp(mi, previous), RandomIds.publicIp(), now, intervals);
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

    static String preferredType(ObjectNode mi) {
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
