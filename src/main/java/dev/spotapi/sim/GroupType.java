package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** AWS elastigroups: {@code /aws/ec2/group}, wrapper {@code group}, ids {@code sig-xxxxxxxx}. */
final class GroupType implements ResourceType {
    static final GroupType INSTANCE = new GroupType();
    static final String KIND = "spotinst:aws:ec2:group";

    private final Validation validation = new Validation("group");

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
        validation.requireString(group, "name");
        validation.requireString(group, "region");
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
        validation.optionalOneOf(capacity, "capacity.unit", "instance", "weight");
        validation.requireObject(group, "compute");
    }

    @Override
    public ObjectNode initialState(ObjectNode group, long now) {
        return GroupFleet.reconcile(group, SimJson.object(), now).state();
    }

    @Override
    public ObjectNode stateAfterUpdate(ObjectNode group, ObjectNode state, long now) {
        return GroupFleet.reconcile(group, state, now).state();
    }

    @Override
    public JsonNode listItem(StoredResource resource) {
        return resource.object();
    }
}
