package dev.spotapi.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 25: Swagger UI shows, for each error status of each operation, an example of that status (it showed
 * the Error schema's one 404 example everywhere): every JSON error response of openapi.json carries an
 * example whose {@code status} is the response's code, with a message and a request id.
 */
class ErrorExamplesTest {

    @Test
    void everyErrorResponseHasAnExampleOfItsOwnStatus() throws Exception {
        JsonNode doc;
        try (InputStream in = getClass().getResourceAsStream("/openapi.json")) {
            doc = new ObjectMapper().readTree(in);
        }
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (var path : (Iterable<java.util.Map.Entry<String, JsonNode>>) doc.path("paths")::fields) {
            for (var op : (Iterable<java.util.Map.Entry<String, JsonNode>>) path.getValue()::fields) {
                for (var r : (Iterable<java.util.Map.Entry<String, JsonNode>>) op.getValue().path("responses")::fields) {
                    JsonNode json = r.getValue().path("content").path("application/json");
                    if (!r.getKey().matches("[45]\\d\\d") || !json.path("schema").path("$ref").asText().endsWith("/Error")) {
                        continue;
                    }
                    checked++;
                    JsonNode example = json.path("example");
                    String where = op.getKey().toUpperCase() + " " + path.getKey() + " " + r.getKey();
                    if (example.path("status").asInt() != Integer.parseInt(r.getKey())
                            || example.path("message").asText().isBlank() || example.path("requestId").asText().isBlank()) {
                        problems.add(where + ": " + example);
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(100);
        assertThat(problems).isEmpty();
    }
}
