package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every route that takes a body refuses a body that is not one JSON object with 400 "cannot decode body...". */
class BadBodyTest extends ApiTestSupport {

    static Stream<Arguments> routesAndBadBodies() {
        String[][] routes = {
                {"POST", "/main/elastigroups"},
                {"PUT", "/main/elastigroups/sig-00000000"},
                {"POST", "/main/instances"},
                {"PUT", "/main/instances/smi-00000000"},
        };
        String deep = "{\"a\":".repeat(70) + "1" + "}".repeat(70);
        String deepArrays = "{\"a\":" + "[".repeat(80) + "]".repeat(80) + "}";
        Object[][] bodies = {
                {"not JSON", "{name: 'x'"},
                {"truncated JSON", "{\"name\": \"x\""},
                {"JSON array", "[{\"name\": \"x\"}]"},
                {"JSON string", "\"hello\""},
                {"JSON number", "42"},
                {"JSON null", "null"},
                {"empty body", ""},
                {"trailing garbage", "{\"name\": \"x\"} trailing"},
                {"invalid UTF-8", new byte[] {'{', '"', 'n', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'}},
                {"lone continuation byte", new byte[] {'{', '"', 'n', '"', ':', '"', (byte) 0x80, '"', '}'}},
                {"nested deeper than 64 (objects)", deep},
                {"nested deeper than 64 (arrays)", deepArrays},
        };
        List<Arguments> out = new ArrayList<>();
        for (String[] route : routes) {
            for (Object[] body : bodies) {
                out.add(Arguments.of(route[0], route[1], body[0], body[1]));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} with {2}")
    @MethodSource("routesAndBadBodies")
    void badBodyIs400CannotDecodeBody(String method, String path, String what, Object body) {
        Object payload = body instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : body;

        Reply r = call(method, path, payload);

        String message = assertError(r, 400);
        assertThat(message).as(what).startsWith("cannot decode body");
        assertThat(allSpotRequests()).as("a bad body never reaches Spot").isEmpty();
    }

    @Test
    void aBodyOverTheSizeLimitIs413Json() {
        // the default limit is 1 MiB; a 2 MiB JSON object is refused, with the same JSON error body
        String big = "{\"name\": \"" + "x".repeat(2 * 1024 * 1024) + "\"}";

        Reply r = call("POST", "/main/instances", big.getBytes(StandardCharsets.UTF_8));

        assertError(r, 413);
        assertThat(allSpotRequests()).isEmpty();
    }

    @Test
    void aBodyJustUnderTheSizeLimitIsRead() {
        // a valid but large object passes the size check and reaches Spot (which then validates it)
        String large = "{\"name\": \"mi\", \"padding\": \"" + "x".repeat(512 * 1024) + "\"}";

        Reply r = call("POST", "/main/instances", large.getBytes(StandardCharsets.UTF_8));

        assertThat(assertError(r, 400)).startsWith("failed to create managed instance in account 'main': ");
        assertThat(spotRequests("POST", "/aws/ec2/managedInstance")).hasSize(1);
    }
}
