package dev.spotapi.tags;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Create bodies tag the disks and network interfaces too: {@code compute.launchSpecification.resourceTagSpecification}
 * {@code volumes.shouldTag} and {@code enis.shouldTag} are set to true unless the caller gave a value (Spot's
 * default is false, OAS {@code resourceTagSpecification}), so that a space's cost filtered on
 * {@code spinup:spaceid} includes the disks of Spot resources.
 */
public final class ResourceTagging {
    private ResourceTagging() {
    }

    /**
     * A copy of a group or managed-instance create body with the defaults filled in; a body whose
     * {@code compute}, {@code launchSpecification} or {@code resourceTagSpecification} is not an object
     * (Spot's to refuse) is answered unchanged.
     */
    public static ObjectNode withDefaults(ObjectNode body) {
        ObjectNode copy = body.deepCopy();
        ObjectNode compute = object(copy, "compute");
        ObjectNode spec = compute == null ? null : object(compute, "launchSpecification");
        ObjectNode resources = spec == null ? null : object(spec, "resourceTagSpecification");
        if (resources == null) {
            return body;
        }
        for (String kind : new String[] {"volumes", "enis"}) {
            ObjectNode one = object(resources, kind);
            if (one == null) {
                continue;
            }
            JsonNode should = one.get("shouldTag");
            if (should == null || should.isNull()) {
                one.put("shouldTag", true);
            }
        }
        return copy;
    }

    private static ObjectNode object(ObjectNode parent, String field) {
        JsonNode child = parent.get(field);
        if (child instanceof ObjectNode o) {
            return o;
        }
        return child == null || child.isNull() ? parent.putObject(field) : null;
    }
}
