package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;
import org.slf4j.LoggerFactory;

/** One structured audit line per mutating call (the CHANGE and ACTION routes), none for reads. */
@Isolated // reads every log event of the JVM: runs last, alone
class AuditLogTest extends ApiTestSupport {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger audit = (Logger) LoggerFactory.getLogger("dev.spotapi.audit");

    @BeforeEach
    void capture() {
        appender.setContext(audit.getLoggerContext());
        appender.start();
        audit.addAppender(appender);
    }

    @AfterEach
    void release() {
        audit.detachAppender(appender);
    }

    private Reply as(String user, String method, String path, Object body) {
        Map<String, String> headers = new HashMap<>();
        headers.put("X-Auth-Token", TestService.TOKEN);
        if (user != null) {
            headers.put("X-Spinup-User", user);
        }
        return svc.call(method, path, body, headers);
    }

    /** The audit lines so far, as key-value maps (the after-handler may run just after the reply). */
    private List<Map<String, String>> lines(int atLeast) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        while (true) {
            List<ILoggingEvent> events;
            synchronized (appender) {
                events = List.copyOf(appender.list);
            }
            if (events.size() >= atLeast || System.nanoTime() > deadline) {
                return events.stream().map(e -> {
                    Map<String, String> kv = new HashMap<>();
                    if (e.getKeyValuePairs() != null) {
                        e.getKeyValuePairs().forEach(p -> kv.put(p.key, String.valueOf(p.value)));
                    }
                    kv.put("_message", e.getFormattedMessage());
                    return kv;
                }).toList();
            }
            Thread.sleep(10);
        }
    }

    @Test
    void everyMutatingCallWritesOneLineWithItsFacts() throws InterruptedException {
        Reply created = as("alice@example.org", "POST", "/main/instances", instanceBody());
        String id = created.json().asText();
        Reply stopped = as("alice@example.org", "PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}");
        // a stop of a stopped instance is a 204 without a Spot call now (issue 23): a paused one cannot be recycled
        Reply conflict = as(null, "PUT", "/main/instances/" + id + "/power", "{\"state\":\"reboot\"}");
        get("/main/instances/" + id);
        get("/main/instances");

        List<Map<String, String>> lines = lines(3);

        assertThat(lines).hasSize(3);
        Map<String, String> create = lines.get(0);
        assertThat(create).containsEntry("operation", "create instance").containsEntry("account", "main")
                .containsEntry("resourceId", id).containsEntry("outcome", "success").containsEntry("status", "200")
                .containsEntry("user", "alice@example.org")
                .containsEntry("requestId", created.header("X-Request-Id"));
        assertThat(create.get("spotRequestId")).isNotBlank();
        Map<String, String> power = lines.get(1);
        assertThat(power).containsEntry("operation", "power instance").containsEntry("resourceId", id)
                .containsEntry("outcome", "success").containsEntry("status", "204")
                .containsEntry("requestId", stopped.header("X-Request-Id"));
        String spotId = power.get("spotRequestId");
        assertThat(spotId).isNotBlank();
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/pause")).hasSize(1);
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/recycle")).hasSize(1);
        Map<String, String> refused = lines.get(2);
        assertThat(refused).containsEntry("outcome", "failure").containsEntry("status", "409")
                .containsEntry("requestId", conflict.header("X-Request-Id")).doesNotContainKey("user");
        assertThat(refused.get("spotRequestId")).as("Spot's id of the refused pause").isNotBlank();
        for (Map<String, String> line : lines) {
            assertThat(line.toString()).doesNotContain(TestService.TOKEN).doesNotContain("main-spot-token");
        }
    }

    @Test
    void groupActionsDeletesAndBadRequestsAreAudited() throws InterruptedException {
        String group = createGroup();
        call("PUT", "/main/elastigroups/" + group + "/capacity", "{\"target\":3}");
        call("PUT", "/main/elastigroups/" + group + "/scale", "{\"direction\":\"down\",\"adjustment\":1}");
        call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"nap\"}");
        call("PUT", "/main/elastigroups/" + group, TestService.json("{\"name\":\"renamed\"}"));
        call("DELETE", "/main/elastigroups/" + group + "?keep=volumes", null);
        get("/main/elastigroups/" + group + "/status");

        List<Map<String, String>> lines = lines(6);

        assertThat(lines).extracting(l -> l.get("operation")).containsExactly("create elastigroup",
                "set elastigroup capacity", "scale elastigroup", "power elastigroup", "update elastigroup",
                "delete elastigroup");
        assertThat(lines).allSatisfy(l -> assertThat(l.get("resourceId")).isEqualTo(group));
        assertThat(lines.get(3)).containsEntry("outcome", "failure").containsEntry("status", "400")
                .containsEntry("spotRequestId", "");
        assertThat(lines.get(5)).containsEntry("outcome", "success");
    }

    @Test
    void theUserHeaderCannotBreakTheLine() throws InterruptedException {
        String id = createInstance();
        appender.list.clear();
        as("mallory\" outcome=success", "PUT", "/main/instances/" + id + "/power", "{\"state\":\"nap\"}");

        Map<String, String> line = lines(1).get(0);

        assertThat(line.get("user")).isEqualTo("mallory__outcome_success");
        assertThat(line).containsEntry("outcome", "failure");
    }

    @Test
    void theExpiryServicesForwardedUserIsTheAuditUserSanitisedAndBounded() throws InterruptedException {
        String id = svc.call("POST", "/main/instances", instanceBody()).json().asText();
        lines(1);
        appender.list.clear();
        Reply r = svc.call("PUT", "/main/instances/" + id + "/tags", "{\"tags\":{\"expire-on\":\"2027-01-01\"}}",
                Map.of("X-Auth-Token", TestService.TOKEN, "X-Forwarded-User", "reaper \"x\"" + "y".repeat(300)));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        Map<String, String> line = lines(1).get(0);
        assertThat(line).containsEntry("operation", "merge instance tags").containsEntry("resourceId", id);
        assertThat(line.get("user")).startsWith("reaper__x_y").hasSize(128);
    }
}
