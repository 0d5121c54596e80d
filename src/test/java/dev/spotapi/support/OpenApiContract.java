package dev.spotapi.support;

import com.atlassian.oai.validator.OpenApiInteractionValidator;
import com.atlassian.oai.validator.model.Request;
import com.atlassian.oai.validator.model.SimpleRequest;
import com.atlassian.oai.validator.model.SimpleResponse;
import com.atlassian.oai.validator.report.ValidationReport;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The service's OpenAPI document (src/main/resources/openapi.json) as a contract every black-box
 * test's exchange must satisfy; {@link TestService} checks each reply it gets from spot-api.
 *
 * <p>Checked, with Atlassian's swagger-request-validator plus a few rules of our own:
 * <ul>
 *   <li>every response: status documented for the operation, body and content type against its
 *       schema, declared headers present and well-formed;</li>
 *   <li>every response header that is not plain HTTP plumbing (Date, Content-Type, CORS, …) is
 *       declared for that operation and status: X-Request-Id, Retry-After, Allow, …;</li>
 *   <li>a request the service accepted (2xx) is valid against the document: parameters, content
 *       type, body schema (so the document's schemas admit what the service accepts, JSON nulls
 *       included);</li>
 *   <li>a 405 (a method the path does not have) carries an {@code Allow} header listing exactly the
 *       document's methods of that path, and the documented {@code MethodNotAllowed} response;</li>
 *   <li>a path the document does not have answers the documented {@code NotFound} (or, before
 *       routing, {@code Forbidden}) error.</li>
 * </ul>
 * A violation is an {@link AssertionError} naming the exchange and every message.
 */
public final class OpenApiContract {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Headers of HTTP itself (or of CORS, which any route may answer), not of the API. */
    private static final Set<String> PLUMBING = Set.of("date", "content-type", "content-length", "server",
            "connection", "transfer-encoding", "keep-alive", "vary", "content-encoding");
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

    private static volatile OpenApiContract instance;

    private final OpenApiInteractionValidator validator;
    private final JsonNode document;
    private final List<PathTemplate> paths = new ArrayList<>();

    private OpenApiContract(String text) {
        try {
            this.document = JSON.readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.validator = OpenApiInteractionValidator.createForInlineApiSpecification(text).build();
        document.path("paths").fieldNames().forEachRemaining(p -> paths.add(new PathTemplate(p)));
    }

    /** The contract of the document on the test class path (the one the service serves). */
    public static OpenApiContract get() {
        OpenApiContract c = instance;
        if (c == null) {
            synchronized (OpenApiContract.class) {
                c = instance;
                if (c == null) {
                    try (InputStream in = OpenApiContract.class.getResourceAsStream("/openapi.json")) {
                        if (in == null) {
                            throw new IllegalStateException("openapi.json is not on the class path");
                        }
                        c = new OpenApiContract(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    instance = c;
                }
            }
        }
        return c;
    }

    /**
     * Checks one exchange with spot-api; {@code url} is the full request URL, {@code requestHeaders}
     * what the test sent, {@code requestBody} the bytes sent (null for none).
     */
    public void check(String method, URI url, Map<String, String> requestHeaders, byte[] requestBody, int status,
            Map<String, List<String>> responseHeaders, String responseBody) {
        String path = url.getRawPath();
        List<String> problems = new ArrayList<>();
        String template = templateOf(path);
        String m = method.toLowerCase(Locale.ROOT);
        if (!METHODS.contains(m)) {
            return; // e.g. a made-up method of a hostile-input test: no operation to hold it against
        }
        if (m.equals("options")) {
            return; // a CORS preflight, answered by the CORS layer for any path (see AuthAndCorsTest)
        }
        JsonNode pathItem = template == null ? null : document.path("paths").path(template);
        if (template == null) {
            // Not a path of the document: only the documented 404 (or 403 before routing) may answer it.
            if (status != 404 && status != 403) {
                problems.add("path is not in the document, yet the status is " + status
                        + " (only 404 NotFound and 403 Forbidden are documented)");
            } else {
                checkAgainst(status == 404 ? "NotFound" : "Forbidden", responseHeaders, responseBody, problems);
            }
        } else if (!pathItem.has(m)) {
            if (status != 405) {
                problems.add(method + " is not an operation of " + template + ", yet the status is " + status
                        + " (only 405 is documented)");
            } else {
                Set<String> documented = new TreeSet<>();
                pathItem.fieldNames().forEachRemaining(f -> {
                    if (METHODS.contains(f)) {
                        documented.add(f.toUpperCase(Locale.ROOT));
                    }
                });
                String allow = header(responseHeaders, "allow");
                Set<String> allowed = new TreeSet<>();
                if (allow != null) {
                    for (String a : allow.split(",")) {
                        if (!a.isBlank()) {
                            allowed.add(a.strip().toUpperCase(Locale.ROOT));
                        }
                    }
                }
                allowed.remove("HEAD");
                allowed.remove("OPTIONS");
                if (!allowed.equals(documented)) {
                    problems.add("405 Allow: " + allow + " but the document's methods of " + template + " are "
                            + documented);
                }
                checkAgainst("MethodNotAllowed", responseHeaders, responseBody, problems);
            }
        } else {
            SimpleResponse.Builder response = SimpleResponse.Builder.status(status);
            responseHeaders.forEach((k, v) -> {
                if (k != null && !k.startsWith(":")) {
                    response.withHeader(k, v);
                }
            });
            if (responseBody != null && !responseBody.isEmpty()) {
                response.withBody(responseBody);
            }
            report(validator.validateResponse(path, Request.Method.valueOf(method.toUpperCase(Locale.ROOT)),
                    response.build()), problems);
            JsonNode declared = pathItem.path(m).path("responses").path(Integer.toString(status));
            if (declared.isMissingNode()) {
                declared = pathItem.path(m).path("responses").path("default");
            }
            undeclaredHeaders(resolve(declared), responseHeaders, problems);
            if (status >= 200 && status < 300) {
                report(validator.validateRequest(request(method, url, requestHeaders, requestBody)), problems);
            }
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("reply does not match openapi.json: " + method + " " + url.getRawPath()
                    + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery()) + " -> " + status + " "
                    + abbreviate(responseBody) + "\n  - " + String.join("\n  - ", problems));
        }
    }

    /** The response against components/responses/NAME (schema and declared headers). */
    private void checkAgainst(String component, Map<String, List<String>> headers, String body, List<String> problems) {
        JsonNode declared = document.path("components").path("responses").path(component);
        if (declared.isMissingNode()) {
            problems.add("the document has no components/responses/" + component);
            return;
        }
        undeclaredHeaders(declared, headers, problems);
        declared.path("headers").fields().forEachRemaining(h -> {
            if (h.getValue().path("required").asBoolean(false) && header(headers, h.getKey()) == null) {
                problems.add("header " + h.getKey() + " of " + component + " is missing");
            }
        });
        if (body == null || body.isEmpty()) {
            problems.add(component + " has a body, the reply none");
            return;
        }
        // The body: JSON holding the required fields of the component's schema.
        JsonNode schema = declared.path("content").path("application/json").path("schema");
        String ref = schema.path("$ref").asText("");
        if (!ref.isEmpty()) {
            try {
                JsonNode parsed = JSON.readTree(body);
                for (Iterator<String> it = requiredOf(ref); it.hasNext(); ) {
                    String field = it.next();
                    if (!parsed.has(field)) {
                        problems.add(component + " body lacks required field " + field);
                    }
                }
            } catch (IOException e) {
                problems.add(component + " body is not JSON");
            }
        }
    }

    private Iterator<String> requiredOf(String ref) {
        List<String> names = new ArrayList<>();
        document.path("components").path("schemas").path(ref.substring(ref.lastIndexOf('/') + 1)).path("required")
                .forEach(n -> names.add(n.asText()));
        return names.iterator();
    }

    private JsonNode resolve(JsonNode node) {
        String ref = node.path("$ref").asText("");
        if (ref.startsWith("#/components/responses/")) {
            return document.path("components").path("responses").path(ref.substring(ref.lastIndexOf('/') + 1));
        }
        return node;
    }

    private static void undeclaredHeaders(JsonNode declared, Map<String, List<String>> headers, List<String> problems) {
        Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        declared.path("headers").fieldNames().forEachRemaining(names::add);
        headers.keySet().forEach(h -> {
            if (h == null || h.startsWith(":")) {
                return;
            }
            String lower = h.toLowerCase(Locale.ROOT);
            if (!PLUMBING.contains(lower) && !lower.startsWith("access-control-") && !names.contains(h)) {
                problems.add("response header " + h + " is not declared for this status");
            }
        });
    }

    private static SimpleRequest request(String method, URI url, Map<String, String> headers, byte[] body) {
        SimpleRequest.Builder b = new SimpleRequest.Builder(method.toUpperCase(Locale.ROOT), url.getRawPath());
        headers.forEach(b::withHeader);
        if (body != null && body.length > 0) {
            b.withBody(body);
        }
        Map<String, List<String>> query = new LinkedHashMap<>();
        if (url.getRawQuery() != null) {
            for (String pair : url.getRawQuery().split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                query.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            }
        }
        query.forEach(b::withQueryParam);
        return b.build();
    }

    private static void report(ValidationReport report, List<String> problems) {
        for (ValidationReport.Message msg : report.getMessages()) {
            if (msg.getLevel() == ValidationReport.Level.ERROR) {
                problems.add(msg.getKey() + ": " + msg.getMessage()
                        + (msg.getAdditionalInfo().isEmpty() ? "" : " " + msg.getAdditionalInfo()));
            }
        }
    }

    /** The document's path template matching {@code rawPath}, or null when none does. */
    String templateOf(String rawPath) {
        for (PathTemplate t : paths) {
            if (t.literal && t.pattern.matcher(rawPath).matches()) {
                return t.template;
            }
        }
        for (PathTemplate t : paths) {
            if (t.pattern.matcher(rawPath).matches()) {
                return t.template;
            }
        }
        return null;
    }

    private static String header(Map<String, List<String>> headers, String name) {
        return headers.entrySet().stream().filter(e -> e.getKey() != null && e.getKey().equalsIgnoreCase(name))
                .map(e -> String.join(",", e.getValue())).findFirst().orElse(null);
    }

    private static String abbreviate(String body) {
        if (body == null) {
            return "";
        }
        return body.length() > 300 ? body.substring(0, 300) + "…" : body;
    }

    private static final class PathTemplate {
        final String template;
        final Pattern pattern;
        final boolean literal;

        PathTemplate(String template) {
            this.template = template;
            this.literal = !template.contains("{");
            StringBuilder re = new StringBuilder();
            for (String part : template.split("(?=\\{)|(?<=})")) {
                re.append(part.startsWith("{") ? "[^/]+" : Pattern.quote(part));
            }
            this.pattern = Pattern.compile(re.toString());
        }
    }
}
