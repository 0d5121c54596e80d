package dev.spotapi.sim.state;

import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The types of every known field of a Spot request body, checked the way Spot does: a known field
 * with the wrong type, or a value outside a well-evidenced enum, is a 400 {@code ValidationError}
 * whose {@code field} is {@code body:<wrapper>.<path>} (array elements by index, e.g.
 * {@code body:group.compute.availabilityZones.0.name}) and whose message is Joi-style
 * ({@code "ondemand" must be a string}; contract §2.2). Unknown fields are accepted.
 *
 * <p>The table is a JSON resource ({@code group-fields.json}, {@code managedInstance-fields.json})
 * mirroring the body: an object lists known keys, a one-element array gives the element type, and
 * a leaf is {@code "string"}, {@code "integer"}, {@code "number"}, {@code "boolean"},
 * {@code "object"} (any object), {@code "any"}, alternatives such as {@code "integer|string"}, or an
 * enum {@code "string:a|b"}. Field names and types come from the request schemas of Spot's OpenAPI
 * description ({@code elastigroupCreate}, {@code mi}), corrected where working clients prove it wrong
 * (docs/simulator.md lists the corrections).
 */
public final class FieldTable {
    private final String wrapper;
    private final JsonNode table;

    private FieldTable(String wrapper, JsonNode table) {
        this.wrapper = wrapper;
        this.table = table;
    }

    /** Loads {@code <wrapper>-fields.json} from the resource folder {@code dev/spotapi/sim/}. */
    public static FieldTable load(String wrapper) {
        return load(wrapper, wrapper);
    }

    /**
     * Loads {@code <resource>-fields.json} for a body whose fields are reported under {@code wrapper}
     * ({@code body:<wrapper>.<path>}); an empty wrapper is a body without one ({@code body:<path>}, e.g. a
     * delete's {@code body:deallocationConfig.shouldDeleteVolumes}).
     */
    public static FieldTable load(String resource, String wrapper) {
        String name = "/dev/spotapi/sim/" + resource + "-fields.json";
        try (InputStream in = FieldTable.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new FieldTable(wrapper, SimJson.MAPPER.readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Checks every known field of {@code object} (nulls are "not set" and pass); throws the first error.
     * A whole number written with a fraction ({@code 2.0}) in an integer field is accepted, as Joi does, and
     * rewritten in {@code object} as the integer {@code 2}, which Spot returns and the Go SDK's {@code int}
     * decodes (issue 24). A number in an {@code integer|string} field (the scaling actions' numbers) is
     * stored as its string: the Go SDK types them {@code *string}, and Terraform, which reads groups through it
     * and types them as strings, could not read back a group whose actions Spot returned as numbers.
     */
    public void check(ObjectNode object) {
        checkObject(object, table, new ArrayList<>());
    }

    /** The same table with its fields reported under {@code other} (e.g. {@code migrations[1]}, an array entry). */
    public FieldTable under(String other) {
        return new FieldTable(other, table);
    }

    /**
     * The paths (as in {@link #check}'s fields, without the wrapper) of non-null leaves of
     * {@code object} that the table does not know; a conformance check for what clients send.
     */
    public List<String> unknownFields(ObjectNode object) {
        List<String> out = new ArrayList<>();
        collectUnknown(object, table, "", out);
        return out;
    }

    private static void collectUnknown(JsonNode value, JsonNode spec, String path, List<String> out) {
        if (value == null || value.isNull() || (spec.isTextual() && !spec.asText().equals("object"))) {
            return;
        }
        if (value.isObject()) {
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                JsonNode fieldSpec = spec.isObject() ? spec.get(field.getKey()) : null;
                String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (fieldSpec == null) {
                    if (!field.getValue().isNull()) {
                        out.add(at);
                    }
                } else {
                    collectUnknown(field.getValue(), fieldSpec, at, out);
                }
            }
        } else if (value.isArray() && spec.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                collectUnknown(value.get(i), spec.get(0), path + "." + i, out);
            }
        }
    }

    private void checkObject(JsonNode value, JsonNode spec, List<String> path) {
        for (Map.Entry<String, JsonNode> field : value.properties()) {
            JsonNode fieldSpec = spec.get(field.getKey());
            if (fieldSpec != null) {
                path.add(field.getKey());
                JsonNode checked = checkValue(field.getValue(), fieldSpec, path);
                if (checked != field.getValue()) {
                    field.setValue(checked); // same key: not a structural change of the map being walked
                }
                path.remove(path.size() - 1);
            }
        }
    }

    /** Checks {@code value}; answers it, or its integer form when an integer field holds {@code 2.0}. */
    private JsonNode checkValue(JsonNode value, JsonNode spec, List<String> path) {
        if (value == null || value.isNull()) {
            return value;
        }
        if (spec.isObject()) {
            if (!value.isObject()) {
                throw fail(path, "must be an object");
            }
            checkObject(value, spec, path);
        } else if (spec.isArray()) {
            if (!value.isArray()) {
                throw fail(path, "must be an array");
            }
            ArrayNode array = (ArrayNode) value;
            for (int i = 0; i < array.size(); i++) {
                path.add(Integer.toString(i));
                JsonNode checked = checkValue(array.get(i), spec.get(0), path);
                if (checked != array.get(i)) {
                    array.set(i, checked);
                }
                path.remove(path.size() - 1);
            }
        } else {
            return checkLeaf(value, spec.asText(), path);
        }
        return value;
    }

    private JsonNode checkLeaf(JsonNode value, String type, List<String> path) {
        int colon = type.indexOf(':');
        if (colon > 0) {
            checkLeaf(value, type.substring(0, colon), path);
            List<String> allowed = Arrays.asList(type.substring(colon + 1).split("\\|"));
            if (!allowed.contains(value.asText())) {
                throw fail(path, "must be one of [" + String.join(", ", allowed) + "]");
            }
            return value;
        }
        if (type.indexOf('|') > 0) {
            for (String alternative : type.split("\\|")) {
                if (problem(value, alternative) == null) {
                    // "integer|string" (scaling actions): stored as the string the Go SDK's *string decodes
                    return "integer".equals(alternative) && type.equals("integer|string")
                            ? TextNode.valueOf(whole(value).asText())
                            : "integer".equals(alternative) ? whole(value) : value;
                }
            }
            throw fail(path, "does not match any of the allowed types");
        }
        String problem = problem(value, type);
        if (problem != null) {
            throw fail(path, problem);
        }
        return "integer".equals(type) ? whole(value) : value;
    }

    /** An integer-valued number as an integer node ({@code 2.0} → {@code 2}); other values unchanged. */
    public static JsonNode whole(JsonNode value) {
        if (!value.isNumber() || value.isIntegralNumber()) {
            return value;
        }
        java.math.BigInteger n = value.decimalValue().toBigIntegerExact();
        return n.bitLength() < 64 ? LongNode.valueOf(n.longValue()) : BigIntegerNode.valueOf(n);
    }

    /** Null when {@code value} has {@code type}, else Joi's complaint. */
    private static String problem(JsonNode value, String type) {
        if (value.isNumber() && value.isFloatingPointNumber() && !value.isBigDecimal()
                && !Double.isFinite(value.doubleValue())) {
            return "cannot be infinity"; // e.g. 1e309: Joi's message; it has no decimal value to check further
        }
        return switch (type) {
            case "string" -> value.isTextual() ? null : "must be a string";
            case "number" -> value.isNumber() ? null : "must be a number";
            case "integer" -> !value.isNumber() ? "must be a number"
                    : value.isIntegralNumber() || value.decimalValue().stripTrailingZeros().scale() <= 0 ? null
                    : "must be an integer";
            case "boolean" -> value.isBoolean() ? null : "must be a boolean";
            case "object" -> value.isObject() ? null : "must be an object";
            case "any" -> null;
            default -> throw new IllegalStateException("unknown type in field table: " + type);
        };
    }

    private SpotException fail(List<String> path, String problem) {
        return SpotException.validation("body:" + (wrapper.isEmpty() ? "" : wrapper + ".") + String.join(".", path),
                "\"" + path.get(path.size() - 1) + "\" " + problem);
    }
}
