package dev.spotapi.sim.state;

import dev.spotapi.sim.http.StatefulRoutes;
import dev.spotapi.sim.SimJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A stored kind of {@link StatefulRoutes} that Spot shows only through other calls (no CRUD routes): its
 * object is kept as given, its state is opaque. Persisted by {@link ResourceStore} and exported in
 * {@code /_sim/state} like groups and managed instances.
 */
abstract class StatefulTypes implements ResourceType {
    private final String wrapper;
    private final String prefix;
    private final String code;
    private final String noun;

    StatefulTypes(String wrapper, String prefix, String code, String noun) {
        this.wrapper = wrapper;
        this.prefix = prefix;
        this.code = code;
        this.noun = noun;
    }

    @Override
    public String basePath() {
        return "/_sim/" + wrapper;
    }

    @Override
    public String wrapper() {
        return wrapper;
    }

    @Override
    public String idPrefix() {
        return prefix;
    }

    @Override
    public String kind() {
        return "spotinst:aws:ec2:" + wrapper;
    }

    @Override
    public String notFoundCode() {
        return code;
    }

    @Override
    public String notFoundMessage(String id) {
        return noun + ": '" + id + "' does not exist";
    }

    @Override
    public void validate(ObjectNode object) {
    }

    @Override
    public void checkState(ObjectNode state) {
    }

    @Override
    public ObjectNode initialState(ObjectNode object, long now) {
        return SimJson.object();
    }

    @Override
    public ObjectNode stateAfterUpdate(ObjectNode object, ObjectNode state, long now) {
        return state;
    }

    @Override
    public JsonNode listItem(StoredResource resource) {
        return resource.object();
    }
}
