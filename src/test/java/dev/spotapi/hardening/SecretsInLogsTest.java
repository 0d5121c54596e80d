package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Issue 4, "Secrets never appear in logs": the X-Auth-Token value (right or wrong), the pre-shared key and
 * the Spot tokens of the accounts, in no formatted message, argument, MDC value or exception text, at
 * DEBUG level too; and the simulator's request log masks the bearer token.
 */
@Isolated // reads every log event of the JVM: runs last, alone
class SecretsInLogsTest extends HarnessPerClass {
    private static final String WRONG_TOKEN = TokenVerifier.hash("a-guessed-key", 4);
    private static final String MALFORMED_TOKEN = "not-bcrypt-but-secret-looking-0123456789";
    private static final String EXPENSIVE_TOKEN = "$2a$31$" + TestService.TOKEN.substring(7);
    private static final List<String> SECRETS = List.of(TestService.KEY, TestService.TOKEN, WRONG_TOKEN, MALFORMED_TOKEN,
            EXPENSIVE_TOKEN, "main-spot-token", "other-spot-token", "not-the-token",
            // the variable part of a bcrypt hash is secret-bearing on its own
            TestService.TOKEN.substring(7), WRONG_TOKEN.substring(7));

    @Test
    void noSecretAppearsInAnyLogEventAtDebugLevel() throws InterruptedException {
        h.reset();
        List<ILoggingEvent> events;
        try (LogCapture logs = LogCapture.startAtDebug()) {
            exerciseEverythingThatLogs();
            // access lines are written after the reply: the last request's line comes after the others'
            h.callWithRequestId("GET", "/ping", null, "secrets-last-request");
            assertThat(logs.await(e -> LogCapture.everything(e).contains("secrets-last-request"), 5_000))
                    .as("the last request's access line").isNotNull();
            events = logs.events();
        }

        assertThat(events).as("the scenario produced log events to inspect").hasSizeGreaterThan(20);
        List<String> leaks = new ArrayList<>();
        for (ILoggingEvent e : events) {
            String text = LogCapture.everything(e);
            for (String secret : SECRETS) {
                if (text.contains(secret)) {
                    leaks.add(secret.substring(0, 6) + "... in " + e.getLoggerName() + ": " + abbreviate(text));
                }
            }
        }
        assertThat(leaks).as("secrets found in log events").isEmpty();
    }

    @Test
    void theAccessLogStillIdentifiesRequestsWithoutTheirToken() throws InterruptedException {
        try (LogCapture logs = LogCapture.start()) {
            h.callWithRequestId("GET", "/main/instances", null, "secrets-access-1");

            ILoggingEvent access = logs.await(e -> LogCapture.everything(e).contains("secrets-access-1"), 5_000);

            assertThat(access).as("an access log line for the request").isNotNull();
            assertThat(LogCapture.everything(access)).contains("/v1/spot/main/instances").doesNotContain(TestService.TOKEN);
        }
    }

    @Test
    void theSimulatorsRequestLogMasksTheBearerToken() {
        h.reset();
        h.get("/main/instances");
        h.get("/other/elastigroups");
        h.get("/badtoken/elastigroups");

        List<JsonNode> requests = h.spotRequests();

        assertThat(requests).hasSizeGreaterThanOrEqualTo(3);
        for (JsonNode r : requests) {
            assertThat(r.path("headers").path("authorization").asText()).isEqualTo("Bearer ****");
            assertThat(r.toString()).doesNotContain("main-spot-token", "other-spot-token", "not-the-token");
        }
    }

    /** Every path that logs: access lines, auth refusals, Spot successes and failures of every kind. */
    private void exerciseEverythingThatLogs() {
        Map<String, String> wrong = Map.of("X-Auth-Token", WRONG_TOKEN);
        h.svc.call("GET", "/main/instances", null, wrong);
        h.svc.call("GET", "/main/instances", null, Map.of("X-Auth-Token", MALFORMED_TOKEN));
        h.svc.call("GET", "/main/instances", null, Map.of("X-Auth-Token", EXPENSIVE_TOKEN));
        h.svc.call("GET", "/no/such/route", null, wrong);
        h.svc.call("GET", "/main/instances", null, Map.of());
        h.svc.call("OPTIONS", "/main/instances", null, Map.of("X-Auth-Token", WRONG_TOKEN));
        h.svc.call("GET", "/ping", null, Map.of("X-Auth-Token", TestService.TOKEN));

        String group = h.createGroup();
        String instance = h.createInstance();
        h.get("/main/elastigroups/" + group);
        h.get("/main/instances/" + instance);
        h.get("/main/instances/" + instance + "/costs");
        h.call("PUT", "/main/instances/" + instance, TestService.json("{\"description\": \"d\"}"));
        h.get("/other/elastigroups");
        h.get("/badtoken/elastigroups"); // Spot refuses the account's token
        h.get("/down/instances"); // unreachable
        h.get("/main/elastigroups/sig-0000dead"); // Spot 404
        h.call("POST", "/main/elastigroups", TestService.json("{\"name\": \"no-capacity\"}")); // Spot 400
        h.call("POST", "/main/instances", "{not json".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (String action : new String[] {"status", "html", "empty", "garbage", "drop"}) {
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/**\",\"action\":\"" + action + "\",\"status\":503,\"count\":5}");
            h.get("/main/elastigroups/" + group);
            h.clearFaults();
        }
        h.fault("{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":401,\"count\":1}");
        h.get("/main/instances");
        h.fault("{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":429,\"count\":5}");
        h.get("/main/instances");
        h.clearFaults();
        h.call("DELETE", "/main/instances/" + instance, null);
        h.call("DELETE", "/main/elastigroups/" + group, null);
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }
}
