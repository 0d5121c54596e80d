package dev.spotapi.sim.http;

import dev.spotapi.sim.state.GroupType;
import dev.spotapi.sim.state.ManagedInstanceType;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.state.ResourceType;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.http.AdminRoutes;
import dev.spotapi.sim.SimJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Admin view {@code GET /_sim/ec2-tags/{accountId}/{id}} of the EC2 resources behind a group ({@code sig-})
 * or managed instance ({@code smi-}): each running EC2 instance, its root volume and its network interface,
 * with the tags AWS would show on them. Instances carry the object's {@code compute.launchSpecification.tags};
 * volumes and ENIs carry them only when {@code resourceTagSpecification.volumes.shouldTag} /
 * {@code enis.shouldTag} is true (Spot's default is false; OAS {@code resourceTagSpecification}). Tag changes
 * reach running resources at once (as Spot's {@code autoApplyTags=true}). Answer:
 * {@code {"resources": [{"type": "instance"|"volume"|"network-interface", "id", "instanceId", "tags": [...]}]}};
 * 404 for an unknown id.
 */
public final class Ec2TagView {
    private final ResourceStore store;

    public Ec2TagView(ResourceStore store) {
        this.store = store;
    }

    public void register(RoutesConfig routes) {
        routes.get(AdminRoutes.PREFIX + "/ec2-tags/{accountId}/{id}", this::view);
    }

    private void view(Context ctx) {
        String account = ctx.pathParam("accountId");
        String id = ctx.pathParam("id");
        ResourceType type = id.startsWith("sig-") ? GroupType.INSTANCE : ManagedInstanceType.INSTANCE;
        StoredResource r;
        try {
            r = store.get(type, account, id);
        } catch (RuntimeException e) {
            ctx.status(404).contentType("application/json").result("{\"error\":\"not found\"}");
            return;
        }
        JsonNode spec = r.object().path("compute").path("launchSpecification");
        JsonNode tags = spec.path("tags").isArray() ? spec.path("tags") : SimJson.NODES.arrayNode();
        boolean volumes = spec.path("resourceTagSpecification").path("volumes").path("shouldTag").asBoolean(false);
        boolean enis = spec.path("resourceTagSpecification").path("enis").path("shouldTag").asBoolean(false);
        ObjectNode out = SimJson.object();
        ArrayNode resources = out.putArray("resources");
        for (String instanceId : instanceIds(r)) {
            add(resources, "instance", instanceId, instanceId, tags);
            add(resources, "volume", derived("vol-", instanceId), instanceId, volumes ? tags : SimJson.NODES.arrayNode());
            add(resources, "network-interface", derived("eni-", instanceId), instanceId,
                    enis ? tags : SimJson.NODES.arrayNode());
        }
        ctx.contentType("application/json").result(out.toString());
    }

    private static java.util.List<String> instanceIds(StoredResource r) {
        java.util.List<String> ids = new java.util.ArrayList<>();
        if (r.id().startsWith("sig-")) {
            r.state().path("instances").forEach(i -> ids.add(i.path("instanceId").asText()));
        } else {
            String instanceId = r.state().path("instanceId").asText("");
            if (!instanceId.isEmpty()) {
                ids.add(instanceId);
            }
        }
        return ids;
    }

    private static void add(ArrayNode out, String type, String id, String instanceId, JsonNode tags) {
        out.addObject().put("type", type).put("id", id).put("instanceId", instanceId).set("tags", tags.deepCopy());
    }

    /** A stable id for the volume or ENI of an instance. */
    private static String derived(String prefix, String instanceId) {
        return prefix + UUID.nameUUIDFromBytes((prefix + instanceId).getBytes(StandardCharsets.UTF_8))
                .toString().replace("-", "").substring(0, 17);
    }
}
