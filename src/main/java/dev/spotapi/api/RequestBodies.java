package dev.spotapi.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.json.ExactJson;
import dev.spotapi.spot.SpotSchema;
import dev.spotapi.api.http.Exchange;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a request body as one JSON object, refusing anything else with a 400 "cannot decode body: ..."
 * that says in plain words what is wrong: not JSON, not one object, invalid UTF-8, a key given twice
 * in one object, an unpaired UTF-16 surrogate (an escaped high or low surrogate alone, such as
 * backslash-u D800), nesting deeper than {@value #MAX_NESTING}, strings or numbers beyond their limits.
 * Bodies of the routes that carry a Spot object are also checked against {@link SpotSchema}: a field
 * Spot does not define, or a number Spot cannot hold, is refused with every such field named (issue 20:
 * ambiguous input is a 400, never a guess).
 */
public final class RequestBodies {
    /** Spot objects nest about six levels; anything far deeper is hostile. */
    static final int MAX_NESTING = 64;
    /** Longest string value or key, in characters. */
    static final int MAX_STRING = 1_000_000;
    /** Longest number, in characters. */
    static final int MAX_NUMBER = 100;
    /** How many offending fields a refusal names at most. */
    private static final int NAMED_AT_MOST = 20;

    private static final ObjectMapper STRICT = ExactJson.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING)
                            .maxStringLength(MAX_STRING)
                            .maxNumberLength(MAX_NUMBER)
                            .build())
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .build())
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final String ATTRIBUTE = "spot-api.body";

    /**
     * A before-matched handler for the routes in {@code bodyRoutes} ("METHOD template"): reads and
     * checks the body first, so that a bad one is refused before any other work (org check, Spot call).
     * The bodies of the routes in {@code spotObjects} are Spot objects and must also fit that schema.
     */
    public dev.spotapi.api.http.Handler checkFirst(Set<String> bodyRoutes, Map<String, SpotSchema> spotObjects) {
        return ctx -> {
            var endpoint = ctx.endpoint();
            if (endpoint == null) {
                return;
            }
            String route = ctx.method().name() + ' ' + endpoint.path;
            if (bodyRoutes.contains(route)) {
                refuseCodings(ctx);
                ObjectNode body = object(ctx);
                SpotSchema schema = spotObjects.get(route);
                if (schema != null) {
                    requireFits(body, schema, ctx.method() == dev.spotapi.api.http.Method.PUT);
                }
            }
        };
    }

    /**
     * Refuses a body in a coding spot-api does not decode, rather than read its bytes as plain JSON (attack round 7:
     * plain JSON labelled {@code Content-Encoding: gzip} was created, a real gzip body was "not valid UTF-8"):
     * a {@code Content-Encoding} other than {@code identity} is 415 with {@code Accept-Encoding: identity} (RFC 9110
     * §15.5.16); a {@code Transfer-Encoding} coding other than {@code chunked} (Jetty takes {@code gzip, chunked}
     * and removes only the chunking) is 501 (RFC 9112 §6.1).
     */
    static void refuseCodings(dev.spotapi.api.http.Exchange ctx) {
        for (String coding : codings(ctx.headers("Content-Encoding"))) {
            if (!coding.equals("identity")) {
                ctx.header("Accept-Encoding", "identity");
                throw new ApiException(415, "the body's Content-Encoding '" + clip(coding) + "' is not read: spot-api"
                        + " takes request bodies uncompressed (Content-Encoding identity, or none)");
            }
        }
        for (String coding : codings(ctx.headers("Transfer-Encoding"))) {
            if (!coding.equals("chunked")) {
                throw new ApiException(501, "the Transfer-Encoding '" + clip(coding) + "' is not implemented: only"
                        + " chunked is");
            }
        }
    }

    private static List<String> codings(List<String> headers) {
        List<String> out = new java.util.ArrayList<>();
        for (String header : headers) {
            for (String part : header.split(",")) {
                String coding = part.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT);
                if (!coding.isEmpty()) {
                    out.add(coding);
                }
            }
        }
        return out;
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /**
     * Refuses a body with fields outside {@code schema} or numbers Spot cannot hold, and (an update) a null
     * where Spot's object cannot take one ({@link SpotSchema#nullProblems}), naming each (400).
     * Nothing of such a body reaches Spot, nor does spot-api read anything from it.
     */
    static void requireFits(ObjectNode body, SpotSchema schema, boolean update) {
        List<SpotSchema.Problem> problems = new java.util.ArrayList<>(schema.problems(body));
        if (update) {
            problems.addAll(schema.nullProblems(body)); // an update's nulls go to Spot (issue 24): those it cannot take
        }
        if (problems.isEmpty()) {
            return;
        }
        List<String> unknown = problems.stream().filter(p -> SpotSchema.UNKNOWN.equals(p.reason()))
                .map(SpotSchema.Problem::path).toList();
        List<String> other = problems.stream().filter(p -> !SpotSchema.UNKNOWN.equals(p.reason()))
                .map(SpotSchema.Problem::toString).toList();
        StringBuilder message = new StringBuilder("cannot decode body: ");
        if (!unknown.isEmpty()) {
            message.append(unknown.size() == 1 ? "a field that Spot's " : "fields that Spot's ").append(schema.kind())
                    .append(" does not have: ").append(named(unknown))
                    .append(" (spot-api passes on only Spot's own fields)");
        }
        if (!other.isEmpty()) {
            message.append(unknown.isEmpty() ? "" : "; ").append(named(other));
        }
        throw ApiException.badRequest(message.toString());
    }

    /** The first {@value #NAMED_AT_MOST} items, each cut at 120 characters (they echo the caller's keys). */
    private static String named(List<String> items) {
        String shown = String.join(", ", items.subList(0, Math.min(items.size(), NAMED_AT_MOST)).stream()
                .map(item -> item.length() > 120 ? item.substring(0, 120) + "..." : item).toList());
        return items.size() > NAMED_AT_MOST ? shown + " and " + (items.size() - NAMED_AT_MOST) + " more" : shown;
    }

    /**
     * JSON text from elsewhere in a request (a query parameter's value) read as strictly as a body: a key
     * given twice, trailing tokens, deep nesting or an oversized string or number is an {@link IOException}.
     */
    static JsonNode readStrict(String json) throws IOException {
        return STRICT.readTree(json);
    }

    /** The request body as one JSON object (read once per request); 400 for anything else. */
    public ObjectNode object(Exchange ctx) {
        ObjectNode read = ctx.attribute(ATTRIBUTE);
        if (read != null) {
            return read;
        }
        ObjectNode object = parse(ctx);
        ctx.attribute(ATTRIBUTE, object);
        return object;
    }

    private ObjectNode parse(Exchange ctx) {
        byte[] bytes = ctx.bodyAsBytes(); // enforces the configured size limit (413)
        if (bytes.length == 0) {
            throw ApiException.badRequest("cannot decode body: the body is empty, a JSON object is expected");
        }
        requireStrictUtf8(bytes);
        JsonNode node;
        try {
            node = STRICT.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("cannot decode body: " + describe(e));
        } catch (IOException e) {
            throw ApiException.badRequest("cannot decode body: unreadable");
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiException.badRequest("cannot decode body: a JSON object is expected, got "
                    + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        String surrogate = unpairedSurrogate(object, "");
        if (surrogate != null) {
            throw ApiException.badRequest("cannot decode body: " + surrogate);
        }
        return object;
    }

    /**
     * Where {@code node} holds a string or key with half of a UTF-16 surrogate pair (a
     * backslash-u D800 escape without its partner: no character at all, which would reach Spot as {@code ?}),
     * or null when it holds none.
     */
    private static String unpairedSurrogate(JsonNode node, String path) {
        if (node.isTextual()) {
            return hasUnpairedSurrogate(node.textValue()) ? "the string at " + (path.isEmpty() ? "the top" : path)
                    + " holds an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF without its partner), "
                    + "which is no character" : null;
        }
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                String at = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
                if (hasUnpairedSurrogate(field.getKey())) {
                    return "a key " + (path.isEmpty() ? "at the top" : "in " + path)
                            + " holds an unpaired UTF-16 surrogate escape (\\uD800-\\uDFFF without its partner), "
                            + "which is no character";
                }
                String found = unpairedSurrogate(field.getValue(), at);
                if (found != null) {
                    return found;
                }
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                String found = unpairedSurrogate(node.get(i), path + "." + i);
                if (found != null) {
                    return found;
                }
            }
        }
        return null;
    }

    static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** Jackson's decoder tolerates overlong forms (C0 AF reads as '/'); the JDK's strict decoder does not. */
    private static void requireStrictUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes));
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("cannot decode body: it is not valid UTF-8");
        }
    }

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'", Pattern.DOTALL);
    private static final Pattern CHARACTER = Pattern.compile("Unexpected character \\('(.+?)' \\(code (\\d+)[^)]*\\)\\)");
    private static final Pattern TOKEN = Pattern.compile("Unrecognized token '(.{0,40}?)'");
    private static final Pattern NON_STANDARD = Pattern.compile("Non-standard token '(.{0,40}?)'");

    /**
     * What is wrong with the JSON, in plain words: Jackson's own messages name its settings and features
     * ({@code StreamReadConstraints}, {@code maxNestingDepth}, {@code ALLOW_COMMENTS}, ...), which mean
     * nothing to a caller. The position (line, column) is added when known.
     */
    static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        String reason = plain(e, message);
        var where = e.getLocation();
        return reason + (where == null || where.getLineNr() < 1 ? ""
                : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")");
    }

    private static String plain(JsonProcessingException e, String message) {
        Matcher m;
        if (e instanceof StreamConstraintsException) {
            if (message.contains("Nesting") || message.contains("nesting")) {
                return "it nests objects and arrays deeper than " + MAX_NESTING + " levels";
            }
            if (message.contains("Number") || message.contains("number")) {
                return "a number is longer than " + MAX_NUMBER + " characters";
            }
            if (message.contains("String") || message.contains("string") || message.contains("Name")
                    || message.contains("name")) {
                return "a string or key is longer than " + MAX_STRING + " characters";
            }
            return "it is larger or deeper than spot-api accepts";
        }
        if ((m = DUPLICATE.matcher(message)).find()) {
            String key = m.group(1);
            return "the key \"" + (key.length() > 64 ? key.substring(0, 64) + "..." : key)
                    + "\" appears more than once in one object";
        }
        if (message.toLowerCase(java.util.Locale.ROOT).contains("surrogate")) {
            return "a string or key holds an unpaired UTF-16 surrogate escape (half of a pair), which is no character";
        }
        if (message.startsWith("Trailing token")) {
            return "there is more after the JSON object (one JSON value is expected)";
        }
        if (message.contains("end-of-input")) {
            return "the JSON ends too early (an object, array or string is not closed)";
        }
        if (message.contains("comment")) {
            return "JSON has no comments";
        }
        if (message.contains("Leading zeroes") || message.contains("Leading zeros")) {
            return "a number starts with a zero (write 7, not 07)";
        }
        if ((m = NON_STANDARD.matcher(message)).find() || (m = TOKEN.matcher(message)).find()) {
            String token = m.group(1);
            if (token.equals("NaN") || token.contains("Infinity")) {
                return "'" + token + "' is not a JSON number (JSON numbers are finite)";
            }
            return "'" + token + "' is not a JSON value (strings need double quotes)";
        }
        if (message.contains("unquoted character") || message.contains("CTRL-CHAR")) {
            return "a string holds a control character (a tab, line break, ...) that must be escaped";
        }
        if (message.contains("Unrecognized character escape")) {
            return "a string holds an unknown escape (JSON knows \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)";
        }
        if ((m = CHARACTER.matcher(message)).find()) {
            String what = m.group(1);
            if (message.contains("double-quote to start field name")) {
                return "a key is not a string in double quotes (found '" + what + "')";
            }
            if (message.contains("expecting comma") || message.contains("expecting a colon")) {
                return "a comma or colon is missing (found '" + what + "')";
            }
            return "unexpected '" + what + "'";
        }
        if (message.contains("Invalid numeric value") || message.contains("Invalid number")
                || message.contains("numeric value")) {
            return "a number is not written as JSON writes numbers";
        }
        if (message.contains("UTF") || message.contains("Invalid UTF-8")) {
            return "it is not valid UTF-8";
        }
        return "it is not valid JSON";
    }
}
