package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigException;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10, kind 1: who needs a token is decided by the endpoint a request matches (method and route
 * template), never by a path prefix; no account can be named like a public route; the OpenAPI document
 * has no ambiguous paths. Kind 2 (method tunnelling) is {@link MethodTunnellingTest}.
 */
class EndpointAccessTest extends HarnessPerClass {
    private static final Set<String> PUBLIC = Set.of("GET /v1/spot/ping", "GET /v1/spot/version",
            "GET /v1/spot/metrics", "GET /v1/spot/ready", "GET /v1/spot/health", "GET /v1/spot/openapi.json", "GET /v1/spot/docs",
            "GET /v1/spot/docs/assets/{asset}");
    private static final List<String> METHODS = List.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "TRACE",
            "PROPFIND", "M123x1");

    @ParameterizedTest
    @ValueSource(strings = {"docs", "ping", "version", "metrics", "ready", "health", "openapi.json", "Docs", "PING"})
    void anAccountNamedLikeAPublicRouteIsRefusedAtConfigLoad(String name) {
        ServiceConfig config = new ServiceConfig("127.0.0.1:0", Map.of(name, new AccountConfig("us-east-1",
                TestService.MAIN_ID, "main-spot-token", null, "http://127.0.0.1:9")), TestService.KEY, "info", "text",
                TestService.ORG, 0, Harness.quick());
        assertThatThrownBy(() -> ConfigLoader.validate(config))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("accounts." + name)
                .hasMessageContaining("public route");
    }

    @Test
    void everyEndpointThatIsNotPublicNeedsATokenWhateverTheMethod() {
        List<String> leaks = new ArrayList<>();
        int tried = 0;
        for (String route : h.svc.api.routes()) {
            String template = route.substring(route.indexOf(' ') + 1);
            String path = sample(template);
            for (String method : METHODS) {
                boolean isPublic = PUBLIC.contains(method + " " + template)
                        || ("HEAD".equals(method) && PUBLIC.contains("GET " + template));
                RawHttp.Answer a = RawHttp.send(h.port(), method, path, Map.of("Content-Type", "application/json"),
                        "{}".getBytes());
                tried++;
                if (!isPublic && a.status() != 403) {
                    leaks.add(method + " " + path + " without a token -> " + a);
                }
                if (isPublic && a.status() >= 400 && !path.contains("no-such")) {
                    leaks.add(method + " " + path + " is public but answered " + a);
                }
            }
        }
        assertThat(tried).as("routes x methods tried").isGreaterThan(100);
        assertThat(leaks).isEmpty();
    }

    @Test
    void aPathUnderAPublicPrefixIsNotPublic() {
        for (String path : List.of("/v1/spot/docs/instances", "/v1/spot/docs/elastigroups", "/v1/spot/docs/assets",
                "/v1/spot/docs/assets/x/y", "/v1/spot/ping/instances", "/v1/spot/metrics/x",
                "/v1/spot/docs/assets/../../main/instances", "/v1/spot/openapi.json/x")) {
            for (String method : List.of("GET", "POST", "PUT", "DELETE")) {
                RawHttp.Answer a = RawHttp.send(h.port(), method, path, Map.of("Content-Type", "application/json"),
                        Harness.instanceBody("x").toString().getBytes());
                assertThat(a.status()).as("%s %s without a token: %s", method, path, a).isIn(400, 403);
            }
        }
        assertThat(h.storedAll(Harness.INSTANCES)).as("nothing was created in Spot").isEmpty();
    }

    @Test
    void publicEndpointsNeedNoTokenAndUnknownRoutesStill403() {
        for (String path : List.of("/v1/spot/ping", "/v1/spot/version", "/v1/spot/ready", "/v1/spot/openapi.json",
                "/v1/spot/docs", "/v1/spot/docs/assets/swagger-ui.css")) {
            assertThat(RawHttp.send(h.port(), "GET", path, Map.of(), null).status()).as("GET %s", path).isEqualTo(200);
            assertThat(RawHttp.send(h.port(), "HEAD", path, Map.of(), null).status()).as("HEAD %s", path).isEqualTo(200);
        }
        for (String path : List.of("/", "/v1/spot", "/v1/spot/admin", "/v1/spot/main", "/v1/spot/docs/assets/")) {
            assertThat(RawHttp.send(h.port(), "GET", path, Map.of(), null).status()).as("GET %s", path).isEqualTo(403);
        }
    }

    @Test
    void theOpenApiDocumentHasNoAmbiguousPaths() {
        JsonNode doc = h.svc.call("GET", "/openapi.json", null, Map.of()).json();
        List<String> paths = new ArrayList<>();
        for (Iterator<String> it = doc.path("paths").fieldNames(); it.hasNext(); ) {
            paths.add(it.next());
        }
        assertThat(paths).hasSizeGreaterThan(10);
        List<String> ambiguous = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) {
            for (int j = i + 1; j < paths.size(); j++) {
                if (ambiguous(paths.get(i), paths.get(j)) && !EXPIRY_SERVICE_TAGS.equals(paths.get(i))
                        && !EXPIRY_SERVICE_TAGS.equals(paths.get(j))) {
                    ambiguous.add(paths.get(i) + " vs " + paths.get(j));
                }
            }
        }
        assertThat(ambiguous).as("pairs of paths one URL could match (Redocly's no-ambiguous-paths)").isEmpty();
    }

    /**
     * The one path allowed to overlap others: the expiry service's own URL form {@code <endpoint>/<org>/<id>/tags}
     * (issue 23), which it cannot change. The overlap is only on literals no id can take: {@code {resource}}
     * is a {@code sig-}/{@code smi-} id (anything else 404, {@link #theExpiryServicesTagsRouteNeverShadowsAnother}),
     * and the routes with a literal there ({@code /instances/...}, {@code /imports/...}) are matched first.
     */
    static final String EXPIRY_SERVICE_TAGS = "/v1/spot/{account}/{resource}/tags";

    @Test
    void theExpiryServicesTagsRouteNeverShadowsAnother() {
        // a URL that both the expiry service's tags route and a fixed route could match goes to the fixed one
        assertThat(h.get("/main/instances/tags").status()).isEqualTo(404);
        assertThat(h.get("/main/imports/tags").status()).isEqualTo(404);
        assertThat(h.get("/docs/assets/tags").status()).isEqualTo(404);
        // and a path that is no id is no resource
        assertThat(h.get("/main/not-an-id/tags").status()).isEqualTo(404);
    }

    /** Redocly's rule: same number of segments, and at every position equal literals or a template on either side. */
    static boolean ambiguous(String a, String b) {
        String[] x = a.split("/");
        String[] y = b.split("/");
        if (x.length != y.length) {
            return false;
        }
        for (int i = 0; i < x.length; i++) {
            boolean template = x[i].startsWith("{") || y[i].startsWith("{");
            if (!template && !x[i].equals(y[i])) {
                return false;
            }
        }
        return true;
    }

    private static String sample(String template) {
        return template.replace("{account}", "main")
                .replace("{elastigroup}", "sig-0a1b2c3d")
                .replace("{instance}", "smi-0a1b2c3d")
                .replace("{asset}", "swagger-ui.css")
                .replaceAll("\\{[A-Za-z]+\\}", "x-0a1b2c3d");
    }
}
