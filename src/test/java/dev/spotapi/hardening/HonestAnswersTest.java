package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.spotapi.support.TestService.Reply;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 4, "Honest answers after the retries: Spot 429 → 429 with Retry-After; Spot rejecting the account's
 * own token (401/403) → 502 naming the account; Spot 5xx, HTML, empty or garbage bodies → 502; deadline
 * exceeded → 504 (see {@link SpotTimeoutsTest}); Spot unreachable → 502. Each with a JSON body and the
 * request id, and the Spot request id in the log."
 */
class HonestAnswersTest extends HarnessPerClass {
    private static final Pattern SPOT_REQUEST_ID =
            Pattern.compile("spotRequestId=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})");

    @Test
    void spot429AfterTheRetriesIs429WithRetryAfter() {
        String id = h.createGroup();
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"status\",\"status\":429}");

        Reply r = h.get("/main/elastigroups/" + id);

        String message = assertJsonError(r, 429);
        assertThat(message).contains("rate limit");
        assertThat(r.header("Retry-After")).as("Retry-After header").isNotNull();
        assertThat(Long.parseLong(r.header("Retry-After"))).isGreaterThanOrEqualTo(1);
        assertThat(h.countSpotRequests("GET", GROUPS + "/" + id)).as("retried up to maxAttempts").isEqualTo(3);
    }

    @Test
    void spot429WithRetryAfterIsPassedOnWithAtLeastThatRetryAfter() {
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"status\",\"status\":429,\"retryAfter\":7}");

        // account throttled: the route stays held for those 7 s (issue 14), other tests read main's groups
        Reply r = h.get("/throttled/elastigroups/sig-0000abcd");

        assertJsonError(r, 429);
        assertThat(Long.parseLong(r.header("Retry-After"))).isGreaterThanOrEqualTo(7);
    }

    @Test
    void spot429OnCreateIs429AndNothingIsCreated() {
        String name = Harness.uniqueName("create429");
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"status\",\"status\":429}");

        Reply r = h.call("POST", "/main/instances", Harness.instanceBody(name));

        assertJsonError(r, 429);
        assertThat(r.header("Retry-After")).isNotNull();
        assertThat(h.countSpotRequests("POST", INSTANCES)).as("429 on POST is retried: Spot did not act")
                .isEqualTo(3);
        assertThat(h.storedAll(INSTANCES)).noneMatch(i -> name.equals(Harness.nameOf(i)));
    }

    @ParameterizedTest(name = "Spot {0} on the account's own token is 502 naming the account")
    @ValueSource(ints = {401, 403})
    void spotRejectingTheAccountsTokenIs502NamingTheAccount(int status) {
        h.fault("{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":" + status + "}");

        Reply r = h.get("/main/instances");

        String message = assertJsonError(r, 502);
        assertThat(message).contains("'main'").contains(Integer.toString(status));
        assertThat(message).doesNotContain("main-spot-token");
        assertThat(h.countSpotRequests("GET", INSTANCES)).as("not retried").isEqualTo(1);
    }

    @Test
    void aWrongSpotTokenInTheConfigIs502NamingTheAccount() {
        Reply r = h.get("/badtoken/elastigroups");

        String message = assertJsonError(r, 502);
        assertThat(message).contains("'badtoken'");
        assertThat(message).doesNotContain("not-the-token");
        assertThat(h.countSpotRequests("GET", GROUPS)).as("not retried").isEqualTo(1);
    }

    @ParameterizedTest(name = "Spot {0} {1} is 502")
    @CsvSource({
            "status, 500", "status, 502", "status, 503", "status, 504", "status, 507",
            "html, 502", "html, 503", "html, 200",
            "empty, 502", "empty, 500", "empty, 200",
            "garbage, 200", "garbage, 500", "garbage, 503"})
    void badRepliesAre502(String action, int status) {
        String id = h.createGroup();
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"" + action + "\",\"status\":" + status
                + "}");

        Reply r = h.get("/main/elastigroups/" + id);

        String message = assertJsonError(r, 502);
        assertThat(message).startsWith("failed to get elastigroup");
        assertThat(message).doesNotContain("<html", "~garbage~");
    }

    @ParameterizedTest(name = "Spot {0} {1} on create is 502")
    @CsvSource({"status, 503", "html, 502", "empty, 200", "garbage, 200"})
    void badRepliesOnCreateAre502(String action, int status) {
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"" + action + "\",\"status\":" + status
                + "}");

        Reply r = h.call("POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("bad")));

        assertJsonError(r, 502);
    }

    @ParameterizedTest(name = "Spot {0} {1} to a delete is 502, not OK")
    @CsvSource({"garbage, 200", "html, 200", "empty, 200"})
    void aBadReplyToADeleteIs502NotOk(String action, int status) {
        // the fault answers instead of Spot: nothing was deleted, so "OK" would be a lie
        String id = h.createGroup();
        h.fault("{\"method\":\"DELETE\",\"path\":\"/aws/ec2/group/*\",\"action\":\"" + action + "\",\"status\":" + status
                + "}");

        Reply r = h.call("DELETE", "/main/elastigroups/" + id, null);

        assertThat(h.stored(GROUPS, id)).as("the group still exists in Spot").isNotNull();
        assertJsonError(r, 502);
    }

    @Test
    void spotUnreachableIs502() {
        Reply r = h.get("/down/elastigroups");

        String message = assertJsonError(r, 502);
        assertThat(message).contains("unreachable");
    }

    @Test
    void theCallersRequestIdIsInTheErrorBodyAndHeader() {
        h.fault("{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":503}");

        Reply r = h.callWithRequestId("GET", "/main/instances", null, "caller-req-42");

        assertJsonError(r, 502);
        assertThat(r.json().path("requestId").asText()).isEqualTo("caller-req-42");
    }

    @Test
    void theSpotRequestIdIsLogged() throws InterruptedException {
        h.fault("{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":503}");
        try (LogCapture logs = LogCapture.start()) {
            Reply r = h.callWithRequestId("GET", "/main/instances", null, "honest-spot-id-1");
            assertJsonError(r, 502);

            // this request's line: other test classes log Spot request ids of their own meanwhile
            ILoggingEvent line = logs.await(e -> SPOT_REQUEST_ID.matcher(e.getFormattedMessage()).find()
                    && LogCapture.everything(e).contains("honest-spot-id-1"), 5_000);

            assertThat(line).as("a log line with Spot's request id").isNotNull();
            assertThat(line.getLevel().isGreaterOrEqual(Level.WARN)).as("logged at WARN or above").isTrue();
        }
    }

    @Test
    void theSpotRequestIdIsLoggedTogetherWithOurRequestId() throws InterruptedException {
        // an operator holding the requestId of a 502 must be able to find Spot's request id in the log
        h.fault("{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":503}");
        try (LogCapture logs = LogCapture.start()) {
            Reply r = h.callWithRequestId("GET", "/main/instances", null, "honest-spot-id-2");
            assertJsonError(r, 502);

            ILoggingEvent line = logs.await(e -> SPOT_REQUEST_ID.matcher(e.getFormattedMessage()).find()
                    && LogCapture.everything(e).contains("honest-spot-id-2"), 5_000);

            assertThat(line).as("a log line with Spot's request id and ours").isNotNull();
            Matcher m = SPOT_REQUEST_ID.matcher(line.getFormattedMessage());
            assertThat(m.find()).isTrue();
            assertThat(LogCapture.everything(line)).as("the Spot request id's log line names our request id")
                    .contains("honest-spot-id-2");
        }
    }
}
