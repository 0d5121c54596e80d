package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The Prometheus page reports served requests by route template and Spot calls by account and outcome. */
class MetricsTest extends ApiTestSupport {
    private static final Pattern SPOT_CALLS_OK_MAIN = Pattern.compile(
            "(?m)^spotapi_spot_calls_seconds_count\\{account=\"main\",[^}]*outcome=\"ok\"[^}]*} \\d+(\\.\\d+)?(E\\d+)?$");
    private static final Pattern INSTANCE_ROUTE = Pattern.compile(
            "(?m)^spotapi_http_server_requests_seconds_count\\{[^}]*route=\"/v1/spot/\\{account}/instances/\\{instance}\"[^}]*} \\d+");
    private static final Pattern SPOT_CALLS_REJECTED_OTHER = Pattern.compile(
            "(?m)^spotapi_spot_calls_seconds_count\\{account=\"other\",[^}]*outcome=\"rejected\"[^}]*} \\d+");

    @Test
    void afterSomeCallsTheMetricsShowSpotCallsAndRouteTemplates() {
        String id = createInstance();
        assertThat(get("/main/instances/" + id).status()).isEqualTo(200);
        assertThat(call("POST", "/other/instances", instanceBodyWithoutVpc()).status()).isEqualTo(400);

        String page = metricsEventually(INSTANCE_ROUTE);

        assertThat(SPOT_CALLS_OK_MAIN.matcher(page).find()).as("spotapi_spot_calls ok series for main in:\n%s",
                grep(page, "spotapi_spot_calls")).isTrue();
        assertThat(INSTANCE_ROUTE.matcher(page).find()).as("route template series in:\n%s",
                grep(page, "spotapi_http_server_requests_seconds_count")).isTrue();
        assertThat(SPOT_CALLS_REJECTED_OTHER.matcher(page).find()).as("rejected series for other in:\n%s",
                grep(page, "spotapi_spot_calls")).isTrue();
        assertThat(page).as("raw ids never become label values").doesNotContain(id);
    }

    @Test
    void unmatchedPathsDoNotCreateASeriesPerPath() {
        String odd = "/no-such-route-" + System.nanoTime();
        assertThat(get(odd).status()).isEqualTo(404);

        String page = metricsEventually(Pattern.compile("spotapi_http_server_requests_seconds_count"));

        assertThat(page).doesNotContain(odd);
    }

    /** spotapi_spot_calls is a histogram with exactly the server timer's buckets; spotapi_build_info names the build. */
    @Test
    void spotCallsHaveTheServerTimersHistogramBucketsAndBuildInfoIsThere() {
        assertThat(get("/main/elastigroups").status()).isEqualTo(200);
        // both timers: the request's own server timer is recorded after its reply (the first in a fresh JVM)
        String page = metricsEventually(Pattern.compile("(?s)(?=.*spotapi_spot_calls_seconds_bucket).*spotapi_http_server_requests_seconds_bucket"));
        java.util.Set<String> spot = buckets(page, "spotapi_spot_calls_seconds_bucket");
        java.util.Set<String> server = buckets(page, "spotapi_http_server_requests_seconds_bucket");
        assertThat(spot).as("spotapi_spot_calls buckets in:\n%s", grep(page, "spotapi_spot_calls")).hasSizeGreaterThan(5)
                .contains("+Inf").isEqualTo(server);
        dev.spotapi.BuildInfo build = dev.spotapi.BuildInfo.current();
        assertThat(page).containsPattern("(?m)^spotapi_build_info\\{githash=\"" + Pattern.quote(build.githash())
                + "\",version=\"" + Pattern.quote(build.version()) + "\"} 1(\\.0)?$");
    }

    private static java.util.Set<String> buckets(String page, String series) {
        java.util.Set<String> le = new java.util.TreeSet<>();
        java.util.regex.Matcher m = Pattern.compile("(?m)^" + series + "\\{.*?le=\"([^\"]+)\"").matcher(page);
        while (m.find()) {
            le.add(m.group(1));
        }
        return le;
    }

    /** The request timer is recorded after the reply is written: poll briefly until it shows up. */
    private String metricsEventually(Pattern expected) {
        String page = "";
        for (int i = 0; i < 40; i++) {
            Reply r = anonymous("GET", "/metrics");
            assertThat(r.status()).isEqualTo(200);
            page = r.body();
            if (expected.matcher(page).find()) {
                return page;
            }
            sleep(50);
        }
        return page;
    }

    private static String grep(String page, String word) {
        StringBuilder sb = new StringBuilder();
        for (String line : page.split("\n")) {
            if (line.contains(word)) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
