package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 10 item 6, "Only a real Spot envelope is success": a 200 whose body is JSON but not Spot's envelope
 * (contract §2.1) must make every operation answer 502, never OK, 404 or an empty list; a delete so
 * answered deleted nothing, an update changed nothing. The simulator's {@code json} fault answers the body.
 */
class EnvelopeOnlySuccessTest extends HarnessPerClass {
    private static final String REQUEST = "\"request\":{\"id\":\"00000000-0000-4000-8000-000000000000\"}";
    /** JSON objects (and one array) that are not Spot's success envelope for the call they answer. */
    private static final List<String> NOT_ENVELOPES = List.of(
            "{\"message\":\"ok\"}",
            "{}",
            "[]",
            "{\"status\":\"OK\",\"items\":[{\"id\":\"smi-00000001\"}]}",
            "{\"response\":{\"status\":{\"code\":200},\"kind\":\"spotinst:aws:ec2:managedInstance\",\"items\":[]}}",
            "{" + REQUEST + ",\"response\":{\"kind\":\"spotinst:aws:ec2:managedInstance\",\"items\":[]}}",
            "{" + REQUEST + ",\"response\":{\"status\":{\"code\":200},\"kind\":\"spotinst:aws:ec2:managedInstance\"}}",
            "{" + REQUEST + ",\"response\":{\"status\":{\"code\":200},\"kind\":\"spotinst:aws:ec2:scale\",\"items\":[]}}",
            "{" + REQUEST + ",\"response\":{\"status\":{\"code\":\"OK\"},\"items\":[]}}");

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String op : List.of("delete", "get", "list", "update", "create")) {
            for (String body : NOT_ENVELOPES) {
                boolean withoutItems = body.contains("managedInstance\"}}");
                if (!(withoutItems && op.equals("delete"))) { // a delete's reply has no items (contract §2.1)
                    out.add(Arguments.of(op, body));
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} answered 200 {1} is 502")
    @MethodSource("cases")
    void aJson200ThatIsNotSpotsEnvelopeIs502ForEveryOperation(String op, String body) {
        String id = h.createInstance();
        String before = h.stored(INSTANCES, id).toString();
        String method = switch (op) {
            case "delete" -> "DELETE";
            case "update" -> "PUT";
            case "create" -> "POST";
            default -> "GET";
        };
        String spotPath = op.equals("list") || op.equals("create") ? INSTANCES : INSTANCES + "/*";
        // the body array goes into the fault as JSON; a string body is not JSON
        h.fault("{\"method\":\"" + method + "\",\"path\":\"" + spotPath + "\",\"action\":\"json\",\"status\":200,\"body\":"
                + body + "}");

        Reply r = switch (op) {
            case "delete" -> h.call("DELETE", "/main/instances/" + id, null);
            case "get" -> h.get("/main/instances/" + id);
            case "list" -> h.get("/main/instances");
            case "update" -> h.call("PUT", "/main/instances/" + id, TestService.json("{\"description\":\"changed\"}"));
            default -> h.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("env")));
        };

        String message = assertJsonError(r, 502);
        assertThat(message).doesNotContain("\"message\"");
        h.clearFaults();
        assertThat(h.stored(INSTANCES, id)).as("the instance is untouched in Spot").isNotNull();
        assertThat(h.stored(INSTANCES, id).toString()).isEqualTo(before);
    }

    @ParameterizedTest(name = "group {0} answered with a managed instance envelope is 502")
    @MethodSource("groupOperations")
    void aReplyOfTheWrongKindIs502(String method, String path) {
        String id = h.createGroup();
        h.fault("{\"method\":\"" + method + "\",\"path\":\"/aws/ec2/group**\",\"action\":\"json\",\"status\":200,"
                + "\"body\":{" + REQUEST + ",\"response\":{\"status\":{\"code\":200,\"message\":\"OK\"},"
                + "\"kind\":\"spotinst:aws:ec2:managedInstance\",\"items\":[{\"id\":\"" + id + "\"}],\"count\":1}}}");

        Reply r = method.equals("PUT")
                ? h.call("PUT", path.replace("{id}", id), TestService.json("{\"description\":\"changed\"}"))
                : h.get(path.replace("{id}", id));

        assertThat(assertJsonError(r, 502)).contains("wrong kind");
        h.clearFaults();
        assertThat(h.stored(GROUPS, id).path("description").asText()).isNotEqualTo("changed");
    }

    static Stream<Arguments> groupOperations() {
        return Stream.of(Arguments.of("GET", "/main/elastigroups/{id}"), Arguments.of("GET", "/main/elastigroups"),
                Arguments.of("PUT", "/main/elastigroups/{id}"));
    }
}
