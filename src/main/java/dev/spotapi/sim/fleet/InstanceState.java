package dev.spotapi.sim.fleet;

import dev.spotapi.sim.SimJson;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The simulated state of a managed instance, stored beside its Spot object (which has no state
 * field). {@code intervals} are the periods the instance was ACTIVE, in simulated epoch millis;
 * the last one is open ({@code to == null}) while the instance runs. {@code pending} is a pause,
 * resume or recycle in progress (contract §9.10), null when none.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InstanceState(String status, String instanceId, String instanceType, String imageId,
                     String privateIp, String publicIp, long launchedAt, List<ActiveInterval> intervals,
                     Pending pending) {
    public static final String ACTIVE = "ACTIVE";
    public static final String PAUSED = "PAUSED";

    /** One period in ACTIVE state, priced at {@code instanceType}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ActiveInterval(long from, Long to, String instanceType) {
    }

    /** An action ({@code pause}, {@code resume}, {@code recycle}) started at {@code since}, done at {@code until}. */
    public record Pending(String action, long since, long until) {
        /** PAUSING, RESUMING or RECYCLING. */
        String status() {
            return switch (action) {
                case "pause" -> "PAUSING";
                case "resume" -> "RESUMING";
                default -> "RECYCLING";
            };
        }
    }

    /** The status Spot shows: the phase of a pending action, else ACTIVE or PAUSED. */
    @JsonIgnore
    String visibleStatus() {
        return pending != null ? pending.status() : status;
    }

    boolean active() {
        return ACTIVE.equals(status);
    }

    InstanceState withPending(Pending next) {
        return new InstanceState(status, instanceId, instanceType, imageId, privateIp, publicIp, launchedAt, intervals, next);
    }

    public static InstanceState of(ObjectNode node) {
        return SimJson.MAPPER.convertValue(node, InstanceState.class);
    }

    public ObjectNode toJson() {
        return SimJson.MAPPER.valueToTree(this);
    }
}
