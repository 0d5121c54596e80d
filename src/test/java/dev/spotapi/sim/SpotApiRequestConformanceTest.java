package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Conformance of spot-api's own requests to Spot (issue 11, "Done when"): every seed route is called
 * through spot-api against the simulator, and every request the simulator recorded
 * ({@code /_sim/requests}) is checked: a route Spot serves, the account and bearer token, query
 * dates Spot parses (contract §9.5), and bodies whose every field is in the request field table
 * with the right type ({@code group-fields.json}, {@code managedInstance-fields.json}) or, for
 * deletes, in the Go SDK's delete structs (contract §3.1, §3.2).
 */
@ResourceLock(TestService.SHARED)
class SpotApiRequestConformanceTest {
    private final TestService svc = TestService.shared();

    @BeforeEach
    @AfterEach
    void reset() {
        svc.resetSimulator();
    }

    private JsonNode ok(String method, String path, Object body) {
        TestService.Reply r = svc.call(method, path, body);
        assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
        try {
            return TestService.JSON.readTree(r.body());
        } catch (java.io.IOException e) {
            return null;    // e.g. DELETE answers the text OK
        }
    }

    private static ObjectNode inner(String wrapped, String wrapper) {
        return (ObjectNode) TestService.json(wrapped).get(wrapper);
    }

    @Test
    void everyRequestSpotApiSendsMatchesTheRequestTables() {
        String group = ok("POST", "/main/elastigroups", inner(SpotValidationTestBodies.GROUP, "group")).path("id").asText();
        ok("GET", "/main/elastigroups", null);
        ok("GET", "/main/elastigroups/" + group, null);
        ok("PUT", "/main/elastigroups/" + group, inner(SpotValidationTestBodies.GROUP_UPDATE, "group"));
        ObjectNode mi = inner(SpotValidationTestBodies.INSTANCE, "managedInstance");
        ((ObjectNode) mi.get("compute")).remove("vpcId");    // spot-api fills in the account's default VPC
        String instance = ok("POST", "/main/instances", mi).asText();
        ok("GET", "/main/instances", null);
        ok("GET", "/main/instances/" + instance, null);
        ok("PUT", "/main/instances/" + instance, TestService.json("{\"description\": \"changed\", \"healthCheck\": {\"gracePeriod\": 300}}"));
        ok("GET", "/main/instances/" + instance + "/status", null);
        ok("GET", "/main/instances/" + instance + "/costs", null);
        ok("GET", "/main/instances/" + instance + "/costs?start=2026-01-01&end=2026-02-01", null);
        ok("DELETE", "/main/instances/" + instance, null);
        ok("DELETE", "/main/elastigroups/" + group, null);

        List<Pattern> routes = svc.simulator.spotRoutes().stream()
                .map(r -> Pattern.compile(Pattern.quote(r).replace("{id}", "\\E[a-z]+-[0-9a-f]{8}\\Q"))).toList();
        FieldTable groups = FieldTable.load("group");
        FieldTable instances = FieldTable.load("managedInstance");
        List<String> problems = new ArrayList<>();
        JsonNode log = svc.sim("GET", "/_sim/requests?limit=1000", null).json().path("requests");
        assertThat(log.size()).isGreaterThanOrEqualTo(14);
        for (JsonNode request : log) {
            String method = request.path("method").asText();
            String path = request.path("path").asText();
            String call = method + " " + path;
            if (routes.stream().noneMatch(p -> p.matcher(call).matches())) {
                problems.add(call + ": not a route Spot serves (as the simulator has them)");
            }
            String query = request.path("query").asText("");
            if (!query.contains("accountId=" + TestService.MAIN_ID)) {
                problems.add(call + ": no accountId in " + query);
            }
            if (!request.path("headers").path("authorization").asText().startsWith("Bearer ")) {
                problems.add(call + ": no bearer token");
            }
            for (String date : new String[] {"fromDate", "toDate"}) {
                Map<String, String> params = params(query);
                if (params.containsKey(date)) {
                    try {
                        Timestamps.parse(params.get(date));
                    } catch (IllegalArgumentException e) {
                        problems.add(call + ": " + date + " Spot cannot parse: " + params.get(date));
                    }
                }
            }
            JsonNode body = request.get("body");
            if (body == null || body.isNull()) {
                continue;
            }
            if (method.equals("DELETE")) {
                String struct = path.startsWith("/aws/ec2/group") ? "DeleteGroupBody" : "DeleteManagedInstanceBody";
                GoStructs.problems(struct, body).forEach(p -> problems.add(call + ": " + p));
                body.fieldNames().forEachRemaining(k -> {
                    if (!k.equals("statefulDeallocation") && !k.equals("deallocationConfig") && !k.equals("amiBackup")) {
                        problems.add(call + ": unknown delete field " + k);
                    }
                });
                continue;
            }
            String wrapper = path.startsWith("/aws/ec2/group") ? "group" : "managedInstance";
            FieldTable table = wrapper.equals("group") ? groups : instances;
            if (body.size() != 1 || !body.path(wrapper).isObject()) {
                problems.add(call + ": body is not {\"" + wrapper + "\": {...}}: " + body);
                continue;
            }
            ObjectNode object = (ObjectNode) body.get(wrapper);
            try {
                table.check(object);
            } catch (SpotException e) {
                problems.add(call + ": " + e.field() + " " + e.getMessage());
            }
            table.unknownFields(object).forEach(f -> problems.add(call + ": field not in the request table: " + f));
        }
        assertThat(problems).isEmpty();
        assertThat(log.toString()).contains("\"vpcId\":\"" + TestService.DEFAULT_VPC + "\"");
    }

    private static Map<String, String> params(String query) {
        Map<String, String> out = new java.util.HashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}
