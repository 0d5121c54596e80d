package dev.spotapi.sim.state;

import dev.spotapi.sim.fleet.GroupActivity;
import dev.spotapi.sim.fleet.GroupFleet;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.http.Validation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** AWS elastigroups: {@code /aws/ec2/group}, wrapper {@code group}, ids {@code sig-xxxxxxxx}. */
public final class GroupType implements ResourceType {
    public static final GroupType INSTANCE = new GroupType();
    public static final String KIND = "spotinst:aws:ec2:group";

    private final Validation validation = new Validation("group");
    private final FieldTable fields = FieldTable.load("group");
    /** OAS {@code elastigroup-delete}: {@code statefulDeallocation}, {@code beanstalk}, {@code amiBackup}, of booleans. */
    private final FieldTable deleteFields = FieldTable.load("group-delete", "");

    private GroupType() {
    }

    @Override
    public String basePath() {
        return "/aws/ec2/group";
    }

    @Override
    public String wrapper() {
        return "group";
    }

    @Override
    public String idPrefix() {
        return "sig-";
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public String notFoundCode() {
        return "GROUP_DOESNT_EXIST";
    }

    @Override
    public String notFoundMessage(String id) {
        return "Group: '" + id + "' does not exist";
    }

    @Override
    public void validate(ObjectNode group) {
        fields.check(group);
        validation.requireString(group, "name");
        // Contract §9.4: region is required unless compute.availabilityZones names the zones.
        JsonNode zones = group.path("compute").path("availabilityZones");
        if (!zones.isArray() || zones.isEmpty() || group.has("region")) {
            validation.requireString(group, "region");
        }
        ObjectNode capacity = validation.requireObject(group, "capacity");
        long minimum = validation.requireNonNegativeInteger(capacity, "capacity.minimum");
        long maximum = validation.requireNonNegativeInteger(capacity, "capacity.maximum");
        long target = validation.requireNonNegativeInteger(capacity, "capacity.target");
        if (maximum > Limits.MAX_GROUP_CAPACITY) {
            throw validation.fail("capacity.maximum", "must be less than or equal to " + Limits.MAX_GROUP_CAPACITY);
        }
        if (minimum > target) {
            throw validation.fail("capacity.minimum", "must be less than or equal to " + target);
        }
        if (target > maximum) {
            throw validation.fail("capacity.target", "must be less than or equal to " + maximum);
        }
        validation.requireObject(group, "compute");
    }

    /** Contract §9.3: an update may not change {@code capacity.unit} (absent = instance) or {@code compute.product}. */
    @Override
    public void validateUpdate(ObjectNode before, ObjectNode after) {
        validation.requireUnchanged(before.path("capacity").path("unit").asText("instance"),
                after.path("capacity").path("unit").asText("instance"), "capacity.unit");
        JsonNode product = before.path("compute").path("product");
        if (product.isTextual()) {
            validation.requireUnchanged(product.asText(), after.path("compute").path("product").asText(null),
                    "compute.product");
        }
    }

    /**
     * OAS {@code elastigroup-delete} (contract §3.1 Delete, §7.4): each option object of booleans; another type is
     * a ValidationError ({@code body:statefulDeallocation.shouldDeleteVolumes}).
     */
    @Override
    public void validateDelete(ObjectNode body) {
        deleteFields.check(body);
    }

    /** {@code {"instances": [{...}, ...]}}. */
    @Override
    public void checkState(ObjectNode state) {
        JsonNode instances = state.path("instances");
        if (!instances.isArray()) {
            throw new IllegalArgumentException("\"instances\" must be an array");
        }
        if (instances.size() > Limits.MAX_GROUP_CAPACITY) {
            throw new IllegalArgumentException("\"instances\" may hold at most " + Limits.MAX_GROUP_CAPACITY
                    + " instances (the capacity cap), not " + instances.size());
        }
        instances.forEach(i -> {
            if (!i.isObject() || !i.path("instanceId").isTextual()) {
                throw new IllegalArgumentException("each instance must be an object with an \"instanceId\"");
            }
        });
    }

    @Override
    public ObjectNode initialState(ObjectNode group, long now) {
        ObjectNode created = SimJson.object();
        GroupActivity.log(created, now, "INFO", "Group " + group.path("id").asText() + " successfully created.");
        return GroupFleet.reconcile(group, created, now).state();
    }

    @Override
    public ObjectNode stateAfterUpdate(ObjectNode group, ObjectNode state, long now) {
        ObjectNode logged = state.deepCopy();
        GroupActivity.log(logged, now, "INFO", "Group " + group.path("id").asText() + " updated.");
        return GroupFleet.reconcile(group, logged, now).state();
    }

    @Override
    public JsonNode listItem(StoredResource resource) {
        return resource.object();
    }
}
