package dev.spotapi.spot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fields of one kind of Spot object that spot-api lets reach Spot in a create or update body
 * (the service's own table; the simulator keeps its own). A field outside it, at any depth, makes the
 * body invalid: spot-api never passes on, nor decides anything from, a field Spot does not define
 * (issue 20; the Go service decoded bodies into typed structs and dropped such fields).
 *
 * <p>The table ({@code group-schema.json}, {@code managedInstance-schema.json} beside this class) is
 * the union of the request schemas of Spot's OpenAPI description ({@code POST/PUT /aws/ec2/group},
 * {@code POST/PUT /aws/ec2/managedInstance}) and the official SDKs' types (Go SDK
 * {@code service/elastigroup/providers/aws} {@code Group}, {@code service/managedinstance/providers/aws}
 * {@code ManagedInstance}; Python SDK {@code spotinst_sdk2.models.elastigroup.aws.Elastigroup},
 * {@code spotinst_sdk2.models.managed_instance.aws.ManagedInstance}), the wider source winning; made by
 * {@code tools/spot-schema/gen.py}. An object node lists its keys ({@code "$array": true} on it: an
 * array of such objects is accepted too, where the sources disagree on the shape); a one-element array
 * gives the element type; a leaf is {@code string}, {@code integer}, {@code number}, {@code boolean},
 * {@code any} (free-form: anything inside), {@code null} (a field Spot no longer has: accepted only as
 * {@code null}, which is never sent) or alternatives ({@code integer|string}).
 *
 * <p>Besides names, numbers are checked, anywhere in the body: every number must be a finite double
 * that does not underflow to zero ({@code 1e999999}, {@code -1e400}, {@code 1e-400} are refused), and
 * a number in an {@code integer} field must be a whole number within ±(2<sup>53</sup>−1), the exact
 * integers of Spot's JSON numbers. Other type mismatches are Spot's to refuse, with its own message.
 */
public final class SpotSchema {
    /** Elastigroups: the {@code group} object. */
    public static final SpotSchema GROUP = load("group");
    /** Managed instances: the {@code managedInstance} object. */
    public static final SpotSchema MANAGED_INSTANCE = load("managedInstance");

    /** The reason of a {@link Problem} that is a field Spot does not define. */
    public static final String UNKNOWN = "is not a field of Spot's object";

    private static final String TOO_LARGE = "is a number too large for Spot (beyond ±1.8e308)";
    private static final String TOO_SMALL = "is a number too small for Spot to tell from 0 (below 4.9e-324)";
    private static final String ARRAY_TOO = "$array";
    private static final BigDecimal MAX_SAFE_INTEGER = BigDecimal.valueOf((1L << 53) - 1);

    /** One reason a body is invalid: the field's path (dots; array elements by index) and what is wrong. */
    public record Problem(String path, String reason) {
        @Override
        public String toString() {
            return path + " " + reason;
        }
    }

    private final String kind;
    private final JsonNode table;

    private SpotSchema(String kind, JsonNode table) {
        this.kind = kind;
        this.table = table;
    }

    private static SpotSchema load(String kind) {
        String name = kind + "-schema.json";
        try (InputStream in = SpotSchema.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new SpotSchema(kind, new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Fields an update may not set to {@code null} (unset): what the object cannot exist without, from the
     * {@code required} lists of Spot's OpenAPI request schemas ({@code elastigroupCreate}: {@code name},
     * {@code capacity} and its {@code minimum}/{@code maximum}/{@code target}, {@code region}, {@code strategy},
     * {@code strategy.availabilityVsCost}, {@code compute}, {@code compute.launchSpecification}; {@code mi}:
     * {@code name}, {@code region}, {@code compute.subnetIds}, {@code compute.vpcId}) and {@code compute.product},
     * which may not change (contract §9.3; Terraform refuses the update for both kinds). The managed
     * instance's {@code compute} and {@code compute.launchSpecification} hold those or the instance types.
     */
    private static final Map<String, Set<String>> NOT_NULLABLE = Map.of(
            "group", Set.of("name", "region", "capacity", "capacity.minimum", "capacity.maximum",
                    "capacity.target", "strategy", "strategy.availabilityVsCost", "compute", "compute.product",
                    "compute.launchSpecification"),
            "managedInstance", Set.of("name", "region", "compute", "compute.subnetIds", "compute.vpcId",
                    "compute.product", "compute.launchSpecification"));

    /**
     * The problems of the {@code null}s of an update {@code body} (issue 24): Spot's own clients unset a field
     * by sending it as {@code null} (the Go SDK's {@code nullFields}), so a null for a field of this table
     * passes through, except for a field the object cannot lose ({@link #NOT_NULLABLE}) and an array element
     * ({@code ["a", null]}: Spot replaces arrays whole, a null element means nothing). Unknown fields are
     * {@link #problems}' to name. Empty when every null may go to Spot.
     */
    public List<Problem> nullProblems(ObjectNode body) {
        List<Problem> out = new ArrayList<>();
        nulls(body, table, "", "", out);
        return out;
    }

    private void nulls(JsonNode value, JsonNode spec, String path, String field, List<Problem> out) {
        if (value.isObject() && spec.isObject()) {
            for (Map.Entry<String, JsonNode> f : value.properties()) {
                JsonNode fieldSpec = ARRAY_TOO.equals(f.getKey()) ? null : spec.get(f.getKey());
                if (fieldSpec == null) {
                    continue; // unknown: problems() names it
                }
                String at = path.isEmpty() ? f.getKey() : path + "." + f.getKey();
                String name = field.isEmpty() ? f.getKey() : field + "." + f.getKey();
                if (f.getValue().isNull()) {
                    if (NOT_NULLABLE.getOrDefault(kind, Set.of()).contains(name)) {
                        out.add(new Problem(at, "cannot be null: Spot's " + kind + " cannot be without it"));
                    }
                } else if (!(f.getValue().isArray() || fieldSpec.isArray())) {
                    nulls(f.getValue(), fieldSpec, at, name, out);
                } else if (f.getValue().isArray()) {
                    for (int i = 0; i < f.getValue().size(); i++) {
                        if (f.getValue().get(i).isNull()) {
                            out.add(new Problem(at + "." + i, "cannot be null: an array element is a value, "
                                    + "not a field to unset (Spot replaces arrays whole)"));
                        }
                    }
                }
            }
        }
    }

    /**
     * A copy of an update body as it goes to Spot: nulls of fields of this table are kept (they unset the
     * field), nulls of a retired field (type {@code null}) and nulls inside array elements (the array is
     * replaced whole: a null there is "not set") are left out.
     */
    public ObjectNode keepingNulls(ObjectNode body) {
        ObjectNode copy = body.deepCopy();
        keepNulls(copy, table);
        return copy;
    }

    private static void keepNulls(JsonNode value, JsonNode spec) {
        if (!(value instanceof ObjectNode obj) || !spec.isObject()) {
            if (value.isArray()) {
                SpotPayloads.dropNulls(value);
            }
            return;
        }
        Iterator<Map.Entry<String, JsonNode>> it = obj.properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode fieldSpec = ARRAY_TOO.equals(f.getKey()) ? null : spec.get(f.getKey());
            if (f.getValue().isNull()) {
                if (fieldSpec == null || (fieldSpec.isTextual() && fieldSpec.asText().equals("null"))) {
                    it.remove();
                }
            } else if (fieldSpec == null || fieldSpec.isArray() || f.getValue().isArray()
                    || (fieldSpec.isTextual() && !fieldSpec.asText().equals("null"))) {
                SpotPayloads.dropNulls(f.getValue()); // leaves, free-form values and arrays: as on create
            } else {
                keepNulls(f.getValue(), fieldSpec);
            }
        }
    }

    /** The table of the Spot object {@code wrapper} names ({@code group}, {@code managedInstance}); null for others. */
    public static SpotSchema forKind(String wrapper) {
        return switch (wrapper) {
            case "group" -> GROUP;
            case "managedInstance" -> MANAGED_INSTANCE;
            default -> null;
        };
    }

    /** The Spot name of the object this table describes ({@code group}, {@code managedInstance}). */
    public String kind() {
        return kind;
    }

    /** The table itself (read-only use: the tests compare it with the simulator's). */
    public JsonNode table() {
        return table;
    }

    /**
     * Every problem of {@code body}: unknown fields (each named once, its contents not inspected), and
     * numbers Spot cannot hold exactly. Empty when the body may go to Spot.
     */
    public List<Problem> problems(ObjectNode body) {
        List<Problem> out = new ArrayList<>();
        check(body, table, "", out);
        return out;
    }

    private static void check(JsonNode value, JsonNode spec, String path, List<Problem> out) {
        if (value.isNull()) {
            return;
        }
        if (spec.isObject()) {
            if (value.isObject()) {
                for (Map.Entry<String, JsonNode> field : value.properties()) {
                    String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                    JsonNode fieldSpec = ARRAY_TOO.equals(field.getKey()) ? null : spec.get(field.getKey());
                    if (fieldSpec == null) {
                        out.add(new Problem(at, UNKNOWN));
                        numbers(field.getValue(), at, out); // its numbers are never looked at either way
                        continue;
                    }
                    check(field.getValue(), fieldSpec, at, out);
                }
                return;
            }
            if (value.isArray() && spec.path(ARRAY_TOO).asBoolean(false)) {
                for (int i = 0; i < value.size(); i++) {
                    check(value.get(i), spec, path + "." + i, out);
                }
                return;
            }
            numbers(value, path, out); // a type mismatch: Spot's to refuse
            return;
        }
        if (spec.isArray()) {
            if (value.isArray()) {
                for (int i = 0; i < value.size(); i++) {
                    check(value.get(i), spec.get(0), path + "." + i, out);
                }
                return;
            }
            numbers(value, path, out);
            return;
        }
        leaf(value, spec.asText(), path, out);
    }

    private static void leaf(JsonNode value, String type, String path, List<Problem> out) {
        if (type.equals("null")) {
            out.add(new Problem(path, "is a field Spot no longer has: only null (left out) is accepted"));
            return;
        }
        if (value.isNumber()) {
            boolean integer = false;
            for (String alternative : type.split("\\|")) {
                if (alternative.equals("integer")) {
                    integer = true;
                } else if (alternative.equals("number") || alternative.equals("any")) {
                    integer = false;
                    break;
                }
            }
            number(value, path, integer, out);
            return;
        }
        numbers(value, path, out);
    }

    /** Checks every number inside {@code value} (no field names known here). */
    private static void numbers(JsonNode value, String path, List<Problem> out) {
        if (value.isNumber()) {
            number(value, path, false, out);
        } else if (value.isObject()) {
            for (Map.Entry<String, JsonNode> field : value.properties()) {
                numbers(field.getValue(), path.isEmpty() ? field.getKey() : path + "." + field.getKey(), out);
            }
        } else if (value.isArray()) {
            for (int i = 0; i < value.size(); i++) {
                numbers(value.get(i), path + "." + i, out);
            }
        }
    }

    private static void number(JsonNode value, String path, boolean integer, List<Problem> out) {
        BigDecimal exact;
        try {
            exact = value.decimalValue();
        } catch (NumberFormatException e) { // an exponent beyond what BigDecimal holds (1e9999999999)
            String text = value.asText();
            out.add(new Problem(path, text.contains("e-") || text.contains("E-") ? TOO_SMALL : TOO_LARGE));
            return;
        }
        double asDouble = exact.doubleValue();
        if (Double.isInfinite(asDouble)) {
            out.add(new Problem(path, TOO_LARGE));
            return;
        }
        if (asDouble == 0 && exact.signum() != 0) {
            out.add(new Problem(path, TOO_SMALL));
            return;
        }
        if (integer) {
            if (exact.stripTrailingZeros().scale() > 0) {
                out.add(new Problem(path, "must be a whole number"));
            } else if (exact.abs().compareTo(MAX_SAFE_INTEGER) > 0) {
                out.add(new Problem(path, "is a whole number beyond ±9007199254740991, the largest Spot keeps exactly"));
            }
        }
    }
}
