package dev.spotapi.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one Jackson set-up of the service (never the simulator's): JSON trees keep every number exactly
 * as it came, in precision and notation ({@code "actual":0.0002} stays {@code 0.0002}, never
 * {@code 2.0E-4}), in every body read from callers or Spot and written to either. Contract §9.7.
 */
public final class ExactJson {
    private ExactJson() {
    }

    /** A mapper builder with exact numbers, to add further settings to. */
    public static JsonMapper.Builder builder() {
        return builder(JsonFactory.builder().build());
    }

    /** The same, over a factory with its own read constraints. */
    public static JsonMapper.Builder builder(JsonFactory factory) {
        SimpleModule module = new SimpleModule("exact-numbers");
        module.addDeserializer(JsonNode.class, new ExactTreeDeserializer<>(JsonNode.class));
        module.addDeserializer(ObjectNode.class, new ExactTreeDeserializer<>(ObjectNode.class));
        module.addDeserializer(ArrayNode.class, new ExactTreeDeserializer<>(ArrayNode.class));
        return JsonMapper.builder(factory).addModule(module);
    }

    /** A ready mapper with exact numbers. */
    public static JsonMapper mapper() {
        return builder().build();
    }
}
