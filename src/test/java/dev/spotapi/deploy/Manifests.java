package dev.spotapi.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Loads Kubernetes manifests strictly into the fabric8 model classes.
 *
 * <p>Strict means: a field the model does not know fails, and so does a scalar of the wrong type
 * (e.g. an unquoted {@code true} where Kubernetes wants a string). {@code FAIL_ON_UNKNOWN_PROPERTIES}
 * alone is not enough, because every fabric8 model class has a {@code @JsonAnySetter}
 * {@code additionalProperties} map that silently swallows unknown fields; so after deserialising, the
 * whole object graph is walked and any non-empty {@code additionalProperties} map is an error.
 */
final class Manifests {
    /** The manifest directory: deploy/k8s under the project base directory. */
    static final Path DIR = Path.of(System.getProperty("basedir", ".")).resolve("deploy").resolve("k8s");
    /** The shared base kustomization. */
    static final Path BASE = DIR.resolve("base");
    /** The overlays, each a kustomization of its own: deploy/k8s/overlays/NAME. */
    static final Path OVERLAYS = DIR.resolve("overlays");

    /** kind -> (apiVersion, model class). */
    static final Map<String, Kind> KINDS = Map.of(
            "Deployment", new Kind("apps/v1", Deployment.class),
            "Service", new Kind("v1", Service.class),
            "Secret", new Kind("v1", Secret.class),
            "PodDisruptionBudget", new Kind("policy/v1", PodDisruptionBudget.class),
            "HorizontalPodAutoscaler", new Kind("autoscaling/v2", HorizontalPodAutoscaler.class),
            "Ingress", new Kind("networking.k8s.io/v1", Ingress.class),
            "ServiceAccount", new Kind("v1", ServiceAccount.class),
            "NetworkPolicy", new Kind("networking.k8s.io/v1", NetworkPolicy.class),
            "StatefulSet", new Kind("apps/v1", io.fabric8.kubernetes.api.model.apps.StatefulSet.class),
            "ServiceMonitor", new Kind("monitoring.coreos.com/v1",
                    io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor.class));

    static final ObjectMapper YAML = strictMapper();

    private static ObjectMapper strictMapper() {
        YAMLMapper mapper = YAMLMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        // Kubernetes refuses a number or a boolean where it wants a string (the classic unquoted
        // `prometheus.io/scrape: true` annotation); Jackson would quietly turn it into "true".
        for (CoercionInputShape shape : List.of(CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.Boolean)) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(shape, CoercionAction.Fail);
        }
        return mapper;
    }

    record Kind(String apiVersion, Class<? extends HasMetadata> type) {
    }

    /** One parsed document: where it came from and its model object. */
    record Manifest(String source, HasMetadata object) {
    }

    private Manifests() {
    }

    static JsonNode kustomization(Path dir) {
        return readTree(dir.resolve("kustomization.yaml"));
    }

    /** The entries listed under {@code resources:} in DIR/kustomization.yaml. */
    static List<String> resources(Path dir) {
        JsonNode resources = kustomization(dir).path("resources");
        if (!resources.isArray() || resources.isEmpty()) {
            throw new AssertionError(dir + "/kustomization.yaml has no resources list");
        }
        List<String> names = new ArrayList<>();
        resources.forEach(r -> names.add(r.asText()));
        return names;
    }

    /** The overlay directories under deploy/k8s/overlays, by name. */
    static List<String> overlays() {
        try (var dirs = Files.list(OVERLAYS)) {
            return dirs.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + OVERLAYS, e);
        }
    }

    /** The objects the kustomization in {@code dir} renders ({@link Kustomize}), each strictly loaded. */
    static List<Manifest> render(Path dir) {
        List<Manifest> out = new ArrayList<>();
        int index = 0;
        for (JsonNode doc : Kustomize.render(dir)) {
            String where = DIR.relativize(dir) + "#" + index++ + " " + doc.path("kind").asText() + "/"
                    + doc.path("metadata").path("name").asText();
            out.add(new Manifest(where, strict(where, doc)));
        }
        return out;
    }

    /** Every non-empty YAML document of {@code yaml}, each strictly loaded into its model class. */
    static List<Manifest> load(String source, String yaml) {
        List<Manifest> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = YAML.readerFor(JsonNode.class).readValues(yaml)) {
            int index = 0;
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                String where = source + "#" + index++;
                if (doc == null || doc.isNull() || doc.isMissingNode()) {
                    continue; // an empty document (e.g. a trailing ---)
                }
                out.add(new Manifest(where, strict(where, doc)));
            }
        } catch (IOException e) {
            throw new AssertionError(source + ": not valid YAML: " + e.getMessage(), e);
        }
        return out;
    }

    /** One document, loaded into the model class of its kind, with unknown fields anywhere failing. */
    static HasMetadata strict(String where, JsonNode doc) {
        String kind = doc.path("kind").asText(null);
        Kind expected = KINDS.get(kind);
        if (expected == null) {
            throw new AssertionError(where + ": unexpected kind '" + kind + "' (known: " + KINDS.keySet() + ")");
        }
        String apiVersion = doc.path("apiVersion").asText(null);
        if (!expected.apiVersion().equals(apiVersion)) {
            throw new AssertionError(where + ": " + kind + " must be apiVersion " + expected.apiVersion()
                    + ", not " + apiVersion);
        }
        HasMetadata object;
        try {
            object = YAML.treeToValue(doc, expected.type());
        } catch (IOException e) {
            throw new AssertionError(where + ": does not load as " + expected.type().getName() + ": "
                    + e.getMessage(), e);
        }
        List<String> unknown = unknownFields(object);
        if (!unknown.isEmpty()) {
            throw new AssertionError(where + ": fields unknown to " + kind + " " + apiVersion + ": " + unknown);
        }
        return object;
    }

    /** Paths of every entry of every non-empty {@code additionalProperties} map in the object graph. */
    static List<String> unknownFields(Object root) {
        List<String> found = new ArrayList<>();
        walk(root, root.getClass().getSimpleName(), found, new IdentityHashMap<>());
        return found;
    }

    private static void walk(Object node, String path, List<String> found, IdentityHashMap<Object, Boolean> seen) {
        if (node == null || isLeaf(node.getClass()) || seen.put(node, Boolean.TRUE) != null) {
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((k, v) -> walk(v, path + "[" + k + "]", found, seen));
            return;
        }
        if (node instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", found, seen);
            }
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Class<?> c = node.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) {
                    continue;
                }
                Object value;
                try {
                    f.setAccessible(true);
                    value = f.get(node);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new AssertionError("cannot read " + c.getName() + "." + f.getName(), e);
                }
                if (f.getName().equals("additionalProperties") && value instanceof Map<?, ?> extra) {
                    extra.keySet().forEach(k -> found.add(path + "." + k));
                } else {
                    walk(value, path + "." + f.getName(), found, seen);
                }
            }
        }
    }

    private static final Set<Class<?>> LEAVES = Set.of(String.class, Boolean.class, Character.class);

    private static boolean isLeaf(Class<?> c) {
        return c.isPrimitive() || c.isEnum() || LEAVES.contains(c) || Number.class.isAssignableFrom(c);
    }

    static JsonNode readTree(Path file) {
        try {
            return YAML.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
