package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.SpotApi;
import dev.spotapi.config.ConfigException;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * CORS as a browser on a portal sees it: the preflight of a JSON POST (Content-Type, X-Request-Id,
 * X-Auth-Token, Idempotency-Key, X-Spinup-User) passes, answers expose X-Request-Id and Retry-After,
 * and {@code corsOrigins} limits the origins.
 */
class CorsTest extends ApiTestSupport {
    private static final String PORTAL = "https://portal.example.com";
    private static final Map<String, String> PREFLIGHT = Map.of("Origin", PORTAL,
            "Access-Control-Request-Method", "POST",
            "Access-Control-Request-Headers", "content-type,x-request-id,x-auth-token,idempotency-key,x-spinup-user");

    @Test
    void aJsonPostsPreflightIsAllowedFromAnyOriginByDefault() {
        Reply r = svc.call("OPTIONS", "/main/instances", null, PREFLIGHT);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(list(r.header("Access-Control-Allow-Headers")))
                .contains("content-type", "x-request-id", "x-auth-token", "idempotency-key", "x-spinup-user");
        assertThat(list(r.header("Access-Control-Allow-Methods"))).contains("post", "put", "delete", "get");
        assertThat(r.header("Access-Control-Max-Age")).matches("[1-9][0-9]*");
    }

    @Test
    void answersExposeTheRequestIdAndRetryAfter() {
        Reply ok = svc.call("GET", "/main/instances", null, Map.of("X-Auth-Token", TestService.TOKEN, "Origin", PORTAL));
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.header("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(list(ok.header("Access-Control-Expose-Headers"))).contains("x-request-id", "retry-after");
        Reply refused = svc.call("GET", "/main/instances", null, Map.of("Origin", PORTAL));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(list(refused.header("Access-Control-Expose-Headers"))).contains("x-request-id");
    }

    @Test
    void configuredOriginsAreTheOnlyOnesAllowed() {
        ServiceConfig base = TestService.config(svc.simBase, TestService.fastSettings());
        ServiceConfig limited = ConfigLoader.validate(base.withCorsOrigins(List.of(PORTAL, "http://localhost:3000")));
        try (SpotApi api = SpotApi.start(limited)) {
            String url = "http://127.0.0.1:" + api.port() + "/v1/spot";
            Reply allowed = RawCall.send(url + "/main/instances", "OPTIONS", PREFLIGHT);
            assertThat(allowed.status()).isEqualTo(200);
            assertThat(allowed.header("Access-Control-Allow-Origin")).isEqualTo(PORTAL);
            assertThat(allowed.header("Vary")).containsIgnoringCase("Origin");
            assertThat(list(allowed.header("Access-Control-Allow-Headers"))).contains("content-type", "x-request-id");

            Reply other = RawCall.send(url + "/main/instances", "OPTIONS",
                    Map.of("Origin", "https://evil.example.net", "Access-Control-Request-Method", "POST"));
            assertThat(other.header("Access-Control-Allow-Origin")).isNull();
            assertThat(other.header("Access-Control-Allow-Headers")).isNull();

            Reply get = RawCall.send(url + "/ping", "GET", Map.of("Origin", "http://localhost:3000"));
            assertThat(get.header("Access-Control-Allow-Origin")).isEqualTo("http://localhost:3000");
            assertThat(RawCall.send(url + "/ping", "GET", Map.of("Origin", "https://evil.example.net"))
                    .header("Access-Control-Allow-Origin")).isNull();
        }
    }

    @Test
    void aBodyOverTheSizeLimitIsA413TheBrowserCanRead() {
        // Jetty refuses it before Javalin (SizeLimitHandler): its error answer carries the CORS headers too
        java.net.URI base = java.net.URI.create(svc.base);
        dev.spotapi.support.RawHttp.Answer a = dev.spotapi.support.RawHttp.send(base.getPort(), "POST",
                base.getPath() + "/main/instances", Map.of("X-Auth-Token", TestService.TOKEN, "Origin", PORTAL,
                        "Content-Type", "application/json", "Content-Length", Long.toString(2L * 1024 * 1024),
                        "Expect", "100-continue"), null);
        assertThat(a.failure()).as("an HTTP answer: %s", a).isNull();
        assertThat(a.status()).isEqualTo(413);
        Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        headers.putAll(a.headers());
        assertThat(headers.get("Access-Control-Allow-Origin")).isEqualTo("*");
        assertThat(list(headers.get("Access-Control-Expose-Headers"))).contains("x-request-id");
        assertThat(headers.get("X-Request-Id")).isNotBlank();
    }

    @Test
    void corsOriginsAreValidated() {
        ServiceConfig base = TestService.config(svc.simBase, TestService.fastSettings());
        for (List<String> bad : List.of(List.of("portal.example.com"), List.of("https://x.example.com/path"),
                List.of("*", PORTAL))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.validate(base.withCorsOrigins(bad)))
                    .isInstanceOf(ConfigException.class).hasMessageStartingWith("corsOrigins: ");
        }
    }

    private static Set<String> list(String header) {
        assertThat(header).isNotNull();
        return Arrays.stream(header.split(",")).map(s -> s.strip().toLowerCase(Locale.ROOT))
                .collect(Collectors.toSet());
    }

    /** A plain HTTP call (the second service is not TestService's). */
    private static final class RawCall {
        private static final java.net.http.HttpClient HTTP = java.net.http.HttpClient.newHttpClient();

        static Reply send(String url, String method, Map<String, String> headers) {
            try {
                var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                        .method(method, java.net.http.HttpRequest.BodyPublishers.noBody());
                headers.forEach(b::header);
                var r = HTTP.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                return new Reply(r.statusCode(), r.body(), r.headers().map());
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
