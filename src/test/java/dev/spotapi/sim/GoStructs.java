package dev.spotapi.sim;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The Go SDK's reply structs as a type table ({@code go-sdk-structs.json}), and a checker that
 * reports every place where a JSON value would not decode into them (Go's {@code encoding/json}
 * fails the whole call on one mismatch) or a needed field is missing.
 */
public final class GoStructs {
    /** RFC 3339 as Go's {@code time.Time} parses it. */
    private static final Pattern TIME = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)");
    private static final JsonNode TABLE;

    static {
        try (InputStream in = GoStructs.class.getResourceAsStream("go-sdk-structs.json")) {
            TABLE = SimClient.JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private GoStructs() {
    }

    /** The problems of {@code value} as the struct {@code name}; empty when it decodes. */
    public static List<String> problems(String name, JsonNode value) {
        List<String> out = new ArrayList<>();
        check(value, struct(name), name, out);
        return out;
    }

    private static JsonNode struct(String name) {
        JsonNode s = TABLE.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no Go struct " + name);
        }
        return s;
    }

    private static void check(JsonNode value, JsonNode spec, String path, List<String> out) {
        if (value == null || value.isNull()) {
            return;
        }
        if (spec.isTextual() && TABLE.has(spec.asText())) {
            check(value, TABLE.get(spec.asText()), path, out);
        } else if (spec.isObject()) {
            if (!value.isObject()) {
                out.add(path + " must be an object: " + value);
                return;
            }
            for (Map.Entry<String, JsonNode> field : spec.properties()) {
                boolean needed = field.getKey().startsWith("!");
                String key = needed ? field.getKey().substring(1) : field.getKey();
                JsonNode v = value.get(key);
                if (v == null || v.isNull()) {
                    if (needed) {
                        out.add(path + "." + key + " is missing");
                    }
                } else {
                    check(v, field.getValue(), path + "." + key, out);
                }
            }
        } else if (spec.isArray()) {
            if (!value.isArray()) {
                out.add(path + " must be an array: " + value);
                return;
            }
            for (int i = 0; i < value.size(); i++) {
                check(value.get(i), spec.get(0), path + "[" + i + "]", out);
            }
        } else {
            boolean ok = switch (spec.asText()) {
                case "string" -> value.isTextual();
                case "int" -> value.isIntegralNumber();
                case "float" -> value.isNumber();
                case "bool" -> value.isBoolean();
                case "time" -> value.isTextual() && TIME.matcher(value.asText()).matches();
                case "object" -> value.isObject();
                case "any" -> true;
                default -> throw new IllegalStateException("unknown Go type " + spec);
            };
            if (!ok) {
                out.add(path + " must be " + spec.asText() + ": " + value);
            }
        }
    }
}
