package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, kind 8: error messages name the spot-api account and the operation, never a URL (Spot's
 * endpoint, the simulator's address) or a Spot account id, whatever Spot's own message contains.
 */
class ErrorMessagesTest extends HarnessPerClass {

    @Test
    void anUnreachableSpotIsNamedByAccountAndOperationNotByUrl() {
        for (String path : List.of("/down/elastigroups", "/down/instances", "/down/elastigroups/sig-0a1b2c3d")) {
            Reply r = h.get(path);
            String message = Harness.assertJsonError(r, 502);
            assertThat(message).startsWith("failed to ").contains("in account 'down'").contains("unreachable");
            assertNoInternals(message);
        }
    }

    @Test
    void spotsOwnMessagesLoseUrlsAndAccountIds() {
        String group = h.createGroup();
        h.fault("{\"path\":\"/aws/ec2/group/**\",\"action\":\"status\",\"status\":400,\"errorCode\":\"VALIDATION_ERROR\","
                + "\"message\":\"see https://api.spotinst.io/aws/ec2/group/" + group + "?accountId=" + Harness.MAIN_ID
                + " or http://10.1.2.3:8080/x for account " + Harness.MAIN_ID + "\"}");
        Reply r = h.get("/main/elastigroups/" + group);
        String message = Harness.assertJsonError(r, 400);
        assertThat(message).startsWith("failed to get elastigroup in account 'main': ")
                .doesNotContain("api.spotinst.io").doesNotContain("10.1.2.3");
        assertNoInternals(message);
    }

    @Test
    void everyKindOfSpotFailureNamesTheAccountAndOperation() {
        String group = h.createGroup();
        for (String fault : List.of("{\"action\":\"status\",\"status\":500}", "{\"action\":\"html\",\"status\":502}",
                "{\"action\":\"garbage\",\"status\":200}", "{\"action\":\"status\",\"status\":429}",
                "{\"action\":\"drop\"}", "{\"action\":\"status\",\"status\":401}")) {
            h.clearFaults();
            h.fault(fault.replace("{", "{\"path\":\"/aws/ec2/group/**\","));
            Reply r = h.get("/main/elastigroups/" + group);
            assertThat(r.status()).as("%s: %s", fault, r.body()).isGreaterThanOrEqualTo(400);
            String message = r.json().path("message").asText();
            assertThat(message).as(fault).startsWith("failed to get elastigroup in account 'main'");
            assertNoInternals(message);
        }
    }

    private void assertNoInternals(String message) {
        assertThat(message).doesNotContainPattern("(?i)[a-z]+://").doesNotContain("127.0.0.1")
                .doesNotContain(String.valueOf(h.svc.simulator.baseUrl())).doesNotContainPattern("act-[0-9a-z]+");
    }
}
