package dev.spotapi.sim.fleet;

import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What happened to a group, kept in its state as {@code "activity": [...]} (oldest first, the newest
 * {@link #RETENTION} entries): each entry is one Elastilog line ({@code GET .../logs}) and, when it
 * launched or terminated instances, one activity event ({@code GET .../events}). Times are simulated
 * epoch millis.
 */
public final class GroupActivity {
    static final int RETENTION = 2000;
    /**
     * Instance ids all kept events may list together (a scale of 1000 lists 1000): the oldest entries are
     * dropped beyond it, so one group's activity stays under about 300 KB of JSON whatever its scaling.
     */
    static final int RETAINED_EVENT_IDS = 4000;
    /** Instance ids a log line names; further ones are counted ("and 990 more"), the event lists them all. */
    static final int IDS_IN_MESSAGE = 10;
    public static final String LOG_KIND = "spotinst:aws:ec2:group:log";
    public static final String EVENT_KIND = "spotinst:aws:ec2:group:event";
    /** Elastilog severities a caller may filter on (OAS {@code /aws/ec2/group/{groupId}/logs}). */
    static final List<String> SEVERITIES = List.of("ALL", "INFO", "DEBUG", "WARN");

    private GroupActivity() {
    }

    /** Appends one log line (and no event) to {@code state}. */
    public static void log(ObjectNode state, long now, String severity, String message) {
        entry(state, now, severity, message);
    }

    /** Appends the scale event (and its log line) for instances launched or terminated at {@code now}. */
    static void fleetChanged(ObjectNode state, String groupId, long now, List<ObjectNode> launched,
                             List<ObjectNode> terminated) {
        scaleEvent(state, now, launched, "Scaled up group " + groupId + ": launched ", "scaleUp", "newSpots",
                "newInstances");
        scaleEvent(state, now, terminated, "Scaled down group " + groupId + ": terminated ", "scaleDown",
                "victimSpots", "victimInstances");
    }

    /** One scale event (none for no instances): its log line, type and the two id lists Spot's event carries. */
    private static void scaleEvent(ObjectNode state, long now, List<ObjectNode> changed, String message, String type,
                                   String spotsField, String instancesField) {
        if (changed.isEmpty()) {
            return;
        }
        ObjectNode e = entry(state, now, "INFO", message + changed.size() + " instance(s) " + ids(changed));
        ObjectNode sub = e.putObject("event").put("type", type);
        ArrayNode spots = sub.putArray(spotsField);
        ArrayNode instances = sub.putArray(instancesField);
        for (ObjectNode i : changed) {
            // the instance's own (immutable) text nodes: no second copy of each id in memory
            spots.addObject().set("spotInstanceRequestId", i.path("spotInstanceRequestId"));
            instances.add(i.path("instanceId"));
        }
    }

    /** Activity events at or after {@code from}, oldest first, in the shape of the OAS events example. */
    public static List<JsonNode> events(StoredResource group, long from) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : group.state().path("activity")) {
            if (e.has("event") && e.path("time").asLong() >= from) {
                ObjectNode item = SimJson.object();
                item.put("groupId", group.id());
                item.put("eventType", "Update");
                item.put("createdAt", Timestamps.seconds(e.path("time").asLong()));
                item.putArray("subEvents").add(subEvent(e.path("event")));
                out.add(item);
            }
        }
        return out;
    }

    /**
     * One stored scale event as Spot's sub-event (an element of the {@code subEvents} array: Spot's recorded
     * reply in the Python SDK's {@code activity_events_res.json}; the Go SDK's {@code SubEvent}, whose
     * {@code newInstances} / {@code terminatedInstances} are arrays of objects): {@code scaleUp} with
     * {@code newSpots [{spotInstanceRequestId}]} and {@code newInstances [{instanceId}]}, {@code scaleDown}
     * with {@code terminatedSpots [{spotInstanceRequestId, instanceId}]} and {@code terminatedInstances
     * [{instanceId}]}. The stored form (strings, {@code victim*}) is kept so stored states stay readable.
     */
    static ObjectNode subEvent(JsonNode event) {
        String type = event.path("type").asText();
        boolean up = !"scaleDown".equals(type);
        JsonNode spots = event.path(up ? "newSpots" : "victimSpots");
        JsonNode instances = event.path(up ? "newInstances" : "victimInstances");
        ObjectNode sub = SimJson.object().put("type", type);
        ArrayNode outSpots = sub.putArray(up ? "newSpots" : "terminatedSpots");
        ArrayNode outInstances = sub.putArray(up ? "newInstances" : "terminatedInstances");
        for (int i = 0; i < instances.size(); i++) {
            ObjectNode spot = outSpots.addObject();
            spot.set("spotInstanceRequestId", spots.path(i).path("spotInstanceRequestId"));
            JsonNode instanceId = instances.get(i);
            if (!up) {
                spot.set("instanceId", instanceId);
            }
            outInstances.addObject().set("instanceId", instanceId);
        }
        return sub;
    }

    /**
     * Elastilog lines in [{@code from}, {@code to}], newest first, at most {@code limit};
     * {@code severity} ALL keeps every line, another value only lines of that severity.
     */
    public static List<JsonNode> logs(StoredResource group, long from, long to, String severity, int limit) {
        List<JsonNode> out = new ArrayList<>();
        JsonNode activity = group.state().path("activity");
        for (int i = activity.size() - 1; i >= 0 && out.size() < limit; i--) {
            JsonNode e = activity.get(i);
            long time = e.path("time").asLong();
            String level = e.path("severity").asText();
            if (time < from || time > to || !("ALL".equals(severity) || level.equals(severity))) {
                continue;
            }
            ObjectNode item = SimJson.object();
            item.put("message", e.path("message").asText());
            item.put("severity", level);
            item.put("createdAt", Timestamps.millis(time));
            out.add(item);
        }
        return out;
    }

    /** Copies the activity of {@code from} into {@code to} (a state being rebuilt). */
    static void carry(JsonNode from, ObjectNode to) {
        if (from.has("activity")) {
            to.set("activity", from.get("activity").deepCopy());
        }
    }

    public static String severity(String value) {
        String upper = value.trim().toUpperCase(Locale.ROOT);
        if (!SEVERITIES.contains(upper)) {
            throw SpotException.validation("query:severity",
                    "\"severity\" must be one of [" + String.join(", ", SEVERITIES) + "]");
        }
        return upper;
    }

    private static ObjectNode entry(ObjectNode state, long now, String severity, String message) {
        JsonNode existing = state.get("activity");
        ArrayNode activity = existing instanceof ArrayNode a ? a : state.putArray("activity");
        while (activity.size() >= RETENTION) {
            activity.remove(0);
        }
        int ids = 0;
        for (JsonNode e : activity) {
            ids += eventIds(e);
        }
        while (ids > RETAINED_EVENT_IDS && !activity.isEmpty()) {
            ids -= eventIds(activity.remove(0));
        }
        return activity.addObject().put("time", now).put("severity", severity).put("message", message);
    }

    private static int eventIds(JsonNode entry) {
        JsonNode event = entry.path("event");
        return event.path("newInstances").size() + event.path("victimInstances").size();
    }

    private static String ids(List<ObjectNode> instances) {
        String named = instances.stream().limit(IDS_IN_MESSAGE).map(i -> i.path("instanceId").asText()).toList().toString();
        return instances.size() <= IDS_IN_MESSAGE ? named : named + " and " + (instances.size() - IDS_IN_MESSAGE) + " more";
    }
}
