package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.SeedExamples;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 20, black-box: caller data is never server metadata, and ambiguous input is a 400, never a
 * guess. A create or update body may hold only fields of Spot's schema of the object (none at any
 * depth outside it: not even a top-level {@code config}, which ownership and correlation once read
 * tags from); numbers must be finite and, in integer fields, exact whole numbers; a key given twice,
 * an unpaired UTF-16 surrogate and a repeated query parameter are refused; JSON decode errors say what
 * is wrong in plain words. Every refusal names what is wrong and costs no Spot call. The seed's four
 * example bodies are still accepted as they are.
 */
class AmbiguousInputTest extends HarnessPerClass {
    private static final String SMUGGLED_TAGS = "{\"compute\": {\"launchSpecification\": {\"tags\": "
            + "[{\"tagKey\": \"spinup:org\", \"tagValue\": \"someone-else\"},"
            + " {\"tagKey\": \"spot-api:correlation\", \"tagValue\": \"abc\"}]}}}";

    /** Where a body goes: {method, spot-api path template with ID for an existing object, kind}. */
    private static final String[][] ROUTES = {
            {"POST", "/main/elastigroups", "group"},
            {"PUT", "/main/elastigroups/ID", "group"},
            {"POST", "/main/instances", "managedInstance"},
            {"PUT", "/main/instances/ID", "managedInstance"},
    };

    // ---- unknown fields ------------------------------------------------------------------------------

    /** {field path to set (dots; digits index arrays), JSON value, the path the refusal must name}. */
    static Stream<Arguments> unknownFields() {
        String[][] cases = {
                {"config", SMUGGLED_TAGS, "config"},
                {"config", "{}", "config"},
                {"Config", "{}", "Config"},
                {"compute.config", SMUGGLED_TAGS, "compute.config"},
                {"compute.launchSpecification.tagz", "[{\"tagKey\": \"spinup:org\", \"tagValue\": \"x\"}]",
                        "compute.launchSpecification.tagz"},
                {"compute.launchSpecification.tags", "[{\"tagKey\": \"a\", \"tagValue\": \"b\", \"org\": \"x\"}]",
                        "compute.launchSpecification.tags.0.org"},
                {"strategy.futureKnob", "true", "strategy.futureKnob"},
                {"futureFeature", "{\"levels\": [1, 2]}", "futureFeature"},
                {"compute.launchSpecification.brandNew", "null", "compute.launchSpecification.brandNew"},
        };
        List<Arguments> out = new ArrayList<>();
        for (String[] route : ROUTES) {
            for (String[] c : cases) {
                out.add(Arguments.of(route[0], route[1], route[2], c[0], c[1], c[2]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} with {3} = {4}")
    @MethodSource("unknownFields")
    void aFieldOutsideSpotsSchemaIsRefusedNamedAndNeverReachesSpot(String method, String template, String kind,
            String field, String value, String named) {
        String path = target(template, kind);
        String body = set(body(method, kind), field, value);

        Reply r = h.call(method, path, body);

        String message = Harness.assertJsonError(r, 400);
        assertThat(message).startsWith("cannot decode body: ").contains(named).contains("Spot's " + kind);
        assertThat(h.spotRequests()).as("nothing reaches Spot, not even the org check's read").isEmpty();
    }

    @Test
    void aFieldInsideAnArrayElementOfAGroupIsNamedWithItsIndex() {
        ObjectNode body = Harness.groupBody(Harness.uniqueName("grp"));
        ((ObjectNode) body.path("compute").path("availabilityZones").path(0)).put("bogus", 1);
        ((ObjectNode) body.path("capacity")).put("extra", 2);

        String message = Harness.assertJsonError(h.call("POST", "/main/elastigroups", body), 400);

        assertThat(message).contains("compute.availabilityZones.0.bogus", "capacity.extra");
        assertThat(h.spotRequests()).isEmpty();
    }

    // ---- numbers -----------------------------------------------------------------------------------

    /** {kind, field, JSON number text, what the message says}. */
    static Stream<Arguments> badNumbers() {
        return Stream.of(
                Arguments.of("group", "strategy.risk", "1e999999", "too large"),
                Arguments.of("group", "strategy.risk", "-1e400", "too large"),
                Arguments.of("group", "strategy.risk", "1e400", "too large"),
                Arguments.of("group", "strategy.risk", "1e-400", "too small"),
                Arguments.of("group", "strategy.risk", "-2.5e-999", "too small"),
                Arguments.of("group", "strategy.risk", "1e9999999999", "too large"),
                Arguments.of("group", "capacity.target", "123456789012345678901234567890", "whole number beyond"),
                Arguments.of("group", "capacity.maximum", "9007199254740993", "whole number beyond"),
                Arguments.of("group", "capacity.minimum", "-9007199254740992", "whole number beyond"),
                Arguments.of("group", "capacity.minimum", "2.5", "whole number"),
                Arguments.of("group", "capacity.target", "1e400", "too large"),
                Arguments.of("group", "compute.launchSpecification.itf.targetGroupConfig",
                        "{\"anything\": 1e400}", "too large"),
                Arguments.of("managedInstance", "healthCheck.gracePeriod", "1e999999", "too large"),
                Arguments.of("managedInstance", "healthCheck.unhealthyDuration", "12345678901234567890", "whole number beyond"),
                Arguments.of("managedInstance", "compute.launchSpecification.blockDeviceMappings",
                        "[{\"ebs\": {\"throughput\": -1e400}}]", "too large"),
                Arguments.of("managedInstance", "compute.launchSpecification.blockDeviceMappings",
                        "[{\"ebs\": {\"volumeSize\": 0.5}}]", "whole number"));
    }

    @ParameterizedTest(name = "{0} {1} = {2}")
    @MethodSource("badNumbers")
    void aNumberSpotCannotHoldIsRefusedOnCreateAndUpdate(String kind, String field, String number, String says) {
        for (String method : List.of("POST", "PUT")) {
            String template = kind.equals("group") ? (method.equals("POST") ? "/main/elastigroups" : "/main/elastigroups/ID")
                    : (method.equals("POST") ? "/main/instances" : "/main/instances/ID");
            String path = target(template, kind);
            String body = set(body(method, kind), field, number);

            Reply r = h.call(method, path, body);

            String message = Harness.assertJsonError(r, 400);
            assertThat(message).as("%s %s", method, path).startsWith("cannot decode body: ").contains(field).contains(says);
            assertThat(h.spotRequests()).as("%s %s reached Spot", method, path).isEmpty();
        }
    }

    @Test
    void exactNumbersSpotCanHoldStillPassUnchanged() {
        String id = h.createGroup();
        h.clearRequestLog();
        String body = "{\"strategy\": {\"risk\": 99.50}, \"capacity\": {\"minimum\": 1.0, \"maximum\": 9007199254740991,"
                + " \"target\": 1e0}}";

        Reply r = h.call("PUT", "/main/elastigroups/" + id, body);

        // the exact text reaching Spot is SpotFidelityTest's; here: accepted and passed on
        assertThat(h.spotRequests("PUT", Harness.GROUPS + "/" + id)).as(r.body()).hasSize(1);
        JsonNode sent = h.spotRequests("PUT", Harness.GROUPS + "/" + id).get(0).path("body").path("group");
        assertThat(sent.path("strategy").path("risk").decimalValue()).isEqualByComparingTo("99.5");
        assertThat(sent.path("capacity").path("maximum").asLong()).isEqualTo(9007199254740991L);
    }

    // ---- duplicate keys --------------------------------------------------------------------------------

    static Stream<Arguments> duplicateKeys() {
        return Stream.of(
                Arguments.of("POST", "/main/elastigroups", "{\"name\": \"a\", \"name\": \"b\", \"region\": \"us-east-1\"}", "name"),
                Arguments.of("POST", "/main/elastigroups",
                        "{\"name\": \"a\", \"capacity\": {\"target\": 1, \"minimum\": 0, \"target\": 3}}", "target"),
                Arguments.of("POST", "/main/instances", "{\"name\": \"a\", \"compute\": {\"launchSpecification\": {\"tags\": "
                        + "[{\"tagKey\": \"spinup:org\", \"tagValue\": \"x\", \"tagKey\": \"other\"}]}}}", "tagKey"),
                Arguments.of("PUT", "/main/instances/ID", "{\"compute\": {\"vpcId\": \"a\"}, \"compute\": {\"vpcId\": \"b\"}}", "compute"),
                Arguments.of("PUT", "/main/instances/ID/power", "{\"state\": \"stop\", \"state\": \"start\"}", "state"),
                Arguments.of("PUT", "/main/elastigroups/ID/capacity", "{\"target\": 1, \"target\": 100}", "target"),
                Arguments.of("PUT", "/main/elastigroups/ID/scale", "{\"direction\": \"up\", \"adjustment\": 1, \"direction\": \"down\"}",
                        "direction"));
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("duplicateKeys")
    void aKeyGivenTwiceInOneObjectIsRefused(String method, String template, String body, String key) {
        String path = target(template, template.contains("elastigroups") ? "group" : "managedInstance");

        String message = Harness.assertJsonError(h.call(method, path, body), 400);

        assertThat(message).doesNotContain("Duplicate field", "STRICT_DUPLICATE").startsWith("cannot decode body: the key \"" + key + "\" appears more than once in one object");
        assertThat(h.spotRequests()).isEmpty();
    }

    // ---- unpaired surrogates ---------------------------------------------------------------------------

    static Stream<Arguments> surrogates() {
        return Stream.of(
                Arguments.of("escaped high surrogate alone", "{\"name\": \"a\\uD800\"}".getBytes(StandardCharsets.UTF_8)),
                Arguments.of("escaped low surrogate alone", "{\"name\": \"\\uDC00b\"}".getBytes(StandardCharsets.UTF_8)),
                Arguments.of("two high surrogates", "{\"name\": \"\\uD83D\\uD83D\"}".getBytes(StandardCharsets.UTF_8)),
                Arguments.of("reversed pair", "{\"description\": \"\\uDE00\\uD83D\"}".getBytes(StandardCharsets.UTF_8)),
                Arguments.of("in a key", "{\"na\\uD800me\": \"x\"}".getBytes(StandardCharsets.UTF_8)),
                Arguments.of("in a tag value", ("{\"compute\": {\"launchSpecification\": {\"tags\": [{\"tagKey\": \"k\","
                        + " \"tagValue\": \"\\udbff\"}]}}}").getBytes(StandardCharsets.UTF_8)),
                Arguments.of("raw surrogate bytes (CESU-8)", new byte[] {'{', '"', 'n', 'a', 'm', 'e', '"', ':', '"',
                        (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("surrogates")
    void anUnpairedSurrogateIsRefusedOnEveryBodyRoute(String what, byte[] body) {
        for (String[] route : ROUTES) {
            String path = target(route[1], route[2]);

            String message = Harness.assertJsonError(h.call(route[0], path, body), 400);

            assertThat(message).as("%s %s", route[0], path).startsWith("cannot decode body: ")
                    .containsAnyOf("surrogate", "UTF-8");
        }
        assertThat(h.spotRequests().stream().filter(r -> !r.path("method").asText().equals("GET")).toList())
                .as("no write reached Spot").isEmpty();
    }

    @Test
    void aPairedSurrogateIsACharacterAndPasses() {
        ObjectNode body = Harness.groupBody(Harness.uniqueName("grp"));
        String json = body.toString().replace("\"name\":\"", "\"name\":\"\\uD83D\\uDE00");

        Reply r = h.call("POST", "/main/elastigroups", json);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.json().path("name").asText()).startsWith("\uD83D\uDE00");
    }

    // ---- repeated query parameters -----------------------------------------------------------------

    @Test
    void aRepeatedQueryParameterIsRefusedOnEveryRouteAndNothingIsDeleted() {
        String group = h.createGroup();
        String instance = h.createInstance();
        h.clearRequestLog();
        String[][] requests = {
                {"DELETE", "/main/instances/" + instance + "?detach=true&detach=false", "detach"},
                {"DELETE", "/main/instances/" + instance + "?detach=false&detach=true", "detach"},
                {"DELETE", "/main/instances/" + instance + "?keep=volumes&keep=snapshots", "keep"},
                {"DELETE", "/main/instances/" + instance + "?ke%65p=volumes&keep=images", "keep"},
                {"DELETE", "/main/elastigroups/" + group + "?keep=volumes&keep=volumes", "keep"},
                {"GET", "/main/elastigroups?space=a&space=b", "space"},
                {"GET", "/main/instances?space=&space=x", "space"},
                {"GET", "/main/instances/" + instance + "/costs?start=2026-01-01&end=2026-02-01&start=2025-01-01", "start"},
                {"GET", "/main/elastigroups/" + group + "/costs?aggregationPeriod=daily&aggregationPeriod=monthly",
                        "aggregationPeriod"},
                {"GET", "/main/elastigroups/" + group + "/logs?limit=1&limit=1000", "limit"},
                {"GET", "/main/elastigroups/" + group + "/logs?severity=INFO&severity=WARN", "severity"},
                {"GET", "/main/elastigroups/" + group + "/events?start=2026-01-01&start=2026-01-02", "start"},
                {"PUT", "/main/instances/" + instance + "/power?x=1&x=2", "x"},
                {"GET", "/ping?a=1&a=1", "a"},
                // flywheel takes task as a list (?task=a&task=b); any other repeated parameter is still refused
                {"GET", "/flywheel?task=a&task=b&x=1&x=2", "x"},
        };
        for (String[] q : requests) {
            Object body = q[0].equals("PUT") ? "{\"state\": \"stop\"}" : null;

            String message = Harness.assertJsonError(h.call(q[0], q[1], body), 400);

            assertThat(message).as("%s %s", q[0], q[1])
                    .startsWith("the query parameter '" + q[2] + "' is given 2 times");
        }
        assertThat(h.spotRequests()).as("no request reached Spot").isEmpty();
        assertThat(h.stored(Harness.INSTANCES, instance)).as("the instance is still there").isNotNull();
        assertThat(h.stored(Harness.GROUPS, group)).as("the group is still there").isNotNull();
    }

    // ---- decode errors in plain words -------------------------------------------------------------

    static Stream<Arguments> undecodable() {
        return Stream.of(
                Arguments.of("{\"a\":".repeat(70) + "1" + "}".repeat(70), "deeper than 64 levels"),
                Arguments.of("{\"a\":" + "[".repeat(80) + "]".repeat(80) + "}", "deeper than 64 levels"),
                Arguments.of("{\"name\": " + "1".repeat(150) + "}", "longer than 100 characters"),
                Arguments.of("{\"risk\": NaN}", "not a JSON number"),
                Arguments.of("{\"risk\": -Infinity}", "not a JSON number"),
                Arguments.of("{\"name\": \"a\" /* c */}", "no comments"),
                Arguments.of("{'name': 'a'}", "double quotes"),
                Arguments.of("{name: \"a\"}", "double quotes"),
                Arguments.of("{\"name\": \"a\"} {}", "more after the JSON object"),
                Arguments.of("{\"name\": \"a\"", "ends too early"),
                Arguments.of("{\"target\": 007}", "starts with a zero"),
                Arguments.of("{\"name\": \"a\tb\"}", "control character"),
                Arguments.of("{\"name\": \"a\\qb\"}", "unknown escape"),
                Arguments.of("{\"name\": \"a\",}", "not a string in double quotes"),
                Arguments.of("{\"name\" \"a\"}", "missing"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("undecodable")
    void aDecodeErrorSaysWhatIsWrongWithoutTheJsonLibrarysSettingNames(String body, String says) {
        String message = Harness.assertJsonError(h.call("POST", "/main/instances", body), 400);

        assertThat(message).startsWith("cannot decode body: ").contains(says);
        for (String internal : List.of("StreamReadConstraints", "maxNestingDepth", "maxNumberLength", "Feature",
                "ALLOW_", "FAIL_ON", "com.fasterxml", "jackson", "`", "JsonNode", "token 'null'", "code 1")) {
            assertThat(message).as("no library internals").doesNotContainIgnoringCase(internal);
        }
        assertThat(h.spotRequests()).isEmpty();
    }

    // ---- the seed's examples -------------------------------------------------------------------------

    @Test
    void theSeedsFourExampleBodiesAreAcceptedAsTheyAre() {
        Reply group = h.call("POST", "/main/elastigroups", SeedExamples.GROUP);
        assertThat(group.status()).as(group.body()).isEqualTo(200);
        String groupId = group.json().path("id").asText();
        Reply groupUpdate = h.call("PUT", "/main/elastigroups/" + groupId, SeedExamples.GROUP_UPDATE);
        assertThat(groupUpdate.status()).as(groupUpdate.body()).isEqualTo(200);
        assertThat(groupUpdate.json().path("id").asText()).as("the path id wins").isEqualTo(groupId);

        Reply instance = h.call("POST", "/main/instances", SeedExamples.INSTANCE);
        assertThat(instance.status()).as(instance.body()).isEqualTo(200);
        String instanceId = instance.json().asText();
        Reply instanceUpdate = h.call("PUT", "/main/instances/" + instanceId, SeedExamples.INSTANCE_UPDATE);
        assertThat(instanceUpdate.status()).as(instanceUpdate.body()).isEqualTo(200);

        JsonNode sentGroup = h.spotRequests("POST", Harness.GROUPS).get(0).path("body").path("group");
        assertThat(sentGroup.path("strategy").path("scalingStrategy").path("terminationPolicy").asText())
                .isEqualTo("newestInstance");
        assertThat(sentGroup.has("multai")).as("a null is left out").isFalse();
        JsonNode storedInstance = h.stored(Harness.INSTANCES, instanceId);
        assertThat(storedInstance.path("persistence").path("blockDevicesMode").asText()).isEqualTo("onLaunch");
    }

    // ---- helpers -----------------------------------------------------------------------------------

    /** The path with ID replaced by a fresh object of {@code kind} (then the request log is cleared). */
    private String target(String template, String kind) {
        if (!template.contains("ID")) {
            return template;
        }
        String id = kind.equals("group") ? h.createGroup() : h.createInstance();
        h.clearRequestLog();
        return template.replace("ID", id);
    }

    /** A valid create body (POST) or an empty update (PUT) of {@code kind}. */
    private static ObjectNode body(String method, String kind) {
        if (method.equals("PUT")) {
            return TestService.JSON.createObjectNode().put("description", "d");
        }
        return kind.equals("group") ? Harness.groupBody(Harness.uniqueName("grp"))
                : Harness.instanceBody(Harness.uniqueName("mi"));
    }

    /**
     * {@code body} as JSON text with {@code path} (dots; digits index arrays, which must exist) set to the
     * raw JSON {@code value}, written as given (numbers such as 1e999999 never pass through a parser here).
     */
    private static String set(ObjectNode body, String path, String value) {
        String[] parts = path.split("\\.");
        JsonNode node = body;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode next = node.isArray() ? node.get(Integer.parseInt(parts[i])) : node.get(parts[i]);
            if (next == null || next.isNull()) {
                next = ((ObjectNode) node).putObject(parts[i]);
            }
            node = next;
        }
        ((ObjectNode) node).put(parts[parts.length - 1], RAW);
        return body.toString().replace("\"" + RAW + "\"", value);
    }

    private static final String RAW = "@@raw-value@@";
}
