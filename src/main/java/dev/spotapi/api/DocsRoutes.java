package dev.spotapi.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.BuildInfo;
import dev.spotapi.api.http.Exchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OpenAPI document and the Swagger UI page, served from the jar (the UI from its webjar, no CDN). The
 * document and the assets are written without a thread ({@link StaticBodies}).
 */
final class DocsRoutes {
    static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/5.32.6/";
    private static final Map<String, String> ASSETS = Map.of(
            "swagger-ui.css", "text/css; charset=utf-8",
            "index.css", "text/css; charset=utf-8",
            "swagger-ui-bundle.js", "text/javascript; charset=utf-8",
            "swagger-ui-standalone-preset.js", "text/javascript; charset=utf-8",
            "favicon-32x32.png", "image/png",
            "favicon-16x16.png", "image/png");
    private static final String PAGE = """
            <!doctype html>
            <html lang="en">
            <head>
              <meta charset="utf-8">
              <title>spot-api — API docs</title>
              <link rel="icon" type="image/png" href="%1$s/docs/assets/favicon-32x32.png">
              <link rel="stylesheet" href="%1$s/docs/assets/swagger-ui.css">
            </head>
            <body>
              <div id="swagger-ui"></div>
              <script src="%1$s/docs/assets/swagger-ui-bundle.js"></script>
              <script>
                window.ui = SwaggerUIBundle({
                  url: "%1$s/openapi.json",
                  dom_id: "#swagger-ui",
                  deepLinking: true,
                  persistAuthorization: true,
                  tryItOutEnabled: true
                });
              </script>
            </body>
            </html>
            """.formatted(Routes.PREFIX);

    private final Replies replies;
    private final ObjectMapper mapper;
    /** The OpenAPI document (~0.5 MB), built on its first request: parsing it costs start-up time. */
    private volatile Served openApi;
    private final Map<String, Served> loaded = new ConcurrentHashMap<>();

    /** A document served as it is, with its entity tag (a strong one: a hash of its bytes). */
    private record Served(ByteBuffer body, String etag) {
        static Served of(byte[] bytes) {
            return new Served(StaticBodies.shared(bytes), '"' + dev.spotapi.shared.Hashes.sha256Hex(bytes).substring(0, 32) + '"');
        }
    }

    DocsRoutes(Replies replies, ObjectMapper mapper) {
        this.replies = replies;
        this.mapper = mapper;
    }

    /**
     * {@code openapi.json} with its {@code ETag} ({@code Cache-Control: no-cache}: revalidated each time); a request whose
     * {@code If-None-Match} names it is a 304 without the ~380 KB body (attack round 14: no validator, every poll of a
     * public route sent the whole document again).
     */
    void openApi(Exchange ctx) {
        ctx.header("Cache-Control", "no-cache");
        send(ctx, Replies.JSON, openApiDocument());
    }

    private Served openApiDocument() {
        Served doc = openApi;
        if (doc == null) {
            synchronized (this) {
                doc = openApi;
                if (doc == null) {
                    doc = Served.of(loadOpenApi(mapper));
                    openApi = doc;
                }
            }
        }
        return doc;
    }

    /** {@code doc} with its {@code ETag}, or 304 without a body when the request's {@code If-None-Match} names it. */
    private static void send(Exchange ctx, String type, Served doc) {
        ctx.header("ETag", doc.etag());
        String tags = ctx.header("If-None-Match");
        if (tags != null && matches(tags, doc.etag())) {
            // RFC 9110 §8.6: a 304 carries no Content-Length, or the 200's: the 200's (Jetty wrote 0 for none,
            // which a cache could take for the document's new length; attack round 15)
            ctx.status(304).header("Content-Length", Integer.toString(doc.body().remaining()));
            return;
        }
        StaticBodies.send(ctx, type, doc.body());
    }

    /** RFC 9110 §13.1.2: {@code *}, or a list of entity tags compared weakly (a {@code W/} prefix ignored). */
    private static boolean matches(String ifNoneMatch, String etag) {
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.strip();
            if (t.equals("*") || (t.startsWith("W/") ? t.substring(2) : t).equals(etag)) {
                return true;
            }
        }
        return false;
    }

    void page(Exchange ctx) {
        ctx.contentType("text/html; charset=utf-8").result(PAGE);
    }

    void asset(Exchange ctx) {
        String name = ctx.pathParam("asset");
        String type = ASSETS.get(name);
        if (type == null) {
            throw ApiException.notFound("no such docs asset");
        }
        ctx.header("Cache-Control", "public, max-age=86400");
        send(ctx, type, loaded.computeIfAbsent(name, n -> Served.of(resource(SWAGGER_UI + n))));
    }

    private static byte[] loadOpenApi(ObjectMapper mapper) {
        try {
            ObjectNode doc = (ObjectNode) mapper.readTree(resource("openapi.json"));
            ((ObjectNode) doc.path("info")).put("version", BuildInfo.current().version());
            return mapper.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new UncheckedIOException("openapi.json is unreadable", e);
        }
    }

    private static byte[] resource(String path) {
        try (InputStream in = DocsRoutes.class.getClassLoader().getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + path);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
