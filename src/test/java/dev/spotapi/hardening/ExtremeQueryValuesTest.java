package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 kind 5, "Extreme dates on group logs answer 500 (long overflow) and on events a 502 carrying the
 * simulator's Java exception text": every date and number query parameter of every route, at the extremes
 * (year 0, -999999999, +999999999, Long.MAX_VALUE, huge epoch milliseconds, negative, overlong), answers 200
 * or a 400 naming the parameter, never a 5xx; and no answer carries Java exception text, not even when Spot's
 * own error message does.
 */
class ExtremeQueryValuesTest extends HarnessPerClass {
    private static final List<String> EXTREMES = List.of("0000-01-01", "0000-01-01T00:00:00Z", "-999999999-01-01",
            "-999999999-01-01T00:00:00Z", "+999999999-12-31", "+999999999-12-31T23:59:59Z", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "99999999999999999999", "999999999999999", "-1",
            "1e400", "NaN", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "9999-12-31", "2026-02-30",
            "2026-01-01T00:00:00+18:00", "x".repeat(5000), "2".repeat(300));

    @Test
    void everyDateAndNumberParameterAtTheExtremesIs200OrA400NamingIt() {
        String group = h.createGroup();
        String instance = h.createInstance();
        List<String> failures = new ArrayList<>();
        for (String raw : EXTREMES) {
            String v = URLEncoder.encode(raw, StandardCharsets.UTF_8);
            List<String[]> probes = List.of(
                    new String[] {"start", "/main/elastigroups/" + group + "/costs?start=" + v + "&end=2026-01-01"},
                    new String[] {"end", "/main/elastigroups/" + group + "/costs?start=2026-01-01&end=" + v},
                    new String[] {"start", "/main/elastigroups/" + group + "/events?start=" + v},
                    new String[] {"start", "/main/elastigroups/" + group + "/logs?start=" + v},
                    new String[] {"end", "/main/elastigroups/" + group + "/logs?start=2026-01-01&end=" + v},
                    new String[] {"limit", "/main/elastigroups/" + group + "/logs?limit=" + v},
                    new String[] {"start", "/main/instances/" + instance + "/costs?start=" + v + "&end=2026-01-01"},
                    new String[] {"end", "/main/instances/" + instance + "/costs?start=2026-01-01&end=" + v});
            for (String[] probe : probes) {
                Reply r = h.get(probe[1]);
                String what = probe[1].length() > 160 ? probe[1].substring(0, 160) + "..." : probe[1];
                if (r.status() == 200) {
                    continue;
                }
                if (r.status() != 400) {
                    failures.add(what + " -> " + r.status() + " " + r.body());
                    continue;
                }
                String message = assertJsonError(r, 400);
                if (!message.contains(probe[0]) || message.contains("Exception") || message.contains("java.")) {
                    failures.add(what + " -> 400 not naming " + probe[0] + ": " + message);
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    @Test
    void javaExceptionTextInSpotsErrorMessageIsNotForwarded() {
        String group = h.createGroup();
        for (String text : List.of("Internal error: java.lang.ArithmeticException: long overflow",
                "java.time.DateTimeException: Invalid value for EpochDay",
                "boom\n\tat dev.spotapi.sim.GroupRoutes.logs(GroupRoutes.java:120)",
                "com.fasterxml.jackson.core.JsonParseException: Unexpected character")) {
            h.clearFaults();
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*/events\",\"action\":\"status\",\"status\":500,"
                    + "\"message\":" + com.fasterxml.jackson.databind.node.TextNode.valueOf(text) + "}");

            Reply r = h.get("/main/elastigroups/" + group + "/events");

            String message = assertJsonError(r, 502);
            assertThat(message).as(text).doesNotContain("java.").doesNotContain("Exception").doesNotContain("GroupRoutes")
                    .contains("internal error in Spot");
        }
        h.clearFaults();
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*/events\",\"action\":\"status\",\"status\":500,"
                + "\"message\":\"Service is down for maintenance\"}");
        assertThat(assertJsonError(h.get("/main/elastigroups/" + group + "/events"), 502))
                .as("an ordinary message is still passed on").contains("Service is down for maintenance");
    }
}
