package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.json.ExactJson;
import dev.spotapi.spot.SpotPayloads;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Issue 11 item 3, contract §9.7: every number leaves exactly as it came, in precision and notation. */
class ExactJsonTest {
    private final ObjectMapper mapper = ExactJson.mapper();

    @ParameterizedTest
    @ValueSource(strings = {"0.0002", "0.00005", "2.0E-4", "1e-7", "1E+3", "1.50", "-0.0", "0.1581", "100.0",
            "123456789012345678901234567890.123456789", "3.14159265358979323846264338327950288", "1", "-42",
            "9223372036854775808", "0", "5e-324", "1.7976931348623157e309"})
    void aNumberIsWrittenBackAsItCame(String number) throws Exception {
        String json = "{\"a\":" + number + ",\"b\":[" + number + ",{\"c\":" + number + "}]}";

        JsonNode tree = mapper.readTree(json);

        assertThat(mapper.writeValueAsString(tree)).isEqualTo(json);
        assertThat(tree.toString()).isEqualTo(json);
    }

    @Test
    void copiesAndShapedPayloadsKeepTheText() throws Exception {
        ObjectNode group = (ObjectNode) mapper.readTree(
                "{\"id\":\"sig-1\",\"strategy\":{\"spotPercentage\":0.00005,\"drop\":null},\"price\":0.0002}");

        ObjectNode shaped = SpotPayloads.wrap("group", SpotPayloads.forSpot(group));

        assertThat(mapper.writeValueAsString(shaped))
                .isEqualTo("{\"group\":{\"strategy\":{\"spotPercentage\":0.00005},\"price\":0.0002}}");
    }

    @Test
    void valuesAreStillReadableAsNumbers() throws Exception {
        JsonNode tree = mapper.readTree("{\"a\":0.0002,\"b\":2.5,\"n\":7}");

        assertThat(tree.get("a").isNumber()).isTrue();
        assertThat(tree.get("a").decimalValue()).isEqualByComparingTo(new BigDecimal("0.0002"));
        assertThat(tree.get("a").asDouble()).isEqualTo(0.0002);
        assertThat(tree.get("b").asInt()).isEqualTo(2);
        assertThat(tree.get("a").asText()).isEqualTo("0.0002");
        assertThat(tree.get("n").isInt()).isTrue();
        assertThat(mapper.readTree("{\"a\":1.50}")).isEqualTo(mapper.readTree("{\"a\":1.5}"));
    }

    @Test
    void typedReadsOfObjectsAndArraysAreExactToo() throws Exception {
        ObjectNode object = mapper.readValue("{\"x\":1e-7}", ObjectNode.class);

        assertThat(mapper.writeValueAsString(object)).isEqualTo("{\"x\":1e-7}");
        assertThat(mapper.writeValueAsString(mapper.readValue("[0.00005]", com.fasterxml.jackson.databind.node.ArrayNode.class)))
                .isEqualTo("[0.00005]");
    }

    @Test
    void aRepeatedKeyKeepsTheLastValueAsJacksonDoes() throws Exception {
        assertThat(mapper.readTree("{\"a\":1.0,\"a\":2.00}").toString()).isEqualTo("{\"a\":2.00}");
    }
}
