package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A stored kind of {@link StatefulRoutes} that Spot shows only through other calls (no CRUD routes): its
 * object is kept as given, its state is opaque. Persisted by {@link ResourceStore} and exported in
 * {@code /_sim/state} like groups and managed instances.
 */
abstract class StatefulTypes implements ResourceType {
    private final String wrapper;
    private final String prefix;
    private final String code;
    private final String noun;

    StatefulTypes(String wrapper, String prefix, String code, String noun) {
        this.wrapper = wrapper;
        this.prefix = prefix;
        this.code = code;
        this.noun = noun;
    }

    @Override
    public String basePath() {
        return "/_sim/" + wrapper;
    }

    @Override
    public String wrapper() {
        return wrapper;
    }

    @Override
    public String idPrefix() {
        return prefix;
    }

    @Override
    public String kind() {
        return "spotinst:aws:ec2:" + wrapper;
    }

    @Override
    public String notFoundCode() {
        return code;
    }

    @Override
    public String notFoundMessage(String id) {
        return noun + ": '" + id + "' does not exist";
    }

    @Override
    public void validate(ObjectNode object) {
    }

    @Override
    public void checkState(ObjectNode state) {
    }

    @Override
    public ObjectNode initialState(ObjectNode object, long now) {
        return SimJson.object();
    }

    @Override
    public ObjectNode stateAfterUpdate(ObjectNode object, ObjectNode state, long now) {
        return state;
    }

    @Override
    public JsonNode listItem(StoredResource resource) {
        return resource.object();
    }
}

/** An EC2 instance Spot does not (yet) manage: {@code i-}; object {@code region, privateIp, instanceType, volumes}. */
final class Ec2InstanceType extends StatefulTypes {
    static final Ec2InstanceType INSTANCE = new Ec2InstanceType();

    private Ec2InstanceType() {
        super("ec2Instance", "i-", "EC2_INSTANCE_DOESNT_EXIST", "EC2 instance");
    }

    /** {@code region}, {@code privateIp}, {@code instanceType} strings when given; {@code volumes} an array of objects. */
    @Override
    public void validate(ObjectNode object) {
        for (String f : java.util.List.of("region", "privateIp", "instanceType", "imageId", "vpcId", "subnetId")) {
            if (object.has(f) && !object.get(f).isTextual()) {
                throw SpotException.validation(f, "\"" + f + "\" must be a string");
            }
        }
        JsonNode volumes = object.get("volumes");
        if (volumes != null && (!volumes.isArray() || volumes.size() > 16)) {
            throw SpotException.validation("volumes", "\"volumes\" must be an array of at most 16 objects");
        }
        if (volumes != null) {
            for (JsonNode v : volumes) {
                if (!v.isObject()) {
                    throw SpotException.validation("volumes", "\"volumes\" must be an array of objects");
                }
            }
        }
    }
}

/** An import of an EC2 instance: {@code smg-}; state {@code startedAt, finishesAt} (simulated epoch millis). */
final class MigrationType extends StatefulTypes {
    static final MigrationType INSTANCE = new MigrationType();

    private MigrationType() {
        super("migration", "smg-", "MIGRATION_DOESNT_EXIST", "Migration");
    }

    @Override
    public void checkState(ObjectNode state) {
        if (!state.path("finishesAt").canConvertToLong()) {
            throw new IllegalArgumentException("\"finishesAt\" (epoch millis) is required");
        }
    }

    @Override
    public ObjectNode initialState(ObjectNode object, long now) {
        ObjectNode state = SimJson.object();
        state.put("startedAt", now);
        state.put("finishesAt", now);
        return state;
    }
}

/** A volume Spot keeps for a managed instance: {@code vol-}; object {@code managedInstanceId, deviceName, size, attached}. */
final class VolumeType extends StatefulTypes {
    static final VolumeType INSTANCE = new VolumeType();

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

/**
 * A stateful instance of a group: {@code ssi-}; object {@code groupId, instanceId, privateIp, imageId, devices,
 * launchedAt, createdAt}; state {@code status} (ACTIVE, PAUSED) and {@code pending} ({@code action, until}).
 */
final class StatefulInstanceType extends StatefulTypes {
    static final StatefulInstanceType INSTANCE = new StatefulInstanceType();

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
        if (!status.equals("ACTIVE") && !status.equals("PAUSED")) {
            throw new IllegalArgumentException("\"status\" must be ACTIVE or PAUSED");
        }
    }

    @Override
    public ObjectNode initialState(ObjectNode object, long now) {
        ObjectNode state = SimJson.object();
        state.put("status", "ACTIVE");
        return state;
    }
}
