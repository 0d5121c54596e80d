package dev.spotapi.stateful;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.power.PowerState;
import dev.spotapi.spot.SpotIds;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code PUT /{account}/instances-power}: {@code {"state": "stop" | "start", "instances": [id...]}}
 * (1 to {@value #MAX_IDS} distinct managed instance ids). Spot's bulk call takes PAUSE and RESUME only
 * (OAS {@code managedInstanceState}), so {@code reboot} is refused.
 */
public record BulkPower(PowerState state, List<String> instances) {
    /** Most ids one request may name. */
    public static final int MAX_IDS = 100;

    /**
     * Reads and checks the body.
     *
     * @throws IllegalArgumentException with a message for the caller (a 400)
     */
    public static BulkPower parse(ObjectNode body) {
        body.fieldNames().forEachRemaining(f -> {
            if (!f.equals("state") && !f.equals("instances")) {
                throw new IllegalArgumentException("unknown field '" + (f.length() > 40 ? f.substring(0, 40) + "..." : f)
                        + "': the body is {\"state\": \"stop\" | \"start\", \"instances\": [\"smi-...\"]}");
            }
        });
        ObjectNode stateOnly = body.objectNode();
        if (body.has("state")) {
            stateOnly.set("state", body.get("state"));
        }
        PowerState state = PowerState.fromBody(stateOnly);
        if (state == PowerState.REBOOT) {
            throw new IllegalArgumentException("state must be stop or start: Spot's bulk call cannot reboot");
        }
        JsonNode ids = body.get("instances");
        if (ids == null || !ids.isArray() || ids.isEmpty() || ids.size() > MAX_IDS) {
            throw new IllegalArgumentException("instances must be an array of 1 to " + MAX_IDS + " managed instance ids");
        }
        Set<String> out = new LinkedHashSet<>();
        for (JsonNode id : ids) {
            if (!id.isTextual() || !SpotIds.isManagedInstanceId(id.asText())) {
                throw new IllegalArgumentException("instances must hold managed instance ids (smi-...)");
            }
            if (!out.add(id.asText())) {
                throw new IllegalArgumentException("instance " + id.asText() + " is listed twice in instances");
            }
        }
        return new BulkPower(state, new ArrayList<>(out));
    }

    /** Spot's word for the state: PAUSE or RESUME. */
    public String spotState() {
        return state == PowerState.STOP ? "PAUSE" : "RESUME";
    }
}
