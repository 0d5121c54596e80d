package dev.spotapi.sim.state;

import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A stateful instance of a group: {@code ssi-}; object {@code groupId, instanceId, privateIp, imageId, devices,
 * launchedAt, createdAt}; state {@code status} (ACTIVE, PAUSED, DEALLOCATED) and {@code pending} ({@code action, until}).
 */
public final class StatefulInstanceType extends StatefulTypes {
    public static final StatefulInstanceType INSTANCE = new StatefulInstanceType();
    /** The status after a completed deallocation (OAS {@code listStatefulInstances.state}). */
    public static final String DEALLOCATED = "DEALLOCATED";

    private StatefulInstanceType() {
        super("statefulInstance", "ssi-", "STATEFUL_INSTANCE_DOESNT_EXIST", "Stateful instance");
    }

    @Override
    public void validate(ObjectNode object) {
        if (!object.path("groupId").isTextual()) {
            throw SpotException.validation("groupId", "\"groupId\" is required");
        }
    }

    @Override
    public void checkState(ObjectNode state) {
        String status = state.path("status").asText("");
        if (!status.equals("ACTIVE") && !status.equals("PAUSED") && !status.equals(DEALLOCATED)) {
            throw new IllegalArgumentException("\"status\" must be ACTIVE, PAUSED or DEALLOCATED");
        }
    }

    @Override
    public ObjectNode initialState(ObjectNode object, long now) {
        ObjectNode state = SimJson.object();
        state.put("status", "ACTIVE");
        return state;
    }
}
