package dev.spotapi.sim.http;

import dev.spotapi.sim.DeepMerge;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.state.ResourceType;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.state.StoredResource;
import dev.spotapi.sim.Timestamps;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.List;

/** List, create, read, update and delete for one {@link ResourceType}; the same for groups and MIs. */
public final class ResourceRoutes {
    private final ResourceType type;
    private final ResourceStore store;
    private final SimClock clock;
    private final Envelope envelope;

    public ResourceRoutes(ResourceType type, ResourceStore store, SimClock clock, Envelope envelope) {
        this.type = type;
        this.store = store;
        this.clock = clock;
        this.envelope = envelope;
    }

    public void register(RoutesConfig routes) {
        String base = type.basePath();
        routes.get(base, this::list);
        routes.post(base, this::create);
        routes.get(base + "/{id}", this::read);
        routes.put(base + "/{id}", this::update);
        routes.delete(base + "/{id}", this::delete);
    }

    private void list(Context ctx) {
        List<JsonNode> items = store.list(type, SpotApiFilter.account(ctx)).stream().map(type::listItem).toList();
        envelope.items(ctx, type.kind(), items);
    }

    private void create(Context ctx) {
        ObjectNode patch = Bodies.wrappedObject(ctx, type.wrapper());
        ObjectNode content = SimJson.object();
        DeepMerge.merge(content, patch);
        type.validate(content);
        Limits.checkObject(type.wrapper(), content);
        long now = clock.now();
        String timestamp = Timestamps.seconds(now);
        StoredResource created = store.create(type, SpotApiFilter.account(ctx), id -> {
            ObjectNode object = SimJson.object();
            object.put("id", id);
            object.setAll(content);
            object.put("createdAt", timestamp);
            object.put("updatedAt", timestamp);
            return new StoredResource(id, object, type.initialState(object, now));
        });
        envelope.item(ctx, type.kind(), created.object());
    }

    private void read(Context ctx) {
        StoredResource r = store.get(type, SpotApiFilter.account(ctx), ctx.pathParam("id"));
        envelope.item(ctx, type.kind(), r.object());
    }

    private void update(Context ctx) {
        ObjectNode patch = Bodies.wrappedObject(ctx, type.wrapper());
        StoredResource updated = store.update(type, SpotApiFilter.account(ctx), ctx.pathParam("id"), current -> {
            ObjectNode object = current.object().deepCopy();
            DeepMerge.merge(object, patch);
            type.validate(object);
            type.validateUpdate(current.object(), object);
            Limits.checkObject(type.wrapper(), object);
            long now = clock.now();
            object.put("updatedAt", Timestamps.seconds(now));
            return new StoredResource(current.id(), object, type.stateAfterUpdate(object, current.state(), now));
        });
        envelope.item(ctx, type.kind(), updated.object());
    }

    private void delete(Context ctx) {
        ObjectNode body = Bodies.emptyOrObject(ctx);
        type.validateDelete(body); // the OAS delete schema (mi-delete, elastigroup-delete): nothing deleted on a refusal
        String account = SpotApiFilter.account(ctx);
        store.delete(type, account, ctx.pathParam("id"));
        type.afterDelete(store, account, ctx.pathParam("id"), body, clock.now());
        envelope.ok(ctx);
    }
}
