package dev.spotapi.sim.state;

import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** An EC2 instance Spot does not (yet) manage: {@code i-}; object {@code region, privateIp, instanceType, volumes}. */
public final class Ec2InstanceType extends StatefulTypes {
    public static final Ec2InstanceType INSTANCE = new Ec2InstanceType();

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
