package dev.spotapi.sim;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The simulated state of a managed instance, stored beside its Spot object (which has no state
 * field). {@code intervals} are the periods the instance was ACTIVE, in simulated epoch millis;
 * the last one is open ({@code to == null}) while the instance is ACTIVE.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record InstanceState(String status, String instanceId, String instanceType, String imageId,
                     String privateIp, String publicIp, long launchedAt, List<ActiveInterval> intervals) {
    static final String ACTIVE = "ACTIVE";
    static final String PAUSED = "PAUSED";

    /** One period in ACTIVE state, priced at {@code instanceType}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record ActiveInterval(long from, Long to, String instanceType) {
    }

    boolean active() {
        return ACTIVE.equals(status);
    }

    static InstanceState of(ObjectNode node) {
        return SimJson.MAPPER.convertValue(node, InstanceState.class);
    }

    ObjectNode toJson() {
        return SimJson.MAPPER.valueToTree(this);
    }
}
