package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 25, metrics: every series of /metrics follows Prometheus's naming rules (those {@code promtool check
 * metrics} lints: snake_case names and labels, counters ending in {@code _total}, base units, a HELP line), every
 * family of spot-api's own carries the one prefix {@code spotapi_} (the binders' standard families keep theirs:
 * jvm_, process_, system_, jetty_), counters exist at zero before their first event, and every answer carries
 * its route template (a bad body's 400 too). When {@code promtool} is on the PATH it is run as well.
 */
class MetricNamesTest {
    /** Families that are not spot-api's own: Micrometer's JVM, process, system and Jetty binders. */
    private static final List<String> BINDER_PREFIXES = List.of("jvm_", "process_", "system_", "jetty_");
    private static final Pattern SNAKE = Pattern.compile("[a-z_:][a-z0-9_:]*");
    private static final Pattern NON_BASE_UNITS = Pattern.compile(
            "_(milliseconds|millis|ms|us|ns|sec|secs|microseconds|nanoseconds|minutes|hours|days|kilobytes"
            + "|megabytes|percent)(_|$)");

    private static TestService svc;
    private static String fresh;

    @BeforeAll
    static void start() {
        svc = TestService.start(TestService.fastSettings());
        fresh = svc.call("GET", "/metrics", null, Map.of()).body();
    }

    @AfterAll
    static void stop() {
        svc.close();
    }

    private static String afterTraffic() {
        svc.call("GET", "/ping", null, Map.of());
        svc.call("GET", "/main/instances", null);
        svc.call("GET", "/main/instances", null, Map.of()); // 403
        svc.call("POST", "/main/instances", "{not json", Map.of("X-Auth-Token", TestService.TOKEN,
                "Content-Type", "application/json")); // 400
        svc.call("GET", "/nope", null);
        svc.call("GET", "/health", null, Map.of());
        return svc.call("GET", "/metrics", null, Map.of()).body();
    }

    /** Family name by TYPE line, with its type. */
    private static Map<String, String> types(String page) {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^# TYPE (\\S+) (\\S+)$").matcher(page);
        while (m.find()) {
            out.put(m.group(1), m.group(2));
        }
        return out;
    }

    @Test
    void everyFamilyFollowsPrometheusNamingAndOwnFamiliesShareOnePrefix() {
        String page = afterTraffic();
        Map<String, String> types = types(page);
        assertThat(types).isNotEmpty();
        List<String> problems = new ArrayList<>();
        types.forEach((name, type) -> {
            if (!SNAKE.matcher(name).matches()) {
                problems.add(name + ": not snake_case");
            }
            if ("counter".equals(type) && !name.endsWith("_total")) {
                problems.add(name + ": counter without _total");
            }
            if (!"counter".equals(type) && name.endsWith("_total")) {
                problems.add(name + ": _total on a " + type);
            }
            if (!"histogram".equals(type) && !"summary".equals(type) && name.matches(".*_(count|sum|bucket)$")) {
                problems.add(name + ": _count/_sum/_bucket on a " + type);
            }
            if (NON_BASE_UNITS.matcher(name).find()) {
                problems.add(name + ": not a base unit");
            }
            if (!page.contains("# HELP " + name + " ")) {
                problems.add(name + ": no HELP");
            }
            if (!name.startsWith("spotapi_") && BINDER_PREFIXES.stream().noneMatch(name::startsWith)) {
                problems.add(name + ": neither spotapi_ nor a binder's prefix");
            }
        });
        Matcher labels = Pattern.compile("(?m)^[a-z_:][a-z0-9_:]*\\{([^}]*)}").matcher(page);
        while (labels.find()) {
            for (String pair : labels.group(1).split(",(?=[a-zA-Z_]+=\")")) {
                String label = pair.substring(0, pair.indexOf('='));
                if (!SNAKE.matcher(label).matches()) {
                    problems.add("label " + label + ": not snake_case");
                }
            }
        }
        assertThat(problems).as("naming problems").isEmpty();
        assertThat(types).containsKeys("spotapi_http_server_requests_seconds", "spotapi_spot_calls_seconds",
                "spotapi_build_info", "spotapi_auth_verify_queued", "jetty_threads_busy", "process_cpu_seconds_total",
                "jetty_connections_current_connections")
                .doesNotContainKeys("http_server_requests_seconds", "spot_calls_seconds", "build_info");
    }

    @Test
    void countersExistAtZeroBeforeTheirFirstEvent() {
        for (String account : Set.of("main", "other", "badtoken", "down", "throttled", "alias")) {
            assertThat(fresh).contains("spotapi_spot_retries_total{account=\"" + account + "\"} 0.0")
                    .contains("spotapi_spot_budget_refused_total{account=\"" + account + "\"} 0.0")
                    .contains("spotapi_spot_creates_recovery_total{account=\"" + account + "\",outcome=\"found\"} 0.0");
        }
        assertThat(fresh).containsPattern("(?m)^spotapi_tasks_total\\{[^}]*} 0\\.0$");
        for (String account : Set.of("main", "other", "badtoken", "down", "throttled", "alias")) {
            assertThat(fresh).contains("spotapi_org_refused_total{account=\"" + account
                            + "\",route=\"/v1/spot/{account}/instances/{instance}\"} 0.0")
                    .contains("spotapi_org_refused_total{account=\"" + account
                            + "\",route=\"/v1/spot/{account}/elastigroups/{elastigroup}/power\"} 0.0")
                    .contains("spotapi_optional_lookup_failures_total{account=\"" + account
                            + "\",lookup=\"managed instance status\"} 0.0");
        }
        assertThat(fresh).containsPattern("(?m)^spotapi_tasks_reaped_total\\{kind=\"[a-zA-Z_]+\"} 0\\.0$")
                .containsPattern("(?m)^spotapi_tasks_claimed_after_crash_total 0\\.0$")
                .containsPattern("(?m)^spotapi_task_duration_seconds_count\\{kind=\"[a-zA-Z_]+\",status=\"completed\"} 0(\\.0)?$")
                .containsPattern("(?m)^spotapi_task_duration_seconds_count\\{kind=\"[a-zA-Z_]+\",status=\"failed\"} 0(\\.0)?$");
    }

    /** The general rule behind the test above: no spotapi_ counter family appears only after its first event. */
    @Test
    void everyOwnCounterFamilyIsOnThePageBeforeAnyEvent() {
        Map<String, String> before = types(fresh);
        List<String> late = new ArrayList<>();
        types(afterTraffic()).forEach((name, type) -> {
            if (name.startsWith("spotapi_") && "counter".equals(type) && !before.containsKey(name)) {
                late.add(name);
            }
        });
        assertThat(late).as("spotapi_ counters that did not exist before their first event").isEmpty();
    }

    @Test
    void aBadBodyIsCountedUnderItsRouteNotUnmatched() {
        String page = afterTraffic();
        assertThat(page).containsPattern("(?m)^spotapi_http_server_requests_seconds_count\\{method=\"POST\","
                + "route=\"/v1/spot/\\{account}/instances\",status=\"400\"} [1-9]");
        assertThat(page).containsPattern("(?m)^spotapi_http_server_requests_seconds_count\\{method=\"GET\","
                + "route=\"UNMATCHED\",status=\"404\"} [1-9]");
    }

    /** promtool's own lint, where it is installed ({@code apt-get install prometheus}); the rules above always run. */
    @Test
    void promtoolFindsNothingWhenInstalled() throws Exception {
        String page = afterTraffic();
        File promtool = null;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            File f = new File(dir, "promtool");
            if (f.canExecute()) {
                promtool = f;
                break;
            }
        }
        if (promtool == null) {
            assertThat(types(page)).isNotEmpty();
            return;
        }
        Process p = new ProcessBuilder(promtool.getPath(), "check", "metrics").redirectErrorStream(true).start();
        p.getOutputStream().write(page.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).as("promtool check metrics").isBlank();
        assertThat(p.exitValue()).isZero();
    }
}
