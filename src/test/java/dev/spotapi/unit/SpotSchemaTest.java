package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.json.ExactJson;
import dev.spotapi.spot.SpotSchema;
import dev.spotapi.support.SeedExamples;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The service's schema of Spot's objects ({@link SpotSchema}, issue 20): it accepts what the seed and
 * the simulator accept as Spot's fields, and refuses fields outside it and numbers Spot cannot hold.
 */
class SpotSchemaTest {
    private static final ObjectMapper EXACT = ExactJson.mapper();

    private static ObjectNode exact(String json) {
        try {
            return (ObjectNode) EXACT.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    @Test
    void theSeedsExampleBodiesHaveNoProblem() {
        assertThat(SpotSchema.GROUP.problems(exact(SeedExamples.GROUP))).isEmpty();
        assertThat(SpotSchema.GROUP.problems(exact(SeedExamples.GROUP_UPDATE))).isEmpty();
        assertThat(SpotSchema.MANAGED_INSTANCE.problems(exact(SeedExamples.INSTANCE))).isEmpty();
        assertThat(SpotSchema.MANAGED_INSTANCE.problems(exact(SeedExamples.INSTANCE_UPDATE))).isEmpty();
    }

    /** Issue 24: the seed's example bodies, sent as updates, hold no null Spot's object cannot take. */
    @Test
    void theSeedsNullsMayAllGoToSpotInAnUpdate() {
        assertThat(SpotSchema.GROUP.nullProblems(exact(SeedExamples.GROUP))).isEmpty();
        assertThat(SpotSchema.GROUP.nullProblems(exact(SeedExamples.GROUP_UPDATE))).isEmpty();
        assertThat(SpotSchema.MANAGED_INSTANCE.nullProblems(exact(SeedExamples.INSTANCE))).isEmpty();
        assertThat(SpotSchema.MANAGED_INSTANCE.nullProblems(exact(SeedExamples.INSTANCE_UPDATE))).isEmpty();
    }

    /** Issue 24: a null for what the object cannot lose, or as an array element, is named; other nulls pass. */
    @Test
    void nullsSpotsObjectCannotTakeAreNamed() {
        assertThat(SpotSchema.GROUP.nullProblems(exact("""
                {"name": null, "capacity": {"minimum": null, "unit": null}, "strategy": {"onDemandCount": null,
                 "availabilityVsCost": null}, "compute": {"product": null, "launchSpecification": {"keyPair": null,
                 "securityGroupIds": ["sg-1", null], "tags": [{"tagKey": "a", "tagValue": null}]}},
                 "scaling": {"up": null}, "ourOwn": null}""")).stream().map(SpotSchema.Problem::path))
                .containsExactly("name", "capacity.minimum", "strategy.availabilityVsCost", "compute.product",
                        "compute.launchSpecification.securityGroupIds.1");
        assertThat(SpotSchema.MANAGED_INSTANCE.nullProblems(exact("""
                {"region": null, "compute": {"subnetIds": null, "vpcId": null, "elasticIp": null},
                 "healthCheck": {"gracePeriod": null}, "persistence": null}""")).stream().map(SpotSchema.Problem::path))
                .containsExactly("region", "compute.subnetIds", "compute.vpcId");
        assertThat(SpotSchema.GROUP.nullProblems(exact("{\"compute\": null}"))).extracting(SpotSchema.Problem::path)
                .containsExactly("compute");
    }

    /**
     * The simulator's field tables ({@code dev/spotapi/sim/*-fields.json}, read as resources: no simulator
     * class is used) list fields Spot type-checks; each of them must be a field of the service's schema too,
     * with a compatible type, or spot-api would refuse what Spot accepts.
     */
    @ParameterizedTest
    @ValueSource(strings = {"group", "managedInstance"})
    void everyFieldTheSimulatorKnowsIsInTheServicesSchema(String kind) throws IOException {
        JsonNode simulator;
        try (InputStream in = getClass().getResourceAsStream("/dev/spotapi/sim/" + kind + "-fields.json")) {
            assertThat(in).as("the simulator's table of %s", kind).isNotNull();
            simulator = new ObjectMapper().readTree(in);
        }
        JsonNode service = (kind.equals("group") ? SpotSchema.GROUP : SpotSchema.MANAGED_INSTANCE).table();
        List<String> missing = new ArrayList<>();
        compare(simulator, service, kind, missing);
        assertThat(missing).as("fields of the simulator's %s table that the service would refuse", kind).isEmpty();
    }

    private static void compare(JsonNode sim, JsonNode svc, String path, List<String> missing) {
        if (svc == null) {
            missing.add(path);
            return;
        }
        if (svc.isTextual() && svc.asText().equals("any")) {
            return; // free-form: anything passes
        }
        if (sim.isObject()) {
            if (!svc.isObject()) {
                missing.add(path + " (object here, " + svc + " in the service)");
                return;
            }
            for (Map.Entry<String, JsonNode> f : sim.properties()) {
                compare(f.getValue(), svc.get(f.getKey()), path + "." + f.getKey(), missing);
            }
        } else if (sim.isArray()) {
            if (svc.isArray()) {
                compare(sim.get(0), svc.get(0), path + ".0", missing);
            } else if (!(svc.isObject() && svc.path("$array").asBoolean(false))) {
                missing.add(path + " (array here, " + svc + " in the service)");
            }
        } else if (sim.asText().startsWith("integer") || sim.asText().startsWith("number")) {
            String type = svc.asText();
            if (!(type.contains("integer") || type.contains("number"))) {
                missing.add(path + " (" + sim.asText() + " here, " + type + " in the service)");
            } else if (sim.asText().startsWith("number") && !type.contains("number")) {
                missing.add(path + " (a number here, only whole numbers in the service)");
            }
        }
    }

    @Test
    void unknownFieldsAreNamedAtAnyDepthWithArrayIndexes() {
        ObjectNode body = exact("""
                {"name": "g", "config": {"compute": {}}, "capacity": {"target": 1, "surplus": 2},
                 "compute": {"availabilityZones": [{"name": "a"}, {"name": "b", "zone": "c"}],
                             "launchSpecification": {"tags": [{"tagKey": "k", "tagValue": "v", "extra": 1}]}}}""");

        List<String> paths = SpotSchema.GROUP.problems(body).stream().map(SpotSchema.Problem::path).toList();

        assertThat(paths).containsExactlyInAnyOrder("config", "capacity.surplus", "compute.availabilityZones.1.zone",
                "compute.launchSpecification.tags.0.extra");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e999999", "-1e400", "1e-400", "-4e-999", "1e9999999999", "1e-9999999999",
            "179769313486231570000000000000000000000000000000000000000000000000000000000000000000000000000000e300"})
    void numbersBeyondADoubleAreProblemsAnywhere(String number) {
        for (String json : List.of("{\"strategy\": {\"risk\": N}}", "{\"capacity\": {\"target\": N}}",
                "{\"compute\": {\"launchSpecification\": {\"itf\": {\"targetGroupConfig\": {\"x\": [N]}}}}}",
                "{\"unknown\": {\"x\": N}}")) {
            List<SpotSchema.Problem> problems = SpotSchema.GROUP.problems(exact(json.replace("N", number)));

            assertThat(problems).as(json).anySatisfy(p -> assertThat(p.reason()).contains("number too"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "100", "99.5", "1e2", "0.0002", "-0.0", "1.7976931348623157e308", "4.9e-324"})
    void finiteNumbersPassInNumberFields(String number) {
        assertThat(SpotSchema.GROUP.problems(exact("{\"strategy\": {\"risk\": " + number + "}}"))).isEmpty();
    }

    @Test
    void integerFieldsTakeExactWholeNumbersOnly() {
        for (String ok : List.of("0", "2", "2.0", "1e3", "9007199254740991", "-9007199254740991")) {
            assertThat(SpotSchema.GROUP.problems(exact("{\"capacity\": {\"target\": " + ok + "}}"))).as(ok).isEmpty();
        }
        for (String bad : List.of("2.5", "9007199254740992", "-9007199254740992", "1e16", "123456789012345678901234567890")) {
            assertThat(SpotSchema.GROUP.problems(exact("{\"capacity\": {\"target\": " + bad + "}}"))).as(bad)
                    .singleElement().satisfies(p -> assertThat(p.path()).isEqualTo("capacity.target"));
        }
    }
}
