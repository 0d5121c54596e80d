package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService.Reply;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, kind 3: every label value comes from a bounded set, so no caller can grow /metrics. Made-up
 * methods become {@code method="OTHER"}, unknown paths {@code route="UNMATCHED"}, and each series has the
 * 11 SLO buckets (+Inf), not 74.
 */
class MetricCardinalityTest extends HarnessPerClass {
    private static final int MADE_UP_METHODS = 3_000;

    @Test
    void thousandsOfMadeUpMethodsAndPathsLeaveTheScrapeSmall() throws Exception {
        AtomicInteger answered = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        for (int i = 0; i < MADE_UP_METHODS; i++) {
            String method = "M" + i + "x" + (i % 7);
            String path = i % 2 == 0 ? "/v1/spot/ping" : "/v1/spot/nope-" + i + "/x" + i;
            pool.execute(() -> {
                if (RawHttp.send(h.port(), method, path, Map.of(), null).status() > 0) {
                    answered.incrementAndGet();
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
        assertThat(answered.get()).as("every made-up request got an HTTP answer").isEqualTo(MADE_UP_METHODS);

        Reply scrape = h.svc.call("GET", "/metrics", null, Map.of());
        assertThat(scrape.status()).isEqualTo(200);
        String text = scrape.body();
        Set<String> methods = labelValues(text, "spotapi_http_server_requests_seconds_count", "method");
        Set<String> routes = labelValues(text, "spotapi_http_server_requests_seconds_count", "route");
        assertThat(methods).as("method labels").isSubsetOf("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH",
                "OTHER").contains("OTHER");
        // an unknown path needs a token too: without one it is refused (REFUSED: one label for every refusal)
        assertThat(routes).as("route labels").allSatisfy(r -> assertThat(r).matches("UNMATCHED|REFUSED|/v1/spot/.*"))
                .contains("REFUSED").noneMatch(r -> r.contains("nope-"));
        assertThat(text.length()).as("scrape size in characters").isLessThan(150_000);
        assertThat(h.metric("spotapi_http_server_requests_seconds_count", "method", "OTHER"))
                .as("the made-up requests are still counted").isGreaterThanOrEqualTo(MADE_UP_METHODS);
    }

    @Test
    void eachRequestSeriesHasTheElevenSloBucketsNotSeventyFour() {
        assertThat(h.svc.call("GET", "/ping", null, Map.of()).status()).isEqualTo(200);
        String text = h.svc.call("GET", "/metrics", null, Map.of()).body();
        Matcher m = Pattern.compile("(?m)^spotapi_http_server_requests_seconds_bucket\\{([^}]*)le=\"([^\"]+)\"")
                .matcher(text);
        Map<String, Integer> bucketsPerSeries = new java.util.HashMap<>();
        Set<String> boundaries = new TreeSet<>();
        while (m.find()) {
            String series = m.group(1).replaceAll(",?le=\"[^\"]*\"", "");
            bucketsPerSeries.merge(series, 1, Integer::sum);
            boundaries.add(m.group(2));
        }
        assertThat(bucketsPerSeries).isNotEmpty();
        assertThat(bucketsPerSeries.values()).as("buckets per series (11 + Inf)").allSatisfy(n -> assertThat(n).isEqualTo(12));
        assertThat(boundaries).contains("0.005", "0.1", "1.0", "10.0", "+Inf");
    }

    private static Set<String> labelValues(String scrape, String sample, String label) {
        Set<String> values = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(sample) + "\\{([^}]*)}").matcher(scrape);
        Pattern one = Pattern.compile("(?:^|,)" + label + "=\"([^\"]*)\"");
        while (m.find()) {
            Matcher v = one.matcher(m.group(1));
            if (v.find()) {
                values.add(v.group(1));
            }
        }
        return values;
    }
}
