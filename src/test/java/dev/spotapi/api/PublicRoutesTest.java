package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/** /ping, /version and /metrics: public, no token needed. */
class PublicRoutesTest extends ApiTestSupport {

    @Test
    void pingAnswersPongAsTextWithCorsHeaderAndNoToken() {
        Reply r = anonymous("GET", "/ping");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("pong");
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        assertThat(r.header("Access-Control-Allow-Origin")).isEqualTo("*");
    }

    @Test
    void pingAlsoWorksWithAToken() {
        Reply r = get("/ping");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("pong");
    }

    @Test
    void versionIsJsonWithVersionGithashAndBuildstamp() {
        Reply r = anonymous("GET", "/version");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode v = r.json();
        for (String key : new String[] {"version", "githash", "buildstamp"}) {
            assertThat(v.path(key).isTextual()).as("%s is a string in %s", key, r.body()).isTrue();
            assertThat(v.path(key).asText()).as(key).isNotBlank();
        }
        assertThat(v.path("version").asText()).as("version stamped at build time").matches("\\d+\\.\\d+\\.\\d+.*");
    }

    @Test
    void metricsIsPrometheusTextWithRequestAndSpotCallSeries() {
        // make sure there is at least one served request and one Spot call to report
        assertThat(get("/main/instances").status()).isEqualTo(200);

        Reply r = anonymous("GET", "/metrics");

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        assertThat(r.body()).contains("# TYPE ");
        assertThat(r.body()).contains("spotapi_http_server_requests_seconds_count");
        assertThat(r.body()).contains("spotapi_spot_calls");
    }

    @Test
    void publicPathsAreExactNotPrefixes() {
        // only exactly /v1/spot/ping, /version and /metrics are public
        assertThat(anonymous("GET", "/ping/extra").status()).isEqualTo(403);
        assertThat(anonymous("GET", "/metrics/x").status()).isEqualTo(403);
    }
}
