package dev.spotapi.sim;

import dev.spotapi.sim.state.FieldTable;

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
 * deletes, in the Go SDK's delete structs (contract §3.1, §3.2). Issue 24: costs always carry both
 * dates, dates are as Spot's OpenAPI file shows them, an update's nulls reach Spot as sent (and the
 * ones Spot's object cannot take are refused before anything is sent), deletes carry every flag.
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
        ok("GET", "/main/elastigroups/" + group + "/events", null);
        ok("GET", "/main/elastigroups/" + group + "/costs", null);
        // issue 24: an update's null unsets the field at Spot (the Go SDK's nullFields), where Spot's object allows it
        ok("PUT", "/main/elastigroups/" + group, TestService.json("{\"strategy\": {\"onDemandCount\": null}, "
                + "\"compute\": {\"launchSpecification\": {\"keyPair\": null}}}"));
        ok("PUT", "/main/instances/" + instance, TestService.json("{\"healthCheck\": {\"gracePeriod\": null}}"));
        JsonNode sentNulls = svc.sim("GET", "/_sim/requests?limit=1000", null).json().path("requests");
        List<String> refused = new ArrayList<>();
        for (String body : List.of("{\"name\": null}", "{\"capacity\": {\"target\": null}}",
                "{\"compute\": {\"launchSpecification\": {\"securityGroupIds\": [\"sg-1\", null]}}}")) {
            TestService.Reply r = svc.call("PUT", "/main/elastigroups/" + group, TestService.json(body));
            refused.add(r.status() + " " + r.body());
        }
        TestService.Reply vpc = svc.call("PUT", "/main/instances/" + instance,
                TestService.json("{\"compute\": {\"vpcId\": null}}"));
        refused.add(vpc.status() + " " + vpc.body());
        assertThat(refused).satisfiesExactly(
                r -> assertThat(r).startsWith("400 ").contains("name cannot be null"),
                r -> assertThat(r).startsWith("400 ").contains("capacity.target cannot be null"),
                r -> assertThat(r).startsWith("400 ").contains("securityGroupIds.1 cannot be null"),
                r -> assertThat(r).startsWith("400 ").contains("compute.vpcId cannot be null"));
        assertThat(svc.sim("GET", "/_sim/requests?limit=1000", null).json().path("requests").size())
                .as("nothing of a refused null reached Spot").isEqualTo(sentNulls.size());
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
            if (method.equals("GET") && path.endsWith("/costs")
                    && !(params(query).containsKey("fromDate") && params(query).containsKey("toDate"))) {
                problems.add(call + ": costs without fromDate and toDate, which Spot's OpenAPI file requires: " + query);
            }
            for (String date : new String[] {"fromDate", "toDate"}) {
                Map<String, String> params = params(query);
                if (params.containsKey(date) && !path.endsWith("/logs")
                        && !params.get(date).matches("\\d{4}-\\d\\d-\\d\\d(T\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,3})?Z)?")) {
                    problems.add(call + ": " + date + " is not a date (or a date-time to the millisecond) as Spot's "
                            + "OpenAPI file shows it: " + params.get(date));
                }
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
        List<JsonNode> puts = new ArrayList<>();
        List<JsonNode> deletes = new ArrayList<>();
        for (JsonNode request : log) {
            String path = request.path("path").asText();
            if (request.path("method").asText().equals("PUT") && path.matches("/aws/ec2/\\w+/[a-z]+-[0-9a-f]{8}")) {
                puts.add(request.path("body"));
            } else if (request.path("method").asText().equals("DELETE")) {
                deletes.add(request.path("body"));
            }
        }
        // the nulls went out as sent, nothing else added
        assertThat(puts).anySatisfy(b -> assertThat(b.toString())
                .isEqualTo("{\"group\":{\"strategy\":{\"onDemandCount\":null},\"compute\":{\"launchSpecification\":{\"keyPair\":null}}}}"));
        assertThat(puts).anySatisfy(b -> assertThat(b.toString())
                .isEqualTo("{\"managedInstance\":{\"healthCheck\":{\"gracePeriod\":null}}}"));
        // the delete flags: "delete everything", AMI backups included (Terraform's default managed-instance delete)
        assertThat(deletes).containsExactlyInAnyOrder(TestService.json("""
                {"deallocationConfig":{"shouldDeleteVolumes":true,"shouldDeleteSnapshots":true,"shouldDeleteImages":true,
                "shouldDeleteNetworkInterfaces":true,"shouldTerminateInstance":true},"amiBackup":{"shouldDeleteImages":true}}"""),
                TestService.json("""
                {"statefulDeallocation":{"shouldDeleteVolumes":true,"shouldDeleteSnapshots":true,"shouldDeleteImages":true,
                "shouldDeleteNetworkInterfaces":true}}"""));
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
