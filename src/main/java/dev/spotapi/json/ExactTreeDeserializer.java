package dev.spotapi.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * Reads a JSON tree like Jackson's own tree reader, except that numbers with a fraction or an exponent
 * become {@link ExactNumberNode}s holding their original text. Integers stay Jackson's int/long/big
 * integer nodes (their digits survive a round trip anyway). Nesting depth is bounded by the parser's
 * {@code StreamReadConstraints}.
 */
final class ExactTreeDeserializer<T extends JsonNode> extends StdDeserializer<T> {
    private static final long serialVersionUID = 1L;
    private final Class<T> type;

    ExactTreeDeserializer(Class<T> type) {
        super(type);
        this.type = type;
    }

    @Override
    public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.FIELD_NAME) {
            // called inside an object (a JsonNode-typed property): read the rest of it
            ObjectNode object = ctxt.getNodeFactory().objectNode();
            readFields(p, ctxt, object);
            return cast(object, ctxt);
        }
        return cast(value(p, ctxt, t), ctxt);
    }

    @Override
    public T getNullValue(DeserializationContext ctxt) {
        return type.isInstance(NullNode.getInstance()) ? type.cast(NullNode.getInstance()) : null;
    }

    private T cast(JsonNode node, DeserializationContext ctxt) throws IOException {
        if (!type.isInstance(node)) {
            return type.cast(ctxt.handleUnexpectedToken(type, ctxt.getParser()));
        }
        return type.cast(node);
    }

    private static JsonNode value(JsonParser p, DeserializationContext ctxt, JsonToken t) throws IOException {
        JsonNodeFactory nodes = ctxt.getNodeFactory();
        switch (t) {
            case START_OBJECT -> {
                ObjectNode object = nodes.objectNode();
                p.nextToken();
                readFields(p, ctxt, object);
                return object;
            }
            case START_ARRAY -> {
                ArrayNode array = nodes.arrayNode();
                for (JsonToken next = p.nextToken(); next != JsonToken.END_ARRAY; next = p.nextToken()) {
                    if (next == null) {
                        throw ctxt.instantiationException(JsonNode.class, "unexpected end of input in an array");
                    }
                    array.add(value(p, ctxt, next));
                }
                return array;
            }
            case VALUE_STRING -> {
                return nodes.textNode(p.getText());
            }
            case VALUE_NUMBER_INT -> {
                return switch (p.getNumberType()) {
                    case INT -> nodes.numberNode(p.getIntValue());
                    case LONG -> nodes.numberNode(p.getLongValue());
                    default -> nodes.numberNode(p.getBigIntegerValue());
                };
            }
            case VALUE_NUMBER_FLOAT -> {
                return new ExactNumberNode(p.getText());
            }
            case VALUE_TRUE -> {
                return nodes.booleanNode(true);
            }
            case VALUE_FALSE -> {
                return nodes.booleanNode(false);
            }
            case VALUE_NULL -> {
                return nodes.nullNode();
            }
            case VALUE_EMBEDDED_OBJECT -> {
                return nodes.pojoNode(p.getEmbeddedObject());
            }
            default -> {
                return (JsonNode) ctxt.handleUnexpectedToken(JsonNode.class, p);
            }
        }
    }

    /** Reads fields from the current FIELD_NAME (or END_OBJECT) up to the object's end; a repeated key keeps the last value. */
    private static void readFields(JsonParser p, DeserializationContext ctxt, ObjectNode object) throws IOException {
        for (JsonToken t = p.currentToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
            if (t != JsonToken.FIELD_NAME) {
                throw ctxt.instantiationException(JsonNode.class, "unexpected end of input in an object");
            }
            String name = p.currentName();
            object.set(name, value(p, ctxt, p.nextToken()));
        }
    }
}
