package dev.spotapi.sim.state;

import dev.spotapi.sim.fleet.InstanceLifecycle;
import dev.spotapi.sim.fleet.InstanceState;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.http.Validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** AWS managed instances: {@code /aws/ec2/managedInstance}, wrapper {@code managedInstance}, ids {@code smi-}. */
public final class ManagedInstanceType implements ResourceType {
    public static final ManagedInstanceType INSTANCE = new ManagedInstanceType();
    static final String KIND = "spotinst:aws:ec2:managedInstance";
    private static final List<String> TOP_LEVEL = List.of("id", "createdAt", "updatedAt");

    private final Validation validation = new Validation("managedInstance");
    private final FieldTable fields = FieldTable.load("managedInstance");

    private ManagedInstanceType() {
    }

    @Override
    public String basePath() {
        return "/aws/ec2/managedInstance";
    }

    @Override
    public String wrapper() {
        return "managedInstance";
    }

    @Override
    public String idPrefix() {
        return "smi-";
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String notFoundCode() {
        return "MANAGED_INSTANCE_DOESNT_EXIST";
    }

    @Override
    public String notFoundMessage(String id) {
        return "Managed instance: '" + id + "' does not exist";
    }

    @Override
    public void validate(ObjectNode mi) {
        fields.check(mi);
        validation.requireString(mi, "name");
        validation.requireString(mi, "region");
        ObjectNode compute = validation.requireObject(mi, "compute");
        validation.requireNonEmptyStringArray(compute, "compute.subnetIds");
        validation.requireString(compute, "compute.vpcId");
    }

    /**
     * {@code compute.product} may not change once set: Terraform's managed-instance resource refuses the
     * update ({@code field [product] is immutable, cannot be changed post creation}), the same evidence as the
     * group rule (contract §9.3). Sending the same value is fine.
     */
    @Override
    public void validateUpdate(ObjectNode before, ObjectNode after) {
        JsonNode product = before.path("compute").path("product");
        if (product.isTextual()) {
            validation.requireUnchanged(product.asText(), after.path("compute").path("product").asText(null),
                    "compute.product");
        }
    }

    /** An {@link InstanceState} as JSON, with a status of ACTIVE or PAUSED. */
    @Override
    public void checkState(ObjectNode state) {
        InstanceState s = InstanceState.of(state);
        if (!InstanceState.ACTIVE.equals(s.status()) && !InstanceState.PAUSED.equals(s.status())) {
            throw new IllegalArgumentException("\"status\" must be ACTIVE or PAUSED");
        }
        if (s.intervals() == null) {
            throw new IllegalArgumentException("\"intervals\" is required");
        }
    }

    @Override
    public ObjectNode initialState(ObjectNode mi, long now) {
        return InstanceLifecycle.create(mi, now).toJson();
    }

    @Override
    public ObjectNode stateAfterUpdate(ObjectNode mi, ObjectNode state, long now) {
        return state;
    }

    /** The {@code config}-wrapped form of Spot's OpenAPI and Java SDK (contract §3.2). */
    @Override
    public JsonNode listItem(StoredResource resource) {
        ObjectNode object = resource.object();
        ObjectNode item = SimJson.object();
        item.put("id", resource.id());
        item.set("createdAt", object.get("createdAt"));
        item.set("updatedAt", object.get("updatedAt"));
        ObjectNode config = item.putObject("config");
        object.properties().forEach(e -> {
            if (!TOP_LEVEL.contains(e.getKey())) {
                config.set(e.getKey(), e.getValue());
            }
        });
        return item;
    }
}
