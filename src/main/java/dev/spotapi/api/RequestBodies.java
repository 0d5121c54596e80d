package dev.spotapi.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.json.ExactJson;
import io.javalin.http.Context;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reads a request body as one JSON object, refusing anything else with a 400. */
public final class RequestBodies {
    /** Spot objects nest about six levels; anything far deeper is hostile. */
    static final int MAX_NESTING = 64;

    private final ObjectMapper strict = ExactJson.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_NESTING)
                            .maxStringLength(1_000_000)
                            .maxNumberLength(100)
                            .build())
                    .build())
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final String ATTRIBUTE = "spot-api.body";

    /**
     * A before-matched handler for the routes in {@code bodyRoutes} ("METHOD template"): reads and
     * checks the body first, so that a bad one is refused before any other work (org check, Spot call).
     */
    public io.javalin.http.Handler checkFirst(java.util.Set<String> bodyRoutes) {
        return ctx -> {
            var endpoint = ctx.endpoints().matchedHttpEndpoint();
            if (endpoint != null && bodyRoutes.contains(ctx.method().name() + ' ' + endpoint.path)) {
                object(ctx);
            }
        };
    }

    /** The request body as one JSON object (read once per request); 400 for anything else. */
    public ObjectNode object(Context ctx) {
        ObjectNode read = ctx.attribute(ATTRIBUTE);
        if (read != null) {
            return read;
        }
        ObjectNode object = parse(ctx);
        ctx.attribute(ATTRIBUTE, object);
        return object;
    }

    private ObjectNode parse(Context ctx) {
        byte[] bytes = ctx.bodyAsBytes(); // enforces the configured size limit (413)
        if (bytes.length == 0) {
            throw ApiException.badRequest("cannot decode body: the body is empty, a JSON object is expected");
        }
        requireStrictUtf8(bytes);
        JsonNode node;
        try {
            node = strict.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("cannot decode body: " + describe(e));
        } catch (IOException e) {
            throw ApiException.badRequest("cannot decode body: unreadable");
        }
        if (!(node instanceof ObjectNode object)) {
            throw ApiException.badRequest("cannot decode body: a JSON object is expected, got "
                    + (node == null ? "nothing" : node.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
        }
        return object;
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

    private static String describe(JsonProcessingException e) {
        String message = e.getOriginalMessage();
        if (message == null) {
            return "invalid JSON";
        }
        // keep the reason, drop Jackson's echo of the input (it may be long or binary)
        int cut = message.indexOf('\n');
        String reason = cut < 0 ? message : message.substring(0, cut);
        if (reason.length() > 200) {
            reason = reason.substring(0, 200) + "...";
        }
        var where = e.getLocation();
        return reason + (where == null ? "" : " (line " + where.getLineNr() + ", column " + where.getColumnNr() + ")");
    }
}
