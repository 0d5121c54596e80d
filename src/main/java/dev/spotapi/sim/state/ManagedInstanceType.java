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
    /** OAS {@code mi-delete}: {@code deallocationConfig} and {@code amiBackup}, objects of booleans. */
    private final FieldTable deleteFields = FieldTable.load("managedInstance-delete", "");

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

    /**
     * OAS {@code mi-delete} (contract §3.2 Delete, §7.4): {@code deallocationConfig} and {@code amiBackup} are
     * objects of booleans; another type is a ValidationError ({@code body:deallocationConfig.shouldDeleteVolumes}).
     */
    @Override
    public void validateDelete(ObjectNode body) {
        deleteFields.check(body);
    }

    /**
     * OAS {@code mi-delete.deallocationConfig.shouldTerminateInstance} (default false, contract §3.2): unless it is
     * true the delete detaches, Spot no longer manages the imported EC2 instance, so a still-running original
     * ({@link Ec2InstanceType}, not terminated by its import) is free to be imported again.
     */
    @Override
    public void afterDelete(ResourceStore store, String account, String id, ObjectNode body, long now) {
        if (body.path("deallocationConfig").path("shouldTerminateInstance").asBoolean(false)) {
            return;
        }
        for (StoredResource ec2 : store.list(Ec2InstanceType.INSTANCE, account)) {
            if (id.equals(ec2.object().path("managedInstanceId").asText(null))
                    && !ec2.object().path("terminated").asBoolean(false)) {
                try {
                    store.update(Ec2InstanceType.INSTANCE, account, ec2.id(), current -> {
                        ObjectNode object = current.object().deepCopy();
                        if (id.equals(object.path("managedInstanceId").asText(null))) {
                            object.remove("managedInstanceId");
                            object.put("updatedAt", dev.spotapi.sim.Timestamps.seconds(now));
                        }
                        return new StoredResource(current.id(), object, current.state());
                    }, false);
                } catch (dev.spotapi.sim.SpotException gone) {
                    // the EC2 record was removed meanwhile: nothing to detach
                }
            }
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
