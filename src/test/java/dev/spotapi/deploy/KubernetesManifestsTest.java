package dev.spotapi.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.ConfigException;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.support.TestService;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import io.fabric8.kubernetes.api.model.networking.v1.HTTPIngressPath;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.IngressServiceBackend;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes manifests of deploy/k8s (a base and the production and sandbox overlays, each
 * rendered as {@code kubectl kustomize} does, see {@link Kustomize}): every object loads strictly into
 * its fabric8 model class (unknown or mistyped fields fail), the objects agree with each other
 * (selectors, names, ports, keys), and the probe and scrape paths are routes the real service answers
 * without a token. Most checks are on the production overlay.
 */
@Order(11) // long: started first
class KubernetesManifestsTest {
    /** Figures for the reader, in the test JVM's log (target/surefire-reports/test-jvm.log). */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(KubernetesManifestsTest.class);
    static final String PREFIX = "/v1/spot";
    static final String CONFIG_PATH = "/etc/spot-api/config.json";

    static List<Manifests.Manifest> manifests;
    static Deployment deployment;
    static Service service;
    static Secret secret;
    static PodDisruptionBudget pdb;
    static HorizontalPodAutoscaler hpa;
    static Ingress ingress;

    static List<Manifests.Manifest> sandbox;
    /** The scaled overlay's Redis (a kustomization of its own). */
    static final Path REDIS = Manifests.DIR.resolve("redis");
    /** The optional ServiceMonitor component. */
    static final Path SERVICE_MONITOR = Manifests.DIR.resolve("components").resolve("servicemonitor");

    @BeforeAll
    static void load() {
        manifests = Manifests.render(Manifests.OVERLAYS.resolve("production"));
        sandbox = Manifests.render(Manifests.OVERLAYS.resolve("sandbox"));
        deployment = only(Deployment.class);
        service = only(Service.class);
        secret = only(Secret.class);
        pdb = only(PodDisruptionBudget.class);
        hpa = only(HorizontalPodAutoscaler.class);
        ingress = only(Ingress.class);
    }

    private static <T extends HasMetadata> T only(Class<T> type) {
        return only(manifests, type);
    }

    private static <T extends HasMetadata> T only(List<Manifests.Manifest> rendered, Class<T> type) {
        List<T> found = rendered.stream().map(Manifests.Manifest::object).filter(type::isInstance).map(type::cast)
                .toList();
        assertThat(found).as("exactly one %s", type.getSimpleName()).hasSize(1);
        return found.get(0);
    }

    private static Container container() {
        List<Container> containers = deployment.getSpec().getTemplate().getSpec().getContainers();
        assertThat(containers).as("containers").hasSize(1);
        return containers.get(0);
    }

    private static PodSpec podSpec() {
        return deployment.getSpec().getTemplate().getSpec();
    }

    private static Map<String, String> podLabels() {
        return deployment.getSpec().getTemplate().getMetadata().getLabels();
    }

    // ---------------------------------------------------------------- files and strict loading

    /** Every YAML file of each kustomization directory is one of its resources or patches, and each exists. */
    @TestFactory
    Stream<DynamicTest> everyKustomizationUsesEveryFileOfItsDirectory() {
        List<Path> dirs = new ArrayList<>(List.of(Manifests.BASE, REDIS, SERVICE_MONITOR));
        Manifests.overlays().forEach(o -> dirs.add(Manifests.OVERLAYS.resolve(o)));
        return dirs.stream().map(dir -> dynamicTest(Manifests.DIR.relativize(dir).toString(), () -> {
            JsonNode k = Manifests.kustomization(dir);
            boolean component = dir.equals(SERVICE_MONITOR);
            assertThat(k.path("apiVersion").asText()).isEqualTo(component ? "kustomize.config.k8s.io/v1alpha1"
                    : "kustomize.config.k8s.io/v1beta1");
            assertThat(k.path("kind").asText()).isEqualTo(component ? "Component" : "Kustomization");
            List<String> used = new ArrayList<>(Manifests.resources(dir));
            k.path("patches").forEach(p -> used.add(p.path("path").asText()));
            for (String entry : used) {
                assertThat(dir.resolve(entry)).as("%s in %s", entry, dir).exists();
            }
            List<String> onDisk;
            try (Stream<Path> files = Files.list(dir)) {
                onDisk = files.map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
                        .filter(n -> !n.equals("kustomization.yaml"))
                        .sorted().toList();
            }
            assertThat(used).as("resources and patches of %s", dir).doesNotHaveDuplicates()
                    .containsAll(onDisk);
            Map<String, String> labels = new LinkedHashMap<>();
            k.path("labels").forEach(set -> set.path("pairs").fields()
                    .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText())));
            // the scaled overlay labels nothing itself: its Redis has labels of its own (checked below), which a
            // spot-api selector label would overwrite; a component's objects carry theirs in the file
            if (dir.endsWith("scaled") || component) {
                assertThat(labels).as("labels of %s", dir).isEmpty();
            } else {
                assertThat(labels).containsEntry("app.kubernetes.io/name", dir.equals(REDIS) ? "spot-api-redis" : "spot-api");
            }
        }));
        // (README.md sits beside them)
    }

    @Test
    void theOverlaysAreProductionAndSandboxOnTheSharedBase() {
        assertThat(Manifests.DIR.resolve("README.md")).exists();
        assertThat(Manifests.overlays()).contains("production", "sandbox");
        for (String overlay : Manifests.overlays()) {
            assertThat(Manifests.resources(Manifests.OVERLAYS.resolve(overlay)))
                    .as("overlay %s builds on the base (directly or through another overlay)", overlay)
                    .anyMatch(r -> r.equals("../../base") || r.startsWith("../"));
        }
        LOG.info("rendered with "
                + (Kustomize.viaKubectl() ? "kubectl kustomize" : "the built-in kustomize subset (no kubectl)"));
    }

    /** Where kubectl is installed, the built-in kustomize subset renders every overlay exactly as it does. */
    @Test
    void builtInRenderMatchesKubectlKustomize() {
        if (!Kustomize.viaKubectl()) {
            LOG.info("no kubectl: the built-in render is the only one");
        }
        List<Path> dirs = new ArrayList<>(List.of(REDIS, composed("monitored-and-retagged", """
                resources:
                  - ../../../deploy/k8s/overlays/production
                components:
                  - ../../../deploy/k8s/components/servicemonitor
                images:
                  - name: spot-api
                    newName: registry.example.com/team/spot-api
                    newTag: "2.0.0"
                """)));
        Manifests.overlays().forEach(o -> dirs.add(Manifests.OVERLAYS.resolve(o)));
        for (Path dir : dirs) {
            String overlay = dir.getFileName().toString();
            Map<String, JsonNode> builtIn = byKindAndName(Kustomize.builtIn(dir));
            Map<String, JsonNode> rendered = byKindAndName(Kustomize.render(dir));
            assertThat(builtIn.keySet()).as(overlay).containsExactlyInAnyOrderElementsOf(rendered.keySet());
            builtIn.forEach((k, v) -> assertThat(v).as("%s %s", overlay, k).isEqualTo(rendered.get(k)));
        }
    }

    private static Map<String, JsonNode> byKindAndName(List<JsonNode> objects) {
        Map<String, JsonNode> out = new LinkedHashMap<>();
        objects.forEach(o -> out.put(o.path("kind").asText() + "/" + o.path("metadata").path("name").asText(), o));
        return out;
    }

    @Test
    void everyKindIsPresentWithItsApiVersion() {
        Map<String, String> kinds = manifests.stream().map(Manifests.Manifest::object)
                .collect(Collectors.toMap(HasMetadata::getKind, HasMetadata::getApiVersion));
        assertThat(kinds).containsExactlyInAnyOrderEntriesOf(Map.of(
                "Deployment", "apps/v1",
                "Service", "v1",
                "Secret", "v1",
                "ServiceAccount", "v1",
                "NetworkPolicy", "networking.k8s.io/v1",
                "PodDisruptionBudget", "policy/v1",
                "HorizontalPodAutoscaler", "autoscaling/v2",
                "Ingress", "networking.k8s.io/v1"));
        Stream.concat(manifests.stream(), sandbox.stream()).forEach(m -> assertThat(m.object().getMetadata().getLabels())
                .as("labels of %s", m.source()).containsEntry("app.kubernetes.io/name", "spot-api"));
    }

    @Test
    void strictLoadingRejectsAMisspeltField() {
        String misspelt = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: x
                spec:
                  replica: 2
                  selector:
                    matchLabels: {app: x}
                  template:
                    metadata:
                      labels: {app: x}
                    spec:
                      containers:
                        - name: x
                          image: x
                """;
        assertThatThrownBy(() -> Manifests.load("misspelt.yaml", misspelt))
                .isInstanceOf(AssertionError.class).hasMessageContaining("replica");
        // The same document spelt right loads: the failure above is the misspelling, nothing else.
        assertThat(Manifests.load("right.yaml", misspelt.replace("replica:", "replicas:"))).hasSize(1);
    }

    @Test
    void strictLoadingRejectsAMisspeltFieldDeepInThePodTemplate() {
        String deep = Manifests.YAML.valueToTree(deployment).toString()
                .replace("\"readinessProbe\"", "\"readinesProbe\"");
        assertThatThrownBy(() -> Manifests.load("deep.yaml", deep))
                .isInstanceOf(AssertionError.class).hasMessageContaining("readinesProbe");
    }

    @Test
    void strictLoadingRejectsAnUnquotedAnnotationValue() {
        String unquoted = """
                apiVersion: v1
                kind: Service
                metadata:
                  name: x
                  annotations:
                    prometheus.io/scrape: true
                spec:
                  ports: [{port: 80}]
                """;
        assertThatThrownBy(() -> Manifests.load("unquoted.yaml", unquoted)).isInstanceOf(AssertionError.class);
        assertThat(Manifests.load("quoted.yaml", unquoted.replace("true", "\"true\""))).hasSize(1);
    }

    @Test
    void strictLoadingRejectsAWrongApiVersionAndUnknownKinds() {
        assertThatThrownBy(() -> Manifests.load("old.yaml", """
                apiVersion: extensions/v1beta1
                kind: Ingress
                metadata: {name: x}
                """)).isInstanceOf(AssertionError.class).hasMessageContaining("networking.k8s.io/v1");
        assertThatThrownBy(() -> Manifests.load("cm.yaml", """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: x}
                """)).isInstanceOf(AssertionError.class).hasMessageContaining("ConfigMap");
    }

    // ---------------------------------------------------------------- Deployment

    @Test
    void deploymentHasARollingUpdateAndLeavesTheReplicaCountToTheHpa() {
        assertThat(deployment.getSpec().getReplicas()).as("replicas (the HPA owns them)").isNull();
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(deployment.getSpec().getStrategy().getRollingUpdate()).isNotNull();
        assertThat(deployment.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(podLabels()).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(podSpec().getTerminationGracePeriodSeconds()).isEqualTo(30L);
    }

    @Test
    void containerRunsTheImageOnPort8080() {
        Container c = container();
        assertThat(c.getImage()).isEqualTo("spot-api:" + projectVersion());
        assertThat(c.getImagePullPolicy()).isEqualTo("IfNotPresent");
        assertThat(c.getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getName()).isEqualTo("http");
            assertThat(p.getContainerPort()).isEqualTo(8080);
        });
        // No preStop exec hook, no exec probes: the image has no shell.
        assertThat(c.getLifecycle()).isNull();
        if (c.getArgs() != null && c.getArgs().contains("-config")) {
            assertThat(c.getArgs().get(c.getArgs().indexOf("-config") + 1)).isEqualTo(CONFIG_PATH);
        }
    }

    @Test
    void probesAreHttpGetsOnTheHttpPort() {
        Container c = container();
        assertThat(c.getLivenessProbe()).as("livenessProbe").isNotNull();
        assertThat(c.getReadinessProbe()).as("readinessProbe").isNotNull();
        assertThat(c.getLivenessProbe().getHttpGet().getPath()).isEqualTo(PREFIX + "/ping");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo(PREFIX + "/ready");
        probes().forEach((name, probe) -> {
            assertThat(probe.getExec()).as("%s must not be an exec probe", name).isNull();
            assertThat(probe.getHttpGet()).as("%s.httpGet", name).isNotNull();
            assertThat(containerPort(probe.getHttpGet().getPort())).as("%s.httpGet.port", name).isEqualTo(8080);
        });
    }

    /** Each probe's path (and the scrape path) GET on the real service, without a token, answers 200. */
    @TestFactory
    Stream<DynamicTest> probePathsAreServedWithoutAToken() {
        Map<String, String> paths = new LinkedHashMap<>();
        probes().forEach((name, probe) -> paths.put(name, probe.getHttpGet().getPath()));
        paths.put("prometheus.io/path", deployment.getSpec().getTemplate().getMetadata().getAnnotations()
                .get("prometheus.io/path"));
        return paths.entrySet().stream().map(e -> dynamicTest(e.getKey() + " GET " + e.getValue(), () -> {
            String path = e.getValue();
            assertThat(path).startsWith(PREFIX + "/");
            TestService.Reply r = TestService.shared().call("GET", path.substring(PREFIX.length()), null, Map.of());
            assertThat(r.status()).as("GET %s (no token) -> %s", path, r.body()).isEqualTo(200);
        }));
    }

    @Test
    void livenessAnswersPong() {
        String path = container().getLivenessProbe().getHttpGet().getPath();
        TestService.Reply r = TestService.shared().call("GET", path.substring(PREFIX.length()), null, Map.of());
        assertThat(r.body()).isEqualTo("pong");
    }

    @Test
    void resourcesHaveRequestsAndAMemoryLimit() {
        Map<String, Quantity> requests = container().getResources().getRequests();
        Map<String, Quantity> limits = container().getResources().getLimits();
        assertThat(requests).containsKeys("cpu", "memory");
        assertThat(limits).containsKey("memory");
        assertThat(Quantity.getAmountInBytes(requests.get("memory")))
                .isLessThanOrEqualTo(Quantity.getAmountInBytes(limits.get("memory")));
        // The request covers the measured peak RSS under load with the shipped flags (deploy/k8s/README.md).
        assertThat(Quantity.getAmountInBytes(requests.get("memory")).longValue())
                .isGreaterThanOrEqualTo(MEASURED_PEAK_RSS_MIB << 20);
        if (limits.containsKey("cpu")) {
            assertThat(Quantity.getAmountInBytes(limits.get("cpu")))
                    .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("cpu")));
        }
    }

    /**
     * Peak RSS (VmHWM, MiB) measured with the shipped flags (deploy/k8s/README.md, issue 27): 8 concurrent
     * lists of 3,000 instances.
     */
    private static final long MEASURED_PEAK_RSS_MIB = 153;
    /** Heap committed (young + tenured, MiB) at that peak: the heap ran at its 64 MiB bound. */
    private static final long MEASURED_HEAP_COMMITTED_MIB = 64;

    /** The JVM flags of {@code ./spot-api} (its {@code jvm_flags=( ... )} array), in order. */
    private static List<String> launcherJvmFlags() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^jvm_flags=\\(([^)]*)\\)")
                .matcher(read(Path.of(System.getProperty("basedir", ".")).resolve("spot-api")));
        assertThat(m.find()).as("jvm_flags=( ... ) in ./spot-api").isTrue();
        return List.of(m.group(1).trim().split("\\s+"));
    }

    /** The image's entrypoint (pom.xml, Jib's {@code <entrypoint>} args, comments left out), in order. */
    private static List<String> imageEntrypoint() {
        String pom = read(Path.of(System.getProperty("basedir", ".")).resolve("pom.xml"));
        java.util.regex.Matcher e = java.util.regex.Pattern.compile("(?s)<entrypoint>(.*?)</entrypoint>").matcher(pom);
        assertThat(e.find()).as("<entrypoint> in pom.xml").isTrue();
        java.util.regex.Matcher a = java.util.regex.Pattern.compile("<arg>([^<]*)</arg>")
                .matcher(e.group(1).replaceAll("(?s)<!--.*?-->", ""));
        List<String> args = new ArrayList<>();
        while (a.find()) {
            args.add(a.group(1));
        }
        return args;
    }

    /** {@code -Xmx64m}-style size in bytes (k, m, g suffixes). */
    private static long jvmSize(List<String> flags, String prefix) {
        String v = flags.stream().filter(f -> f.startsWith(prefix)).reduce((x, y) -> y)
                .orElseThrow(() -> new AssertionError("no " + prefix + " in " + flags)).substring(prefix.length());
        long n = Long.parseLong(v.replaceAll("[kKmMgG]$", ""));
        return switch (Character.toLowerCase(v.charAt(v.length() - 1))) {
            case 'k' -> n << 10;
            case 'm' -> n << 20;
            case 'g' -> n << 30;
            default -> n;
        };
    }

    /**
     * The image runs the launcher's JVM flags, in the same order, with an explicit heap: the JVM never
     * derives its heap from the container's limit (it chose 126 MiB under 256 Mi, issue 25).
     */
    @Test
    void imageRunsTheLaunchersJvmFlagsWithAnExplicitHeap() {
        List<String> launcher = launcherJvmFlags();
        List<String> image = imageEntrypoint();
        assertThat(launcher).as("./spot-api jvm_flags").anyMatch(f -> f.startsWith("-Xmx"))
                .anyMatch(f -> f.startsWith("-Xms")).anyMatch(f -> f.startsWith("-XX:MaxDirectMemorySize="));
        assertThat(image.get(0)).isEqualTo("/opt/java/bin/java");
        assertThat(image.subList(1, 1 + launcher.size())).as("the image's JVM flags vs ./spot-api's").isEqualTo(launcher);
        assertThat(image).as("no heap sized from the container's memory")
                .noneMatch(f -> f.contains("RAMPercentage") || f.startsWith("-XX:MaxRAM") || f.contains("UseContainerSupport"));
        assertThat(image.stream().filter(f -> f.startsWith("-Xmx"))).as("one -Xmx").hasSize(1);
    }

    /**
     * The memory limit leaves headroom over what the flags let the JVM take (heap, direct buffers, code
     * cache) plus the measured rest (metaspace, threads, malloc), and the request is below the limit.
     */
    @Test
    void theJvmsBoundedMemoryFitsTheLimitWithHeadroom() {
        List<String> flags = launcherJvmFlags();
        long bounded = jvmSize(flags, "-Xmx") + jvmSize(flags, "-XX:MaxDirectMemorySize=")
                + jvmSize(flags, "-XX:ReservedCodeCacheSize=");
        long limit = Quantity.getAmountInBytes(container().getResources().getLimits().get("memory")).longValue();
        long request = Quantity.getAmountInBytes(container().getResources().getRequests().get("memory")).longValue();
        // measured: peak RSS minus the heap committed then is the rest (it already holds some code cache
        // and direct buffers, so adding their whole bounds is conservative)
        long nonHeapMeasured = (MEASURED_PEAK_RSS_MIB - MEASURED_HEAP_COMMITTED_MIB) << 20;
        assertThat(bounded + nonHeapMeasured).as("heap + direct + code cache + measured rest vs limit %d", limit)
                .isLessThan(limit);
        assertThat(jvmSize(flags, "-Xmx")).as("-Xmx at most half the limit").isLessThanOrEqualTo(limit / 2);
        assertThat(request).isLessThan(limit);
    }

    @Test
    void securityContextIsRestrictive() {
        PodSecurityContext pod = podSpec().getSecurityContext();
        SecurityContext c = container().getSecurityContext();
        assertAll(
                () -> assertThat(pod.getRunAsNonRoot()).isTrue(),
                () -> assertThat(pod.getRunAsUser()).isEqualTo(65532L),
                () -> assertThat(pod.getRunAsGroup()).isEqualTo(65532L),
                () -> assertThat(pod.getFsGroup()).isEqualTo(65532L),
                () -> assertThat(pod.getSeccompProfile().getType()).isEqualTo("RuntimeDefault"),
                () -> assertThat(podSpec().getAutomountServiceAccountToken()).isFalse(),
                () -> assertThat(c.getAllowPrivilegeEscalation()).isFalse(),
                () -> assertThat(c.getReadOnlyRootFilesystem()).isTrue(),
                () -> assertThat(c.getPrivileged()).isNotEqualTo(Boolean.TRUE),
                () -> assertThat(c.getRunAsNonRoot()).isNotEqualTo(Boolean.FALSE),
                () -> assertThat(c.getCapabilities().getDrop()).containsExactly("ALL"),
                () -> assertThat(c.getCapabilities().getAdd()).isNullOrEmpty(),
                () -> assertThat(podSpec().getHostNetwork()).isNotEqualTo(Boolean.TRUE));
    }

    @Test
    void tmpIsAWritableEmptyDir() {
        VolumeMount tmp = mountAt("/tmp");
        assertThat(tmp.getReadOnly()).isNotEqualTo(Boolean.TRUE);
        assertThat(volume(tmp.getName()).getEmptyDir()).as("/tmp volume is an emptyDir").isNotNull();
    }

    @Test
    void secretIsMountedReadOnlyAtTheConfigPath() {
        // Either a directory mount of /etc/spot-api projecting config.json, or a subPath mount of the file.
        VolumeMount mount = container().getVolumeMounts().stream()
                .filter(m -> CONFIG_PATH.equals(m.getMountPath()) || CONFIG_PATH.startsWith(m.getMountPath() + "/"))
                .findFirst().orElseThrow(() -> new AssertionError("nothing mounted at " + CONFIG_PATH));
        assertThat(mount.getReadOnly()).isTrue();
        Volume v = volume(mount.getName());
        assertThat(v.getSecret()).as("volume %s is a Secret", v.getName()).isNotNull();
        assertThat(v.getSecret().getSecretName()).isEqualTo(secret.getMetadata().getName());

        String fileInVolume = mount.getSubPath() != null && !mount.getSubPath().isEmpty()
                ? mount.getSubPath()
                : CONFIG_PATH.substring(mount.getMountPath().length() + 1);
        String key = fileInVolume;
        if (v.getSecret().getItems() != null && !v.getSecret().getItems().isEmpty()) {
            key = v.getSecret().getItems().stream().filter(i -> i.getPath().equals(fileInVolume))
                    .map(i -> i.getKey()).findFirst()
                    .orElseThrow(() -> new AssertionError("no item of the Secret volume is " + fileInVolume));
        }
        assertThat(secretKeys()).as("keys of the Secret").contains(key);
        assertThat(key).isEqualTo("config.json");
    }

    @Test
    void preSharedKeyComesFromTheSameSecret() {
        EnvVar token = container().getEnv().stream().filter(e -> e.getName().equals(ConfigLoader.ENV_TOKEN))
                .findFirst().orElseThrow(() -> new AssertionError("no " + ConfigLoader.ENV_TOKEN + " env"));
        assertThat(token.getValue()).as("never a literal key in the Deployment").isNull();
        var ref = token.getValueFrom().getSecretKeyRef();
        assertThat(ref.getName()).isEqualTo(secret.getMetadata().getName());
        assertThat(secretKeys()).contains(ref.getKey());
        assertThat(ref.getKey()).isNotEqualTo("config.json");
    }

    /**
     * The example Secret's placeholders stop the service (exit 2 naming the field, see
     * CommandLineTest); with real values in their place it is a config the service accepts,
     * listening on the container port.
     */
    @Test
    void exampleSecretIsRefusedUntilItsPlaceholdersAreReplaced(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        String tokenKey = container().getEnv().stream().filter(e -> e.getName().equals(ConfigLoader.ENV_TOKEN))
                .findFirst().orElseThrow().getValueFrom().getSecretKeyRef().getKey();
        Map<String, String> env = new LinkedHashMap<>();
        container().getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));

        Files.writeString(file, secretValue("config.json"));
        env.put(ConfigLoader.ENV_TOKEN, secretValue(tokenKey));
        assertThatThrownBy(() -> new ConfigLoader(env).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("token: still the example's placeholder");

        env.put(ConfigLoader.ENV_TOKEN, "k3Q9-a-real-pre-shared-key-of-some-length");
        assertThatThrownBy(() -> new ConfigLoader(env).load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("accounts.someaccount.token: still the example's placeholder");

        JsonNode example = Manifests.YAML.readTree(secretValue("config.json"));
        String spotToken = example.path("accounts").path("someaccount").path("token").asText();
        Files.writeString(file, secretValue("config.json").replace(spotToken, "0123456789abcdef0123456789abcdef"));
        ServiceConfig config = new ConfigLoader(env).load(file);
        assertThat(config.listenAddress()).endsWith(":8080");
        assertThat(config.token()).isEqualTo("k3Q9-a-real-pre-shared-key-of-some-length");
        // Stop budget: the readiness delay plus up to 10 s of in-flight requests fit in the grace period.
        assertThat(config.shutdownDelayMs()).as("shutdownDelayMs").isPositive();
        assertThat(config.shutdownDelayMs() + 10_000)
                .isLessThan(podSpec().getTerminationGracePeriodSeconds() * 1000);
    }

    /**
     * The Ingress publishes the API of the example config's accounts and nothing else: each path is
     * {@code /v1/spot/<account>}, so none of the public system routes (metrics, docs, openapi.json,
     * ping, version, ready) is reachable from outside.
     */
    @Test
    void ingressPublishesOnlyTheAccountsApi() throws IOException {
        JsonNode example = Manifests.YAML.readTree(secretValue("config.json"));
        List<String> accounts = new ArrayList<>();
        example.path("accounts").fieldNames().forEachRemaining(accounts::add);
        List<String> paths = ingress.getSpec().getRules().stream().flatMap(r -> r.getHttp().getPaths().stream())
                .map(HTTPIngressPath::getPath).toList();
        assertThat(paths).isNotEmpty().allSatisfy(p -> assertThat(p).isIn(
                accounts.stream().map(a -> PREFIX + "/" + a).toList()));
        for (String system : List.of("metrics", "docs", "docs/assets/swagger-ui.css", "openapi.json", "ping", "version", "ready")) {
            String path = PREFIX + "/" + system;
            assertThat(paths).as("an Ingress path publishing %s", path)
                    .noneMatch(p -> path.equals(p) || path.startsWith(p + "/"));
            // and that path is indeed public on the service (reachable without a token, if published)
            TestService.Reply r = TestService.shared().call("GET", "/" + system, null, Map.of());
            assertThat(r.status()).as("GET %s", path).isNotIn(401, 403);
        }
    }

    /** Each overlay: the pods run as their own ServiceAccount without an API token, behind the NetworkPolicy. */
    @TestFactory
    Stream<DynamicTest> everyOverlayHasItsServiceAccountAndNetworkPolicy() {
        return Manifests.overlays().stream().map(o -> dynamicTest(o, () -> {
            List<Manifests.Manifest> rendered = Manifests.render(Manifests.OVERLAYS.resolve(o));
            Deployment d = only(rendered, Deployment.class);
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            ServiceAccount sa = only(rendered, ServiceAccount.class);
            assertThat(sa.getAutomountServiceAccountToken()).isFalse();
            assertThat(pod.getServiceAccountName()).isEqualTo(sa.getMetadata().getName()).isNotEqualTo("default");
            assertThat(pod.getAutomountServiceAccountToken()).isFalse();

            NetworkPolicy np = named(rendered, NetworkPolicy.class, "spot-api");
            assertThat(d.getSpec().getTemplate().getMetadata().getLabels())
                    .containsAllEntriesOf(np.getSpec().getPodSelector().getMatchLabels());
            assertThat(np.getSpec().getPodSelector().getMatchLabels()).isNotEmpty();
            assertThat(np.getSpec().getPolicyTypes()).containsExactlyInAnyOrder("Ingress", "Egress");
            // In: the HTTP port only.
            assertThat(np.getSpec().getIngress()).isNotEmpty().allSatisfy(rule -> assertThat(rule.getPorts())
                    .isNotEmpty().allSatisfy(port -> assertThat(port.getPort()).isEqualTo(new IntOrString("http"))));
            // Out: DNS and HTTPS only.
            List<Integer> egressPorts = np.getSpec().getEgress().stream().flatMap(e -> e.getPorts().stream())
                    .map(port -> port.getPort().getIntVal()).distinct().sorted().toList();
            assertThat(np.getSpec().getEgress()).allSatisfy(e -> assertThat(e.getPorts()).isNotEmpty());
            // (the scaled overlay also reaches its shared-state Redis)
            assertThat(egressPorts).containsExactlyElementsOf("scaled".equals(o) ? List.of(53, 443, 6379) : List.of(53, 443));

            // Where an HPA scales the Deployment, the Deployment sets no replica count.
            List<HorizontalPodAutoscaler> hpas = rendered.stream().map(Manifests.Manifest::object)
                    .filter(HorizontalPodAutoscaler.class::isInstance).map(HorizontalPodAutoscaler.class::cast)
                    .filter(h -> d.getMetadata().getName().equals(h.getSpec().getScaleTargetRef().getName()))
                    .toList();
            if (hpas.isEmpty()) {
                assertThat(d.getSpec().getReplicas()).as("replicas without an HPA").isNotNull().isPositive();
            } else {
                assertThat(d.getSpec().getReplicas()).as("replicas next to an HPA").isNull();
            }
        }));
    }

    /**
     * The scaled overlay (issue 14): the production overlay plus the shared-state Redis, whose URL and
     * password reach the pods from the Secret spot-api-redis as SPOT_API_REDIS_URL / SPOT_API_REDIS_PASSWORD;
     * at least three replicas; the example password is refused at start-up.
     */
    @Test
    void scaledOverlaySharesStateThroughRedisFromASecret() {
        List<Manifests.Manifest> scaled = Manifests.render(Manifests.OVERLAYS.resolve("scaled"));
        Deployment d = only(scaled, Deployment.class);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        Map<String, EnvVar> env = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
        List<Secret> secrets = scaled.stream().map(Manifests.Manifest::object).filter(Secret.class::isInstance)
                .map(Secret.class::cast).toList();
        Secret redis = secrets.stream().filter(x -> "spot-api-redis".equals(x.getMetadata().getName())).findFirst()
                .orElseThrow();
        for (String[] pair : new String[][] {{ConfigLoader.ENV_REDIS_URL, "url"}, {ConfigLoader.ENV_REDIS_PASSWORD, "password"}}) {
            EnvVar v = env.get(pair[0]);
            assertThat(v).as(pair[0]).isNotNull();
            assertThat(v.getValueFrom().getSecretKeyRef().getName()).isEqualTo("spot-api-redis");
            assertThat(v.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(pair[1]);
            assertThat(redis.getStringData()).containsKey(pair[1]);
        }
        assertThat(env).as("the production overlay's settings are kept").containsKey("SPOT_API_TOKEN");
        String url = redis.getStringData().get("url");
        assertThat(url).matches("rediss?://[^@/]+:\\d+");
        assertThat(dev.spotapi.config.Placeholders.isPlaceholder(redis.getStringData().get("password")))
                .as("the example password is a placeholder spot-api refuses").isTrue();
        HorizontalPodAutoscaler scaledHpa = only(scaled, HorizontalPodAutoscaler.class);
        assertThat(scaledHpa.getSpec().getMinReplicas()).isGreaterThanOrEqualTo(2);
        assertThat(d.getSpec().getReplicas()).isNull();
    }

    /**
     * The scaled overlay ships its Redis (issue 25): a StatefulSet with an append-only file on a volume claim,
     * one ACL user from the same Secret spot-api reads (keys username and password; the default user off),
     * on the port of the Secret's url, which is also the port spot-api's NetworkPolicy lets out to those pods
     * and the only way into them; no selector of one matches the other's pods.
     */
    @Test
    void scaledOverlayShipsARedisWithAppendOnlyFileAndAnAclUser() {
        List<Manifests.Manifest> scaled = Manifests.render(Manifests.OVERLAYS.resolve("scaled"));
        io.fabric8.kubernetes.api.model.apps.StatefulSet redis = only(scaled,
                io.fabric8.kubernetes.api.model.apps.StatefulSet.class);
        Deployment api = only(scaled, Deployment.class);
        Secret secret = named(scaled, Secret.class, "spot-api-redis");
        Service redisService = named(scaled, Service.class, "spot-api-redis");
        Service apiService = named(scaled, Service.class, "spot-api");
        NetworkPolicy apiPolicy = named(scaled, NetworkPolicy.class, "spot-api");
        NetworkPolicy redisPolicy = named(scaled, NetworkPolicy.class, "spot-api-redis");
        Map<String, String> redisPods = redis.getSpec().getTemplate().getMetadata().getLabels();
        Map<String, String> apiPods = api.getSpec().getTemplate().getMetadata().getLabels();

        Container c = redis.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).matches("redis:[0-9][^:]*");
        String command = String.join(" ", c.getArgs());
        assertThat(command).contains("--appendonly yes", "--dir /data", "--user default off",
                "--user \"$REDIS_USERNAME\" on \">$REDIS_PASSWORD\"");
        assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/data"));
        assertThat(redis.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(pvc ->
                assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(m.getName()).isEqualTo(pvc.getMetadata().getName())));
        assertThat(redis.getSpec().getReplicas()).isEqualTo(1);
        assertThat(redis.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(redisPods).containsAllEntriesOf(redis.getSpec().getSelector().getMatchLabels());
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(redis.getSpec().getTemplate().getSpec().getAutomountServiceAccountToken()).isFalse();

        // the same Secret, the same keys, on both sides
        Map<String, EnvVar> redisEnv = c.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));
        Map<String, EnvVar> apiEnv = api.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .collect(Collectors.toMap(EnvVar::getName, e -> e));
        for (String[] pair : new String[][] {{"REDIS_USERNAME", ConfigLoader.ENV_REDIS_USERNAME, "username"},
                {"REDIS_PASSWORD", ConfigLoader.ENV_REDIS_PASSWORD, "password"}}) {
            for (EnvVar v : List.of(redisEnv.get(pair[0]), apiEnv.get(pair[1]))) {
                assertThat(v.getValueFrom().getSecretKeyRef().getName()).isEqualTo("spot-api-redis");
                assertThat(v.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(pair[2]);
            }
            assertThat(secret.getStringData().get(pair[2])).isNotBlank();
        }

        // one port everywhere: the url's, the Service's, the container's, the two policies'
        java.net.URI url = java.net.URI.create(secret.getStringData().get("url"));
        assertThat(url.getHost()).isEqualTo(redisService.getMetadata().getName());
        int port = url.getPort();
        assertThat(redisService.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(port);
            assertThat(c.getPorts()).anySatisfy(cp -> {
                assertThat(cp.getName()).isEqualTo(p.getTargetPort().getStrVal());
                assertThat(cp.getContainerPort()).isEqualTo(port);
            });
        });
        assertThat(redisService.getSpec().getSelector()).isNotEmpty();
        assertThat(redisPods).containsAllEntriesOf(redisService.getSpec().getSelector());
        assertThat(apiPolicy.getSpec().getEgress()).anySatisfy(rule -> {
            assertThat(rule.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort().getIntVal()).isEqualTo(port));
            assertThat(rule.getTo()).singleElement().satisfies(peer ->
                    assertThat(redisPods).containsAllEntriesOf(peer.getPodSelector().getMatchLabels()));
        });
        assertThat(redisPods).containsAllEntriesOf(redisPolicy.getSpec().getPodSelector().getMatchLabels());
        assertThat(redisPolicy.getSpec().getIngress()).singleElement().satisfies(rule -> {
            assertThat(rule.getFrom()).singleElement().satisfies(peer -> {
                assertThat(peer.getPodSelector().getMatchLabels()).isNotEmpty();
                assertThat(apiPods).as("spot-api's pods may connect").containsAllEntriesOf(peer.getPodSelector().getMatchLabels());
            });
            assertThat(rule.getPorts()).singleElement().satisfies(p -> assertThat(p.getPort().getStrVal())
                    .isIn(c.getPorts().stream().map(ContainerPort::getName).toList()));
        });
        assertThat(redisPolicy.getSpec().getEgress()).as("Redis calls no one").isNullOrEmpty();
        assertThat(redisPolicy.getSpec().getPolicyTypes()).contains("Egress");

        // neither side's selectors match the other's pods
        assertThat(matches(apiService.getSpec().getSelector(), redisPods)).as("spot-api's Service on Redis pods").isFalse();
        assertThat(matches(api.getSpec().getSelector().getMatchLabels(), redisPods)).isFalse();
        assertThat(matches(apiPolicy.getSpec().getPodSelector().getMatchLabels(), redisPods)).isFalse();
        assertThat(matches(redisService.getSpec().getSelector(), apiPods)).isFalse();
        assertThat(redisPods).containsEntry("app.kubernetes.io/part-of", "spot-api");
    }

    /**
     * The image tag is kustomize's (issue 25): the Deployment names the image without a tag, the base's
     * {@code images:} sets the project's version, and an overlay's {@code images:} replaces name and tag.
     */
    @Test
    void theImageTagIsSetByKustomizeImages() {
        JsonNode base = Manifests.kustomization(Manifests.BASE);
        assertThat(base.path("images")).singleElement().satisfies(i -> {
            assertThat(i.path("name").asText()).isEqualTo("spot-api");
            assertThat(i.path("newTag").asText()).isEqualTo(projectVersion());
        });
        assertThat(read(Manifests.BASE.resolve("deployment.yaml"))).contains("image: spot-api\n")
                .doesNotContain("image: spot-api:");
        List<Manifests.Manifest> retagged = Manifests.render(composed("retagged", """
                resources:
                  - ../../../deploy/k8s/overlays/production
                images:
                  - name: spot-api
                    newName: registry.example.com/team/spot-api
                    newTag: "2.0.1"
                """));
        assertThat(only(retagged, Deployment.class).getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("registry.example.com/team/spot-api:2.0.1");
    }

    /**
     * The optional ServiceMonitor component (issue 25): added to an overlay it renders a strictly valid
     * monitoring.coreos.com/v1 ServiceMonitor that selects spot-api's Service and scrapes its HTTP port at the
     * public metrics route.
     */
    @Test
    void theServiceMonitorComponentScrapesTheMetricsRouteThroughTheService() {
        List<Manifests.Manifest> monitored = Manifests.render(composed("monitored", """
                resources:
                  - ../../../deploy/k8s/overlays/production
                components:
                  - ../../../deploy/k8s/components/servicemonitor
                """));
        io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor sm = only(monitored,
                io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor.class);
        Service svc = only(monitored, Service.class);
        assertThat(matches(sm.getSpec().getSelector().getMatchLabels(), svc.getMetadata().getLabels())).isTrue();
        assertThat(sm.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(svc.getSpec().getPorts()).extracting(ServicePort::getName).contains(e.getPort());
            assertThat(e.getPath()).isEqualTo(PREFIX + "/metrics");
        });
        assertThat(sm.getMetadata().getLabels()).containsEntry("app.kubernetes.io/name", "spot-api");
        // without the component there is none
        assertThat(manifests).noneMatch(m -> m.object() instanceof io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor);
    }

    /** A kustomization under target/ that composes the project's (paths relative to it, as kustomize wants). */
    private static Path composed(String name, String body) {
        Path dir = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().resolve("target").resolve("kustomize")
                .resolve(name);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("kustomization.yaml"),
                    "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n" + body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    private static boolean matches(Map<String, String> selector, Map<String, String> labels) {
        return selector != null && !selector.isEmpty() && labels.entrySet().containsAll(selector.entrySet());
    }

    private static <T extends HasMetadata> T named(List<Manifests.Manifest> rendered, Class<T> type, String name) {
        List<T> found = rendered.stream().map(Manifests.Manifest::object).filter(type::isInstance).map(type::cast)
                .filter(o -> name.equals(o.getMetadata().getName())).toList();
        assertThat(found).as("exactly one %s %s", type.getSimpleName(), name).hasSize(1);
        return found.get(0);
    }

    /** The project's version (pom.xml), the image's tag. */
    private static String projectVersion() {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<artifactId>spot-api</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(read(Path.of(System.getProperty("basedir", ".")).resolve("pom.xml")));
        if (!m.find()) {
            throw new AssertionError("no project version in pom.xml");
        }
        return m.group(1);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The sandbox overlay: one pod serving the built-in simulator, nothing published, no Secret. */
    @Test
    void sandboxOverlayRunsOneSimulatorPod() {
        Deployment d = only(sandbox, Deployment.class);
        assertThat(d.getSpec().getReplicas()).isEqualTo(1);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs()).startsWith("--sandbox").contains("--sandbox-dir");
        // the image's entrypoint with the JVM's default heap shape, as ./spot-api runs sandbox mode
        List<String> image = imageEntrypoint();
        List<String> sandboxHeap = image.stream().filter(a -> !a.equals("-Xmn4m") && !a.startsWith("-XX:M")
                || a.startsWith("-XX:MaxDirect")).toList();
        assertThat(c.getCommand()).isEqualTo(sandboxHeap);
        String stateDir = c.getArgs().get(c.getArgs().indexOf("--sandbox-dir") + 1);
        assertThat(c.getVolumeMounts()).anySatisfy(m -> assertThat(stateDir).startsWith(m.getMountPath() + "/"));
        assertThat(sandbox).noneMatch(m -> m.object() instanceof Secret || m.object() instanceof Ingress
                || m.object() instanceof HorizontalPodAutoscaler);
        assertThat(c.getEnv()).noneMatch(e -> e.getValueFrom() != null);
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        // The simulator is a loopback server in the same pod: the HTTP port is still the only way in.
        assertThat(c.getPorts()).singleElement().satisfies(p -> assertThat(p.getContainerPort()).isEqualTo(8080));
    }

    @Test
    void prometheusScrapeAnnotationsAreOnThePodTemplate() {
        Map<String, String> annotations = deployment.getSpec().getTemplate().getMetadata().getAnnotations();
        assertThat(annotations)
                .containsEntry("prometheus.io/scrape", "true")
                .containsEntry("prometheus.io/port", "8080")
                .containsEntry("prometheus.io/path", PREFIX + "/metrics");
        assertThat(containerPort(new IntOrString(Integer.parseInt(annotations.get("prometheus.io/port")))))
                .isEqualTo(8080);
    }

    // ---------------------------------------------------------------- the other objects

    @Test
    void serviceSelectsTheDeploymentsPods() {
        Map<String, String> selector = service.getSpec().getSelector();
        assertThat(selector).isNotEmpty();
        assertThat(podLabels()).containsAllEntriesOf(selector);
        assertThat(service.getSpec().getPorts()).isNotEmpty().allSatisfy(p ->
                assertThat(containerPort(p.getTargetPort() == null ? new IntOrString(p.getPort()) : p.getTargetPort()))
                        .as("targetPort of service port %s", p.getName()).isEqualTo(8080));
    }

    @Test
    void ingressRoutesTheApiPathsToTheService() {
        assertThat(ingress.getSpec().getIngressClassName()).isNotBlank();
        List<HTTPIngressPath> paths = new ArrayList<>();
        for (IngressRule rule : ingress.getSpec().getRules()) {
            assertThat(rule.getHost()).isNotBlank();
            paths.addAll(rule.getHttp().getPaths());
        }
        assertThat(paths).isNotEmpty().allSatisfy(p -> {
            assertThat(p.getPathType()).isEqualTo("Prefix");
            assertThat(p.getPath()).startsWith(PREFIX + "/");
            IngressServiceBackend backend = p.getBackend().getService();
            assertThat(backend.getName()).isEqualTo(service.getMetadata().getName());
            List<ServicePort> ports = service.getSpec().getPorts();
            if (backend.getPort().getName() != null) {
                assertThat(ports).extracting(ServicePort::getName).contains(backend.getPort().getName());
            } else {
                assertThat(ports).extracting(ServicePort::getPort).contains(backend.getPort().getNumber());
            }
        });
    }

    @Test
    void hpaScalesTheDeploymentOnCpu() {
        var target = hpa.getSpec().getScaleTargetRef();
        assertThat(target.getApiVersion()).isEqualTo("apps/v1");
        assertThat(target.getKind()).isEqualTo("Deployment");
        assertThat(target.getName()).isEqualTo(deployment.getMetadata().getName());
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(2);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(6);
        MetricSpec cpu = hpa.getSpec().getMetrics().stream()
                .filter(m -> "Resource".equals(m.getType()) && "cpu".equals(m.getResource().getName()))
                .findFirst().orElseThrow(() -> new AssertionError("no cpu metric"));
        assertThat(cpu.getResource().getTarget().getType()).isEqualTo("Utilization");
        assertThat(cpu.getResource().getTarget().getAverageUtilization()).isEqualTo(70);
        // Utilization is relative to the request: without a cpu request the HPA cannot compute it.
        assertThat(container().getResources().getRequests()).containsKey("cpu");
    }

    @Test
    void pdbSelectsTheDeploymentsPodsAndLeavesRoomToEvict() {
        Map<String, String> selector = pdb.getSpec().getSelector().getMatchLabels();
        assertThat(selector).isNotEmpty();
        assertThat(podLabels()).containsAllEntriesOf(selector);
        assertThat(pdb.getSpec().getSelector().getMatchExpressions()).isNullOrEmpty();
        assertThat(pdb.getSpec().getMinAvailable()).isEqualTo(new IntOrString(1));
        // minAvailable below the replica floor, so that a drain can always evict one pod.
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isLessThan(hpa.getSpec().getMinReplicas());
    }

    // ---------------------------------------------------------------- helpers

    private static Map<String, Probe> probes() {
        Container c = container();
        Map<String, Probe> probes = new LinkedHashMap<>();
        probes.put("livenessProbe", c.getLivenessProbe());
        probes.put("readinessProbe", c.getReadinessProbe());
        probes.put("startupProbe", c.getStartupProbe());
        probes.values().removeIf(Objects::isNull);
        return probes;
    }

    /** The container port a named or numbered port refers to (fails when it names none). */
    private static int containerPort(IntOrString port) {
        List<ContainerPort> ports = container().getPorts();
        if (port.getStrVal() != null) {
            return ports.stream().filter(p -> port.getStrVal().equals(p.getName())).map(ContainerPort::getContainerPort)
                    .findFirst().orElseThrow(() -> new AssertionError("no container port named " + port.getStrVal()));
        }
        return ports.stream().map(ContainerPort::getContainerPort).filter(p -> p.equals(port.getIntVal()))
                .findFirst().orElseThrow(() -> new AssertionError("no container port " + port.getIntVal()));
    }

    private static VolumeMount mountAt(String path) {
        return container().getVolumeMounts().stream().filter(m -> path.equals(m.getMountPath())).findFirst()
                .orElseThrow(() -> new AssertionError("nothing mounted at " + path));
    }

    private static Volume volume(String name) {
        return podSpec().getVolumes().stream().filter(v -> name.equals(v.getName())).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static List<String> secretKeys() {
        List<String> keys = new ArrayList<>();
        if (secret.getData() != null) {
            keys.addAll(secret.getData().keySet());
        }
        if (secret.getStringData() != null) {
            keys.addAll(secret.getStringData().keySet());
        }
        return keys;
    }

    private static String secretValue(String key) {
        if (secret.getStringData() != null && secret.getStringData().containsKey(key)) {
            return secret.getStringData().get(key);
        }
        if (secret.getData() != null && secret.getData().containsKey(key)) {
            return new String(Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
        }
        throw new AssertionError("the Secret has no key " + key);
    }
}
