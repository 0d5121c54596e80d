package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.org.Ownership;
import org.junit.jupiter.api.Test;

/**
 * Issue 20: ownership ({@code spinup:org}) and correlation ({@code spot-api:correlation}) are read only
 * where Spot keeps tags, {@code compute.launchSpecification.tags} of the object itself; a managed
 * instance's {@code config}-wrapped list item is unwrapped first (contract §3.2), nothing else is.
 */
class TagLocationTest {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final SpotResource GROUPS = new SpotResource("/aws/ec2/group", "group", "elastigroup");
    private static final SpotResource INSTANCES = new SpotResource("/aws/ec2/managedInstance", "managedInstance",
            "managed instance", true);

    private static JsonNode json(String s) {
        try {
            return MAPPER.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    /** {@code {"launchSpecification": {"tags": [spinup:org, spot-api:correlation]}}}: a compute object. */
    private static String compute(String org, String correlation) {
        return "{\"launchSpecification\": {\"tags\": [{\"tagKey\": \"spinup:org\", \"tagValue\": \"" + org
                + "\"}, {\"tagKey\": \"spot-api:correlation\", \"tagValue\": \"" + correlation + "\"}]}}";
    }

    /** An object whose compute holds those tags. */
    private static String tags(String org, String correlation) {
        return "{\"compute\": " + compute(org, correlation) + "}";
    }

    @Test
    void aGroupsConfigIsCallerDataAndNeverATagLocation() {
        JsonNode smuggled = GROUPS.object(json("{\"id\": \"sig-1\", \"config\": " + tags("beta", "tok") + "}"));
        JsonNode both = GROUPS.object(json("{\"id\": \"sig-2\", \"config\": " + tags("beta", "tok") + ", \"compute\": "
                + compute("alpha", "real") + "}"));
        JsonNode emptyConfig = GROUPS.object(json("{\"id\": \"sig-3\", \"config\": {}, \"compute\": "
                + compute("alpha", "real") + "}"));
        Ownership beta = new Ownership("beta", true);
        Ownership alpha = new Ownership("alpha", true);

        assertThat(beta.owns(smuggled)).isFalse();
        assertThat(Ownership.tag(smuggled, Ownership.ORG_TAG)).isNull();
        assertThat(new Correlation("tok", true).taggedOn(smuggled)).isFalse();
        assertThat(beta.owns(both)).isFalse();
        assertThat(alpha.owns(both)).isTrue();
        assertThat(new Correlation("real", true).taggedOn(both)).isTrue();
        assertThat(new Correlation("tok", true).taggedOn(both)).isFalse();
        assertThat(alpha.owns(emptyConfig)).as("an empty config hides nothing").isTrue();
    }

    @Test
    void aManagedInstancesWrappedListItemIsUnwrappedAndAFlatOneIsNot() {
        JsonNode wrapped = INSTANCES.object(json("{\"id\": \"smi-1\", \"createdAt\": \"2026-01-01T00:00:00.000Z\","
                + " \"config\": " + tags("alpha", "tok").replace("{\"compute\"", "{\"name\": \"n\", \"compute\"") + "}"));
        JsonNode flatWithConfig = INSTANCES.object(json("{\"id\": \"smi-2\", \"config\": " + tags("beta", "x")
                + ", \"compute\": {\"launchSpecification\": {\"tags\": []}}}"));

        assertThat(wrapped.path("id").asText()).isEqualTo("smi-1");
        assertThat(wrapped.path("name").asText()).isEqualTo("n");
        assertThat(wrapped.path("createdAt").asText()).startsWith("2026-01-01");
        assertThat(new Ownership("alpha", true).owns(wrapped)).isTrue();
        assertThat(new Correlation("tok", true).taggedOn(wrapped)).isTrue();
        assertThat(new Ownership("beta", true).owns(flatWithConfig)).as("a flat item's own tags decide").isFalse();
        assertThat(new Correlation("x", true).taggedOn(flatWithConfig)).isFalse();
    }
}
