package dev.spotapi.stateful;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The body of {@code POST /{account}/imports}: which running EC2 instance becomes a managed
 * instance, and how. Fields (all but the first two optional):
 * {@code originalInstanceId} ({@code i-} + hex), {@code region}, {@code name}, {@code keepPrivateIp},
 * {@code terminateOriginal}, {@code keepMetadataOptions}, {@code product}, {@code instanceTypes} (strings),
 * {@code space} (the {@code spinup:spaceid} tag of the new instance). Unknown fields are refused, and so is a
 * {@code name} that starts with {@link dev.spotapi.instance.InstanceService#IMPORT_NAME_PREFIX} (the name spot-api gives an import while it is in flight).
 * Built into Spot's {@code miImportInstance} (OAS {@code POST /aws/ec2/managedInstance/migration}).
 */
public record ImportRequest(String originalInstanceId, String region, String name, boolean keepPrivateIp,
        boolean terminateOriginal, boolean keepMetadataOptions, String product, List<String> instanceTypes,
        String space) {
    private static final Set<String> FIELDS = Set.of("originalInstanceId", "region", "name", "keepPrivateIp",
            "terminateOriginal", "keepMetadataOptions", "product", "instanceTypes", "space");
    /** AWS's two forms ({@link dev.spotapi.spot.SpotIds#isEc2InstanceId}). */
    private static final Pattern EC2_ID = Pattern.compile("i-([0-9a-f]{8}|[0-9a-f]{17})");
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-[0-9]{1,2}");
    private static final Pattern WORD = Pattern.compile("[\\x21-\\x7e][\\x20-\\x7e]{0,127}");

    /**
     * Reads and checks the body.
     *
     * @throws IllegalArgumentException with a message for the caller (a 400)
     */
    public static ImportRequest parse(ObjectNode body) {
        body.fieldNames().forEachRemaining(f -> {
            if (!FIELDS.contains(f)) {
                throw new IllegalArgumentException("unknown field '" + clip(f) + "'; the fields are " + FIELDS.stream()
                        .sorted().toList());
            }
        });
        String original = string(body, "originalInstanceId", EC2_ID, true);
        String region = string(body, "region", REGION, true);
        boolean keepIp = bool(body, "keepPrivateIp");
        boolean terminate = bool(body, "terminateOriginal");
        if (keepIp && !terminate) {
            throw new IllegalArgumentException("keepPrivateIp needs terminateOriginal: the private IP moves to the "
                    + "managed instance only when the original instance is terminated");
        }
        List<String> types = new ArrayList<>();
        JsonNode t = body.get("instanceTypes");
        if (t != null && !t.isNull()) {
            if (!t.isArray() || t.size() > 40) {
                throw new IllegalArgumentException("instanceTypes must be an array of at most 40 instance types");
            }
            for (JsonNode type : t) {
                if (!type.isTextual() || !type.asText().matches("[a-z0-9-]+\\.[a-z0-9-]+")) {
                    throw new IllegalArgumentException("instanceTypes must hold instance types such as m5.large");
                }
                types.add(type.asText());
            }
        }
        String name = string(body, "name", WORD, false);
        dev.spotapi.instance.InstanceService.refuseImportName(body);
        return new ImportRequest(original, region, name, keepIp, terminate,
                bool(body, "keepMetadataOptions"), string(body, "product", WORD, false), List.copyOf(types),
                string(body, "space", WORD, false));
    }

    /**
     * The name the managed instance ends with once its import is answered: the caller's, else the EC2 instance's
     * id (its name in flight is the marker, {@link #toSpot}).
     */
    public String finalName() {
        return name != null ? name : originalInstanceId;
    }

    /**
     * Spot's body: {@code {"migration": {...}}} (OAS {@code miImportInstance}), named {@code marker} (a
     * {@link dev.spotapi.instance.InstanceService#IMPORT_NAME_PREFIX} name) until spot-api tags it.
     */
    public ObjectNode toSpot(String marker) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ObjectNode m = body.putObject("migration");
        m.put("originalInstanceId", originalInstanceId);
        m.put("region", region);
        m.put("shouldKeepPrivateIp", keepPrivateIp);
        m.put("shouldTerminateInstance", terminateOriginal);
        m.put("shouldKeepMetadataOptions", keepMetadataOptions);
        m.put("managedInstanceName", marker);
        if (product != null) {
            m.put("product", product);
        }
        if (!instanceTypes.isEmpty()) {
            instanceTypes.forEach(m.putArray("spotInstanceTypes")::add);
        }
        return body;
    }

    private static String string(ObjectNode body, String field, Pattern pattern, boolean required) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(field + " is required");
            }
            return null;
        }
        if (!v.isTextual() || !pattern.matcher(v.asText()).matches()) {
            throw new IllegalArgumentException(field + " must be " + (pattern == EC2_ID
                    ? "an EC2 instance id (i- and 8 or 17 hexadecimal digits)"
                    : pattern == REGION ? "an AWS region such as us-east-1"
                    : "1 to 128 printable ASCII characters, not starting with a space"));
        }
        return v.asText();
    }

    private static boolean bool(ObjectNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            return false;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false");
        }
        return v.asBoolean();
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
