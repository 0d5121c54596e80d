package dev.spotapi.sim.state;

import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** A volume Spot keeps for a managed instance: {@code vol-}; object {@code managedInstanceId, deviceName, size, attached}. */
public final class VolumeType extends StatefulTypes {
    public static final VolumeType INSTANCE = new VolumeType();

    private VolumeType() {
        super("volume", "vol-", "VOLUME_DOESNT_EXIST", "Volume");
    }

    @Override
    public void validate(ObjectNode object) {
        if (!object.path("managedInstanceId").isTextual()) {
            throw SpotException.validation("managedInstanceId", "\"managedInstanceId\" is required");
        }
    }
}
