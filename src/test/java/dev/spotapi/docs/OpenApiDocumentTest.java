package dev.spotapi.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Issue 6: the OpenAPI 3 document at {@code GET /v1/spot/openapi.json} describes exactly the routes the
 * server serves, with their parameters, bodies, responses and the X-Auth-Token scheme; the Swagger UI page
 * at {@code GET /v1/spot/docs} is public and loads only same-origin assets, all of which exist.
 */
@ResourceLock(TestService.SHARED)
class OpenApiDocumentTest {
    private static final String PREFIX = "/v1/spot";
    /** The routes that need no X-Auth-Token (everything else does). */
    private static final Set<String> PUBLIC_ROUTES = Set.of(
            "GET /v1/spot/ping",
            "GET /v1/spot/version",
            "GET /v1/spot/metrics",
            "GET /v1/spot/ready",
            "GET /v1/spot/health",
            "GET /v1/spot/openapi.json",
            "GET /v1/spot/docs",
            "GET /v1/spot/docs/assets/{asset}");
    /**
     * Routes kept from the Go service that always answer 501 Not Implemented: they can have no 2xx
     * response, so they must document 501 instead (and the server must really answer 501).
     */
    private static final Set<String> NOT_IMPLEMENTED = Set.of("GET /v1/spot/{account}/volumes");
    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head",
            "patch", "trace");
    private static final Pattern TEMPLATE_PARAM = Pattern.compile("\\{([^}/]+)}");

    private static TestService service;
    private static Reply documentReply;
    private static JsonNode doc;

    @BeforeAll
    static void fetchDocument() {
        service = TestService.shared();
        documentReply = anonymous("/openapi.json");
        doc = documentReply.status() == 200 ? documentReply.json() : null;
    }

    // ---- the document itself ------------------------------------------------------------------------

    @Test
    void documentIsPublicJsonAndOpenApi3() {
        assertThat(documentReply.status()).as("GET /v1/spot/openapi.json without a token: %s", documentReply)
                .isEqualTo(200);
        assertThat(documentReply.header("Content-Type")).as("Content-Type").startsWith("application/json");
        assertThat(doc.isObject()).as("the document is a JSON object").isTrue();
        assertThat(doc.path("openapi").asText()).as("openapi version field").startsWith("3.");
        assertThat(doc.path("info").path("title").asText()).as("info.title").isNotBlank();
        assertThat(doc.path("paths").isObject()).as("paths is an object").isTrue();
    }

    @Test
    void documentListsExactlyTheRoutesTheServerServes() {
        Set<String> served = new TreeSet<>(service.api.routes());
        Set<String> documented = new TreeSet<>(documentedRoutes());

        assertThat(served).as("the server serves some routes").isNotEmpty();
        Set<String> undocumented = new TreeSet<>(served);
        undocumented.removeAll(documented);
        Set<String> notServed = new TreeSet<>(documented);
        notServed.removeAll(served);
        assertThat(undocumented).as("routes the server serves but openapi.json does not describe").isEmpty();
        assertThat(notServed).as("routes openapi.json describes but the server does not serve").isEmpty();
        assertThat(documented).as("documented routes").isEqualTo(served);
        assertThat(documented).as("the public routes are all documented").containsAll(PUBLIC_ROUTES);
    }

    @Test
    void tokenSchemeIsAnApiKeyInTheXAuthTokenHeaderAndAppliesGlobally() {
        JsonNode scheme = doc.path("components").path("securitySchemes").path("XAuthToken");
        assertThat(scheme.path("type").asText()).as("XAuthToken.type in %s", scheme).isEqualTo("apiKey");
        assertThat(scheme.path("in").asText()).as("XAuthToken.in").isEqualTo("header");
        assertThat(scheme.path("name").asText()).as("XAuthToken.name").isEqualTo("X-Auth-Token");

        assertThat(requiresXAuthToken(doc.path("security")))
                .as("global security requires XAuthToken: %s", doc.path("security")).isTrue();
    }

    @Test
    void protectedOperationsRequireTheTokenAndPublicOnesDoNot() {
        List<String> problems = new ArrayList<>();
        forEachOperation((route, op) -> {
            JsonNode effective = op.has("security") ? op.get("security") : doc.path("security");
            if (PUBLIC_ROUTES.contains(route)) {
                if (!op.has("security") || !op.get("security").isArray() || !op.get("security").isEmpty()) {
                    problems.add(route + ": public, so needs \"security\": [] but has " + op.get("security"));
                }
            } else if (!requiresXAuthToken(effective)) {
                problems.add(route + ": needs X-Auth-Token but its effective security is " + effective);
            }
        });
        assertThat(problems).as("security of each operation").isEmpty();
    }

    @Test
    void documentedSecurityMatchesWhatTheServerEnforces() {
        // without a token, public routes answer and every other route refuses with 403
        List<String> problems = new ArrayList<>();
        forEachOperation((route, op) -> {
            String method = route.substring(0, route.indexOf(' '));
            String path = sample(route.substring(route.indexOf(' ') + 1)).substring(PREFIX.length());
            Reply r = service.call(method, path, "POST".equals(method) || "PUT".equals(method) ? "{}" : null,
                    Map.of());
            if (PUBLIC_ROUTES.contains(route) ? r.status() == 403 : r.status() != 403) {
                problems.add(route + " (" + method + " " + path + ") without token -> " + r.status());
            }
        });
        assertThat(problems).as("token enforcement vs the document").isEmpty();
    }

    @Test
    void everyPathTemplateParameterIsDeclaredAsARequiredPathParameter() {
        List<String> problems = new ArrayList<>();
        forEachOperation((route, op) -> {
            String path = route.substring(route.indexOf(' ') + 1);
            JsonNode pathItem = doc.path("paths").path(path);
            Set<String> declared = new LinkedHashSet<>();
            List<JsonNode> params = new ArrayList<>();
            pathItem.path("parameters").forEach(p -> params.add(resolve(p)));
            op.path("parameters").forEach(p -> params.add(resolve(p)));
            for (JsonNode p : params) {
                if ("path".equals(p.path("in").asText())) {
                    declared.add(p.path("name").asText());
                    if (!p.path("required").asBoolean(false)) {
                        problems.add(route + ": path parameter " + p.path("name").asText() + " is not required");
                    }
                    if (!p.path("schema").isObject()) {
                        problems.add(route + ": path parameter " + p.path("name").asText() + " has no schema");
                    }
                }
            }
            Set<String> inTemplate = new LinkedHashSet<>();
            Matcher m = TEMPLATE_PARAM.matcher(path);
            while (m.find()) {
                inTemplate.add(m.group(1));
            }
            for (String name : inTemplate) {
                if (!declared.contains(name)) {
                    problems.add(route + ": {" + name + "} is not declared as a path parameter");
                }
            }
            for (String name : declared) {
                if (!inTemplate.contains(name)) {
                    problems.add(route + ": declares path parameter " + name + " that is not in the template");
                }
            }
        });
        assertThat(problems).as("path parameters").isEmpty();
    }

    @Test
    void everyOperationHasASuccessResponseAndProtectedOnesDocument403() {
        List<String> problems = new ArrayList<>();
        forEachOperation((route, op) -> {
            JsonNode responses = op.path("responses");
            Set<String> codes = new TreeSet<>();
            responses.fieldNames().forEachRemaining(codes::add);
            if (NOT_IMPLEMENTED.contains(route)) {
                if (!codes.contains("501") || codes.stream().anyMatch(c -> c.startsWith("2"))) {
                    problems.add(route + ": always answers 501, so must document 501 and no 2xx (has " + codes + ")");
                }
            } else if (codes.stream().noneMatch(c -> c.startsWith("2"))) {
                problems.add(route + ": no 2xx response in " + codes);
            }
            if (!PUBLIC_ROUTES.contains(route) && !codes.contains("403")) {
                problems.add(route + ": needs a token but does not document 403 (has " + codes + ")");
            }
            responses.fields().forEachRemaining(e -> {
                if (resolve(e.getValue()).path("description").asText().isBlank()) {
                    problems.add(route + ": response " + e.getKey() + " has no description");
                }
            });
        });
        assertThat(problems).as("responses").isEmpty();
    }

    @Test
    void theNotImplementedRoutesReallyAnswer501() {
        forEachOperation((route, op) -> {
            if (NOT_IMPLEMENTED.contains(route)) {
                String method = route.substring(0, route.indexOf(' '));
                String path = sample(route.substring(route.indexOf(' ') + 1)).substring(PREFIX.length());
                Reply r = service.call(method, path, null);
                assertThat(r.status()).as("%s with a token: %s", route, r).isEqualTo(501);
            }
        });
        assertThat(documentedRoutes()).as("documented").containsAll(NOT_IMPLEMENTED);
    }

    @Test
    void postAndPutBodiesAreOpenObjectsWithAnExample() {
        List<String> problems = new ArrayList<>();
        int[] bodies = {0};
        forEachOperation((route, op) -> {
            if (!route.startsWith("POST ") && !route.startsWith("PUT ")) {
                return;
            }
            bodies[0]++;
            JsonNode media = resolve(op.path("requestBody")).path("content").path("application/json");
            if (!media.isObject()) {
                problems.add(route + ": no application/json request body");
                return;
            }
            JsonNode rawSchema = media.path("schema");
            JsonNode schema = resolve(rawSchema);
            if (!"object".equals(schema.path("type").asText())) {
                problems.add(route + ": body schema " + rawSchema + " is not type object");
            }
            // Spot objects pass through open; the small action bodies (power, capacity, scale) are closed
            // and must then name every field they take
            boolean open = schema.path("additionalProperties").isBoolean() && schema.path("additionalProperties").asBoolean();
            boolean closedWithFields = schema.path("additionalProperties").isBoolean()
                    && !schema.path("additionalProperties").asBoolean() && !schema.path("properties").isEmpty();
            if (!open && !closedWithFields) {
                problems.add(route + ": body schema " + rawSchema
                        + " is neither open (additionalProperties: true) nor closed with its properties listed");
            }
            JsonNode example = firstExample(media, schema);
            if (example == null || !example.isObject() || example.isEmpty()) {
                problems.add(route + ": body has no (non-empty object) example");
            }
        });
        assertThat(bodies[0]).as("POST/PUT operations found").isPositive();
        assertThat(problems).as("request bodies").isEmpty();
    }

    @Test
    void infoVersionIsTheServedVersion() {
        Reply version = anonymous("/version");
        assertThat(version.status()).as("GET /version: %s", version).isEqualTo(200);

        assertThat(doc.path("info").path("version").asText()).as("info.version")
                .isEqualTo(version.json().path("version").asText());
    }

    // ---- the Swagger UI page ------------------------------------------------------------------------

    @Test
    void docsPageIsPublicHtmlWithOnlySameOriginAssetsThatAllExist() {
        Reply page = anonymous("/docs");
        assertThat(page.status()).as("GET /v1/spot/docs without a token: %s", page).isEqualTo(200);
        assertThat(page.header("Content-Type")).as("Content-Type").startsWith("text/html");
        assertThat(page.body()).as("page").contains("swagger-ui");

        List<String> refs = assetReferences(page.body());
        assertThat(refs).as("script/link references in the page").isNotEmpty();
        assertThat(refs).as("no absolute (cross-origin/CDN) URLs in script or link tags")
                .noneMatch(r -> r.regionMatches(true, 0, "http://", 0, 7)
                        || r.regionMatches(true, 0, "https://", 0, 8)
                        || r.startsWith("//"));
        assertThat(page.body().toLowerCase(Locale.ROOT)).as("no CDN anywhere in the page")
                .doesNotContain("unpkg.com").doesNotContain("cdn.jsdelivr").doesNotContain("cdnjs");

        URI pageUri = URI.create(service.base + "/docs");
        List<String> broken = new ArrayList<>();
        for (String ref : refs) {
            URI asset = pageUri.resolve(ref);
            assertThat(asset.getHost() + ":" + asset.getPort()).as("asset %s is same-origin", ref)
                    .isEqualTo(pageUri.getHost() + ":" + pageUri.getPort());
            HttpResponse<byte[]> r = fetch(asset);
            if (r.statusCode() != 200 || r.body().length == 0) {
                broken.add(ref + " -> " + r.statusCode() + " (" + r.body().length + " bytes)");
            }
        }
        assertThat(broken).as("assets referenced by the page that do not answer 200").isEmpty();

        // the page points the UI at the served document
        Matcher url = Pattern.compile("url\\s*:\\s*[\"']([^\"']+)[\"']").matcher(page.body());
        assertThat(url.find()).as("SwaggerUIBundle url in the page").isTrue();
        assertThat(pageUri.resolve(url.group(1)).getPath()).as("document the UI loads")
                .isEqualTo(PREFIX + "/openapi.json");
    }

    @Test
    void unknownDocsAssetIs404NotATokenError() {
        Reply r = anonymous("/docs/assets/no-such-asset.js");
        assertThat(r.status()).as("unknown asset: %s", r).isEqualTo(404);
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private interface OperationVisitor {
        void visit(String route, JsonNode operation);
    }

    private static List<String> documentedRoutes() {
        List<String> routes = new ArrayList<>();
        forEachOperation((route, op) -> routes.add(route));
        return routes;
    }

    /** Calls the visitor with "METHOD /path" and the operation object for every operation in the document. */
    private static void forEachOperation(OperationVisitor visitor) {
        assertThat(doc).as("openapi.json was fetched and parsed: %s", documentReply).isNotNull();
        Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields();
        while (paths.hasNext()) {
            Map.Entry<String, JsonNode> path = paths.next();
            Iterator<Map.Entry<String, JsonNode>> ops = path.getValue().fields();
            while (ops.hasNext()) {
                Map.Entry<String, JsonNode> op = ops.next();
                if (HTTP_METHODS.contains(op.getKey())) {
                    visitor.visit(op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey(), op.getValue());
                }
            }
        }
    }

    /** An effective security requirement list that includes {@code {"XAuthToken": []}}. */
    private static boolean requiresXAuthToken(JsonNode security) {
        if (!security.isArray() || security.isEmpty()) {
            return false;
        }
        for (JsonNode requirement : security) {
            // every alternative must carry the token, else the token would be optional
            if (!requirement.has("XAuthToken")) {
                return false;
            }
        }
        return true;
    }

    /** Follows a local {@code $ref} ("#/components/..."), possibly chained. */
    private static JsonNode resolve(JsonNode node) {
        int hops = 0;
        while (node != null && node.has("$ref") && hops++ < 10) {
            String ref = node.get("$ref").asText();
            assertThat(ref).as("only local $refs are expected").startsWith("#/");
            JsonNode target = doc.at(ref.substring(1));
            assertThat(target.isMissingNode()).as("$ref %s resolves", ref).isFalse();
            node = target;
        }
        return node;
    }

    private static JsonNode firstExample(JsonNode media, JsonNode schema) {
        if (media.has("example")) {
            return media.get("example");
        }
        if (media.path("examples").isObject() && !media.path("examples").isEmpty()) {
            JsonNode first = resolve(media.path("examples").elements().next());
            return first.get("value");
        }
        return schema.get("example");
    }

    /** A concrete path for a template, with plausible values for its parameters. */
    private static String sample(String template) {
        return template.replace("{account}", "main")
                .replace("{elastigroup}", "sig-0a1b2c3d")
                .replace("{instance}", "smi-0a1b2c3d")
                .replace("{resource}", "sig-0a1b2c3d")
                .replace("{asset}", "swagger-ui.css")
                .replace("{roll}", "sbgd-0a1b2c3d")
                .replace("{process}", "AUTO_HEALING")
                .replaceAll("\\{[A-Za-z]+\\}", "x-0a1b2c3d");
    }

    /** The src of every script and the href of every link tag. */
    private static List<String> assetReferences(String html) {
        List<String> refs = new ArrayList<>();
        Matcher tags = Pattern.compile("<(script|link)\\b([^>]*)>", Pattern.CASE_INSENSITIVE).matcher(html);
        Pattern attr = Pattern.compile("\\b(src|href)\\s*=\\s*(?:\"([^\"]*)\"|'([^']*)'|([^\\s>]+))",
                Pattern.CASE_INSENSITIVE);
        while (tags.find()) {
            Matcher a = attr.matcher(tags.group(2));
            while (a.find()) {
                String value = a.group(2) != null ? a.group(2) : a.group(3) != null ? a.group(3) : a.group(4);
                refs.add(value.trim());
            }
        }
        return refs;
    }

    private static Reply anonymous(String path) {
        return service.call("GET", path, null, Map.of());
    }

    private static HttpResponse<byte[]> fetch(URI uri) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        try {
            return http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
