package dev.spotapi.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes manifests of deploy/k8s: every document loads strictly into its fabric8 model class
 * (unknown or mistyped fields fail), the objects agree with each other (selectors, names, ports, keys),
 * and the probe and scrape paths are routes the real service answers without a token.
 */
class KubernetesManifestsTest {
    static final String PREFIX = "/v1/spot";
    static final String CONFIG_PATH = "/etc/spot-api/config.json";

    static List<Manifests.Manifest> manifests;
    static Deployment deployment;
    static Service service;
    static Secret secret;
    static PodDisruptionBudget pdb;
    static HorizontalPodAutoscaler hpa;
    static Ingress ingress;

    @BeforeAll
    static void load() {
        manifests = Manifests.loadAll();
        deployment = only(Deployment.class);
        service = only(Service.class);
        secret = only(Secret.class);
        pdb = only(PodDisruptionBudget.class);
        hpa = only(HorizontalPodAutoscaler.class);
        ingress = only(Ingress.class);
    }

    private static <T extends HasMetadata> T only(Class<T> type) {
        List<T> found = manifests.stream().map(Manifests.Manifest::object).filter(type::isInstance).map(type::cast)
                .toList();
        assertThat(found).as("exactly one %s in deploy/k8s", type.getSimpleName()).hasSize(1);
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

    @Test
    void kustomizationListsEveryManifestAndOnlyExistingOnes() throws IOException {
        List<String> listed = Manifests.resources();
        List<String> onDisk;
        try (Stream<Path> files = Files.list(Manifests.DIR)) {
            onDisk = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") || n.endsWith(".yml"))
                    .filter(n -> !n.equals("kustomization.yaml"))
                    .sorted().toList();
        }
        assertThat(listed).as("resources: in kustomization.yaml").doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(onDisk);
        assertThat(Manifests.DIR.resolve("README.md")).exists();
    }

    @Test
    void kustomizationAddsTheCommonLabels() {
        JsonNode k = Manifests.kustomization();
        assertThat(k.path("apiVersion").asText()).isEqualTo("kustomize.config.k8s.io/v1beta1");
        assertThat(k.path("kind").asText()).isEqualTo("Kustomization");
        Map<String, String> labels = new LinkedHashMap<>();
        k.path("labels").forEach(set -> set.path("pairs").fields()
                .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText())));
        k.path("commonLabels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
        assertThat(labels).containsEntry("app.kubernetes.io/name", "spot-api");
    }

    @Test
    void everyKindIsPresentWithItsApiVersion() {
        Map<String, String> kinds = manifests.stream().map(Manifests.Manifest::object)
                .collect(Collectors.toMap(HasMetadata::getKind, HasMetadata::getApiVersion));
        assertThat(kinds).containsExactlyInAnyOrderEntriesOf(Map.of(
                "Deployment", "apps/v1",
                "Service", "v1",
                "Secret", "v1",
                "PodDisruptionBudget", "policy/v1",
                "HorizontalPodAutoscaler", "autoscaling/v2",
                "Ingress", "networking.k8s.io/v1"));
        manifests.forEach(m -> assertThat(m.object().getMetadata().getLabels())
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
    void deploymentRunsSeveralReplicasWithARollingUpdate() {
        assertThat(deployment.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
        assertThat(deployment.getSpec().getStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(deployment.getSpec().getStrategy().getRollingUpdate()).isNotNull();
        assertThat(deployment.getSpec().getSelector().getMatchLabels()).isNotEmpty();
        assertThat(podLabels()).containsAllEntriesOf(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(podSpec().getTerminationGracePeriodSeconds()).isEqualTo(30L);
    }

    @Test
    void containerRunsTheImageOnPort8080() {
        Container c = container();
        assertThat(c.getImage()).isEqualTo("spot-api:1.0.0");
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
        // RSS target 96 MB: the request must cover it, the limit leaves headroom.
        assertThat(Quantity.getAmountInBytes(requests.get("memory")).longValue()).isGreaterThanOrEqualTo(96L << 20);
        if (limits.containsKey("cpu")) {
            assertThat(Quantity.getAmountInBytes(limits.get("cpu")))
                    .isGreaterThanOrEqualTo(Quantity.getAmountInBytes(requests.get("cpu")));
        }
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

    /** The example config in the Secret is a config the service accepts, listening on the container port. */
    @Test
    void exampleSecretHoldsAValidConfig(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, secretValue("config.json"));
        String tokenKey = container().getEnv().stream().filter(e -> e.getName().equals(ConfigLoader.ENV_TOKEN))
                .findFirst().orElseThrow().getValueFrom().getSecretKeyRef().getKey();
        Map<String, String> env = new LinkedHashMap<>();
        env.put(ConfigLoader.ENV_TOKEN, secretValue(tokenKey));
        container().getEnv().stream().filter(e -> e.getValue() != null).forEach(e -> env.put(e.getName(), e.getValue()));

        ServiceConfig config = new ConfigLoader(env).load(file);
        assertThat(config.listenAddress()).endsWith(":8080");
        assertThat(config.token()).isEqualTo(secretValue(tokenKey));
        // Stop budget: the readiness delay plus up to 10 s of in-flight requests fit in the grace period.
        assertThat(config.shutdownDelayMs()).as("shutdownDelayMs").isPositive();
        assertThat(config.shutdownDelayMs() + 10_000)
                .isLessThan(podSpec().getTerminationGracePeriodSeconds() * 1000);
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
    void ingressRoutesTheApiPrefixToTheService() {
        assertThat(ingress.getSpec().getIngressClassName()).isNotBlank();
        List<HTTPIngressPath> paths = new ArrayList<>();
        for (IngressRule rule : ingress.getSpec().getRules()) {
            assertThat(rule.getHost()).isNotBlank();
            paths.addAll(rule.getHttp().getPaths());
        }
        assertThat(paths).isNotEmpty().allSatisfy(p -> {
            assertThat(p.getPathType()).isEqualTo("Prefix");
            assertThat(p.getPath()).isEqualTo(PREFIX);
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
        assertThat(hpa.getSpec().getMinReplicas()).isLessThanOrEqualTo(deployment.getSpec().getReplicas());
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
