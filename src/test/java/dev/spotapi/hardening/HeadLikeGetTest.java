package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 kind 5, "HEAD answers 200 where GET answers 404/400/501": on every route of the route table (and on
 * unknown paths), with valid, invalid and missing ids, good and bad query values, with and without the token,
 * HEAD answers exactly GET's status and headers, and no body.
 */
class HeadLikeGetTest extends HarnessPerClass {
    /** Headers whose value differs from one request to the next by design. */
    private static final Set<String> PER_REQUEST = Set.of("date", "x-request-id", "connection", "traceparent");

    @Test
    void headAnswersGetsStatusAndHeadersWithoutABodyOnEveryRoute() {
        String group = h.createGroup();
        String instance = h.createInstance();
        java.util.Set<String> paths = new java.util.LinkedHashSet<>();
        for (String route : h.svc.api.routes()) {
            if (!route.startsWith("GET ")) {
                continue;
            }
            String template = route.substring(4);
            for (String[] ids : List.of(new String[] {group, instance}, new String[] {"sig-0a1b2c3d", "smi-0a1b2c3d"},
                    new String[] {"not-an-id", "x%20y"})) {
                String path = template.replace("{account}", "main").replace("{elastigroup}", ids[0])
                        .replace("{instance}", ids[1]).replace("{asset}", "swagger-ui.css")
                        .replaceAll("\\{[A-Za-z]+\\}", "x-0a1b2c3d");
                paths.add(path);
                paths.add(path.replace("/main/", "/no-such-account/"));
                if (template.endsWith("/costs") || template.endsWith("/events") || template.endsWith("/logs")) {
                    paths.add(path + "?start=2026-01-01&end=2026-02-01");
                    paths.add(path + "?start=not-a-date");
                    paths.add(path + "?start=%2B999999999-12-31");
                    paths.add(path + "?limit=0&severity=LOUD");
                }
            }
        }
        paths.addAll(List.of("/v1/spot/docs/assets/no-such.css", "/v1/spot/no/such/route", "/v1/spot/main/elastigroups?space=",
                "/", "/v1/spot/main/volumes"));
        List<String> differences = new ArrayList<>();
        int compared = 0;
        for (String path : paths) {
            for (Map<String, String> auth : List.of(Map.of("X-Auth-Token", TestService.TOKEN), Map.<String, String>of(),
                    Map.of("X-Auth-Token", "wrong"))) {
                RawHttp.Answer get = RawHttp.send(h.port(), "GET", path, auth, null);
                RawHttp.Answer head = RawHttp.send(h.port(), "HEAD", path, auth, null);
                compared++;
                String what = path + (auth.isEmpty() ? " (no token)" : " (" + auth.get("X-Auth-Token").length() + "-char token)");
                if (get.status() != head.status()) {
                    differences.add(what + ": GET " + get.status() + ", HEAD " + head.status());
                    continue;
                }
                if (!head.body().isEmpty()) {
                    differences.add(what + ": HEAD has a body: " + head.body());
                }
                Map<String, String> getHeaders = stable(get.headers());
                Map<String, String> headHeaders = stable(head.headers());
                if (path.contains("metrics") || path.contains("/elastigroups?") || path.endsWith("/elastigroups")
                        || path.endsWith("/instances") || path.contains("/costs") || path.contains("/health")) {
                    // the body (metrics text, lists, costs that accrue by the second, health) may change between
                    // the two requests: compare names only
                    getHeaders.replaceAll((k, v) -> k.equals("content-length") ? "" : v);
                    headHeaders.replaceAll((k, v) -> k.equals("content-length") ? "" : v);
                }
                if (!getHeaders.equals(headHeaders)) {
                    differences.add(what + ": GET headers " + getHeaders + ", HEAD headers " + headHeaders);
                }
            }
        }
        assertThat(compared).as("requests compared").isGreaterThan(100);
        assertThat(differences).isEmpty();
    }

    private static Map<String, String> stable(Map<String, String> headers) {
        Map<String, String> out = new TreeMap<>();
        headers.forEach((k, v) -> {
            String name = k.toLowerCase(Locale.ROOT);
            if (!PER_REQUEST.contains(name)) {
                out.put(name, v);
            }
        });
        return out;
    }
}
