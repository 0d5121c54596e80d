package dev.spotapi.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization directory to its list of objects, as {@code kubectl kustomize DIR} does.
 *
 * <p>With {@code kubectl} on the PATH it runs exactly that. Without it (a fresh machine), it renders
 * the subset of kustomize the project's kustomizations use: {@code resources} (files and directories,
 * recursively), {@code patches} / {@code patchesStrategicMerge} as strategic-merge patches (maps merge,
 * lists of objects merge by their {@code name}, {@code mountPath} or {@code containerPort} key, new items
 * first, other
 * lists are replaced, {@code null} deletes), and {@code labels} (on metadata, plus selectors and pod
 * templates when asked), {@code images} (new name, tag or digest of the containers running an image) and
 * {@code components} (a Component's resources and transformers, applied to what its user has so far).
 * {@link #viaKubectl()} tells which one ran.
 */
final class Kustomize {
    private static final List<String> MERGE_KEYS = List.of("name", "mountPath", "containerPort");
    private static final Boolean KUBECTL = kubectlAvailable();

    private Kustomize() {
    }

    /** True when renders come from {@code kubectl kustomize}. */
    static boolean viaKubectl() {
        return KUBECTL;
    }

    /** The rendered objects of the kustomization in {@code dir}, as YAML/JSON trees. */
    static List<JsonNode> render(Path dir) {
        return KUBECTL ? kubectl(dir) : builtIn(dir);
    }

    /** The built-in subset's render, whether or not kubectl is there (to compare the two). */
    static List<JsonNode> builtIn(Path dir) {
        return fallback(dir);
    }

    private static boolean kubectlAvailable() {
        try {
            Process p = new ProcessBuilder("kubectl", "version", "--client").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static List<JsonNode> kubectl(Path dir) {
        try {
            Path err = Files.createTempFile("kustomize", ".err");
            try {
                Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString())
                        .redirectError(err.toFile()).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                    throw new AssertionError("kubectl kustomize " + dir + " failed: " + Files.readString(err));
                }
                return documents(dir.toString(), out);
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    static List<JsonNode> documents(String source, String yaml) {
        List<JsonNode> out = new ArrayList<>();
        try (MappingIterator<JsonNode> docs = Manifests.YAML.readerFor(JsonNode.class).readValues(yaml)) {
            while (docs.hasNextValue()) {
                JsonNode doc = docs.nextValue();
                if (doc != null && doc.isObject()) {
                    out.add(doc);
                }
            }
        } catch (IOException e) {
            throw new AssertionError(source + ": not valid YAML: " + e.getMessage(), e);
        }
        return out;
    }

    private static List<JsonNode> fallback(Path dir) {
        return transform(dir, new ArrayList<>());
    }

    /** Adds DIR's resources to {@code objects}, then applies its components and transformers to all of them. */
    private static List<JsonNode> transform(Path dir, List<JsonNode> objects) {
        JsonNode k = Manifests.readTree(dir.resolve("kustomization.yaml"));
        for (JsonNode r : k.path("resources")) {
            Path p = dir.resolve(r.asText()).normalize();
            if (Files.isDirectory(p)) {
                objects.addAll(fallback(p));
            } else {
                objects.addAll(documents(p.toString(), read(p)));
            }
        }
        for (JsonNode c : k.path("components")) {
            transform(dir.resolve(c.asText()).normalize(), objects); // a Component works on what is there so far
        }
        List<Path> patches = new ArrayList<>();
        k.path("patches").forEach(p -> patches.add(dir.resolve(p.path("path").asText())));
        k.path("patchesStrategicMerge").forEach(p -> patches.add(dir.resolve(p.asText())));
        for (Path patchFile : patches) {
            for (JsonNode patch : documents(patchFile.toString(), read(patchFile))) {
                JsonNode target = objects.stream()
                        .filter(o -> o.path("kind").equals(patch.path("kind"))
                                && o.path("metadata").path("name").equals(patch.path("metadata").path("name")))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError(patchFile + ": patches no object of the resources"));
                merge((ObjectNode) target, (ObjectNode) patch);
            }
        }
        for (JsonNode set : k.path("labels")) {
            boolean selectors = set.path("includeSelectors").asBoolean(false);
            boolean templates = selectors || set.path("includeTemplates").asBoolean(false);
            for (JsonNode o : objects) {
                set.path("pairs").fields().forEachRemaining(e -> {
                    ((ObjectNode) o).with("metadata").with("labels").set(e.getKey(), e.getValue());
                    if (templates && o.path("spec").path("template").isObject()) {
                        ((ObjectNode) o.path("spec").path("template")).with("metadata").with("labels")
                                .set(e.getKey(), e.getValue());
                    }
                    if (templates) {
                        // a StatefulSet's volume claim templates are templates too
                        for (JsonNode claim : o.path("spec").path("volumeClaimTemplates")) {
                            ((ObjectNode) claim).with("metadata").with("labels").set(e.getKey(), e.getValue());
                        }
                    }
                });
            }
        }
        for (JsonNode image : k.path("images")) {
            for (JsonNode o : objects) {
                for (String list : List.of("containers", "initContainers")) {
                    for (JsonNode c : o.path("spec").path("template").path("spec").path(list)) {
                        setImage((ObjectNode) c, image);
                    }
                }
            }
        }
        return objects;
    }

    /** kustomize's {@code images:} entry on one container: same image name (any tag), new name and/or tag. */
    private static void setImage(ObjectNode container, JsonNode entry) {
        String image = container.path("image").asText("");
        String name = entry.path("name").asText();
        int cut = image.indexOf('@') >= 0 ? image.indexOf('@') : image.lastIndexOf(':') > image.lastIndexOf('/')
                ? image.lastIndexOf(':') : image.length();
        if (!image.substring(0, cut).equals(name)) {
            return;
        }
        String newName = entry.path("newName").asText(name);
        String tag = entry.has("newTag") ? ":" + entry.path("newTag").asText()
                : entry.has("digest") ? "@" + entry.path("digest").asText() : image.substring(cut);
        container.put("image", newName + tag);
    }

    /** Strategic merge of {@code patch} into {@code target}, in place. */
    static void merge(ObjectNode target, ObjectNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> it = patch.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = target.get(e.getKey());
            JsonNode value = e.getValue();
            if (value.isNull()) {
                target.remove(e.getKey());
            } else if (old instanceof ObjectNode o && value instanceof ObjectNode v) {
                merge(o, v);
            } else if (old instanceof ArrayNode o && value instanceof ArrayNode v && mergeKey(o, v) != null) {
                String key = mergeKey(o, v);
                ArrayNode added = o.arrayNode(); // kustomize puts the patch's new items first
                for (JsonNode item : v) {
                    JsonNode match = null;
                    for (JsonNode existing : o) {
                        if (existing.path(key).equals(item.path(key))) {
                            match = existing;
                        }
                    }
                    if (match == null) {
                        added.add(item.deepCopy());
                    } else {
                        merge((ObjectNode) match, (ObjectNode) item);
                    }
                }
                for (int i = added.size() - 1; i >= 0; i--) {
                    o.insert(0, added.get(i));
                }
            } else {
                target.set(e.getKey(), value.deepCopy());
            }
        }
    }

    /** The key lists of objects merge by, or null when the lists are replaced. */
    private static String mergeKey(ArrayNode a, ArrayNode b) {
        List<JsonNode> all = new ArrayList<>();
        a.forEach(all::add);
        b.forEach(all::add);
        for (String key : MERGE_KEYS) {
            if (!all.isEmpty() && all.stream().allMatch(n -> n.isObject() && n.has(key))) {
                return key;
            }
        }
        return null;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }
}
