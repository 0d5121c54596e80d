package dev.spotapi.task;

import static dev.spotapi.task.TaskTestSupport.accepted;
import static dev.spotapi.task.TaskTestSupport.advanceSimClock;
import static dev.spotapi.task.TaskTestSupport.async;
import static dev.spotapi.task.TaskTestSupport.awaitEnd;
import static dev.spotapi.task.TaskTestSupport.awaitEvent;
import static dev.spotapi.task.TaskTestSupport.createInstance;
import static dev.spotapi.task.TaskTestSupport.groupBody;
import static dev.spotapi.task.TaskTestSupport.instanceBody;
import static dev.spotapi.task.TaskTestSupport.task;
import static dev.spotapi.task.TaskTestSupport.transitionSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 21, black-box over HTTP: {@code Prefer: respond-async} answers 202 with a flywheel task that waits,
 * in the simulator's time, for Spot's target state; {@code GET /v1/spot/flywheel} in flywheel's wire format.
 */
class FlywheelTasksTest {
    private static TestService svc;

    @BeforeAll
    static void start() {
        svc = TestService.start(TestService.fastSettings(), c -> c.withTasks(TaskTestSupport.fast(100, Map.of())));
    }

    @AfterAll
    static void stop() {
        svc.close();
    }

    @BeforeEach
    void reset() {
        svc.resetSimulator();
        transitionSeconds(svc, 0);
    }

    @Test
    void asyncInstanceCreateAnswers202WithTheIdAndItsTaskCompletes() throws InterruptedException {
        Reply r = async(svc, "POST", "/main/instances", instanceBody());
        String id = accepted(r);
        assertThat(r.json().asText()).as("the created id, as the synchronous answer").matches("smi-[0-9a-f]{8}");

        JsonNode t = awaitEnd(svc, id);

        assertThat(t.path("status").asText()).isEqualTo("completed");
        assertThat(t.path("id").asText()).isEqualTo(id);
        for (String field : List.of("created_at", "completed_at")) {
            assertThat(Instant.parse(t.path(field).asText())).as(field).isNotNull();
        }
        assertThat(t.has("failure")).as("empty fields are left out: %s", t).isFalse();
        assertThat(t.has("failed_at")).isFalse();
        List<String> events = new ArrayList<>();
        t.path("events").forEach(e -> events.add(e.asText()));
        assertThat(events).allSatisfy(e -> assertThat(Instant.parse(e.substring(0, e.indexOf(' ')))).isNotNull());
        assertThat(String.join("\n", events)).contains("starting task " + id)
                .contains("managed instance " + r.json().asText() + " is ACTIVE").contains("complete task " + id);
    }

    @Test
    void withoutThePreferenceEveryRouteAnswersAsBefore() {
        Reply r = svc.call("POST", "/main/instances", instanceBody());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("X-Flywheel-Task")).isNull();
        assertThat(r.header("Preference-Applied")).isNull();
        Reply other = svc.call("POST", "/main/instances", instanceBody(),
                Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "return=minimal"));
        assertThat(other.status()).as("another preference is ignored").isEqualTo(200);
    }

    @Test
    void powerTasksWaitForTheSimulatedTransition() throws InterruptedException {
        String instance = createInstance(svc);
        transitionSeconds(svc, 60);

        Reply stop = async(svc, "PUT", "/main/instances/" + instance + "/power", "{\"state\":\"stop\"}");
        String id = accepted(stop);
        assertThat(stop.body()).isEmpty();
        awaitEvent(svc, id, "is PAUSING");
        assertThat(task(svc, id).path("status").asText()).as("still PAUSING in simulated time").isEqualTo("running");

        advanceSimClock(svc, 61);
        JsonNode t = awaitEnd(svc, id);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(t.path("events").toString()).contains("is PAUSED");

        String start = accepted(async(svc, "PUT", "/main/instances/" + instance + "/power", "{\"state\":\"start\"}"));
        awaitEvent(svc, start, "is RESUMING");
        advanceSimClock(svc, 61);
        assertThat(awaitEnd(svc, start).path("status").asText()).isEqualTo("completed");
        assertThat(TaskTestSupport.simStatus(svc, instance)).isEqualTo("ACTIVE");
    }

    @Test
    void aRebootTaskWaitsForTheRecycleToEnd() throws InterruptedException {
        String instance = createInstance(svc);
        String quick = accepted(async(svc, "PUT", "/main/instances/" + instance + "/power", "{\"state\":\"reboot\"}"));
        assertThat(awaitEnd(svc, quick).path("status").asText()).as("a recycle that takes no time").isEqualTo("completed");

        transitionSeconds(svc, 60);
        String slow = accepted(async(svc, "PUT", "/main/instances/" + instance + "/power", "{\"state\":\"reboot\"}"));
        awaitEvent(svc, slow, "is RECYCLING");
        assertThat(task(svc, slow).path("status").asText()).isEqualTo("running");
        advanceSimClock(svc, 61);
        JsonNode t = awaitEnd(svc, slow);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(t.path("events").toString()).contains("is ACTIVE");
    }

    @Test
    void asyncInstanceDeleteCompletesWhenSpotNoLongerKnowsIt() throws InterruptedException {
        String instance = createInstance(svc);
        Reply r = async(svc, "DELETE", "/main/instances/" + instance, null);
        String id = accepted(r);
        assertThat(r.body()).isEqualTo("OK");
        JsonNode t = awaitEnd(svc, id);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(t.path("events").toString()).contains("is deleted");
    }

    @Test
    void groupCreateCapacityScalePowerAndDeleteCompleteWhenTheCapacityIsFulfilled() throws InterruptedException {
        Reply created = async(svc, "POST", "/main/elastigroups", groupBody());
        String createTask = accepted(created);
        String group = created.json().path("id").asText();
        assertThat(group).matches("sig-[0-9a-f]{8}");
        JsonNode t = awaitEnd(svc, createTask);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(t.path("events").toString()).contains("2 instance(s) fulfilled, target 2");

        String capacity = accepted(async(svc, "PUT", "/main/elastigroups/" + group + "/capacity",
                "{\"target\":3}"));
        t = awaitEnd(svc, capacity);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(t.path("events").toString()).contains("3 instance(s) fulfilled, target 3");

        String scale = accepted(async(svc, "PUT", "/main/elastigroups/" + group + "/scale",
                "{\"direction\":\"down\",\"adjustment\":1}"));
        assertThat(awaitEnd(svc, scale).path("events").toString()).contains("2 instance(s) fulfilled, target 2");

        Reply stop = async(svc, "PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}");
        t = awaitEnd(svc, accepted(stop));
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(t.path("events").toString()).contains("0 instance(s) fulfilled, target 0");

        String delete = accepted(async(svc, "DELETE", "/main/elastigroups/" + group, null));
        t = awaitEnd(svc, delete);
        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
        assertThat(t.path("events").toString()).contains("elastigroup " + group + " is deleted");
    }

    @Test
    void aTransitionSpotReportsAsFailedFailsTheTaskWithSpotsReason() throws InterruptedException {
        String instance = createInstance(svc);
        transitionSeconds(svc, 60);
        Reply fault = svc.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/"
                + instance + "/status\",\"action\":\"status\",\"status\":400,\"errorCode\":\"MANAGED_INSTANCE_ERROR\","
                + "\"message\":\"pause failed: the instance could not be stopped\"}");
        assertThat(fault.status()).as(fault.body()).isEqualTo(200);

        String id = accepted(async(svc, "PUT", "/main/instances/" + instance + "/power", "{\"state\":\"stop\"}"));
        JsonNode t = awaitEnd(svc, id);

        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("failed");
        assertThat(t.path("failure").asText()).contains("MANAGED_INSTANCE_ERROR")
                .contains("pause failed: the instance could not be stopped");
        assertThat(Instant.parse(t.path("failed_at").asText())).isNotNull();
        assertThat(t.has("completed_at")).isFalse();
    }

    @Test
    void aStatusOfErrorFailsTheTask() throws InterruptedException {
        String instance = createInstance(svc);
        String body = "{\"request\":{\"id\":\"r-1\",\"url\":\"/\",\"method\":\"GET\",\"timestamp\":\"2026-01-01T00:00:00.000Z\"},"
                + "\"response\":{\"status\":{\"code\":200,\"message\":\"OK\"},\"kind\":\"spotinst:aws:ec2:managedInstanceStatus\","
                + "\"items\":[{\"id\":\"" + instance + "\",\"status\":\"ERROR\"}],\"count\":1}}";
        Reply fault = svc.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/"
                + instance + "/status\",\"action\":\"json\",\"body\":" + body + "}");
        assertThat(fault.status()).as(fault.body()).isEqualTo(200);

        String id = accepted(async(svc, "PUT", "/main/instances/" + instance + "/power", "{\"state\":\"reboot\"}"));
        JsonNode t = awaitEnd(svc, id);

        assertThat(t.path("status").asText()).as("%s", t).isEqualTo("failed");
        assertThat(t.path("failure").asText()).contains("ERROR");
    }

    @Test
    void theFlywheelQueryAnswersAnObjectKeyedByIdWithoutUnknownIds() throws InterruptedException {
        String a = accepted(async(svc, "POST", "/main/instances", instanceBody()));
        String b = accepted(async(svc, "POST", "/main/instances", instanceBody()));
        awaitEnd(svc, a);
        awaitEnd(svc, b);

        Reply r = svc.call("GET", "/flywheel?task=" + a + "&task=unknown-id&task=" + b, null);
        assertThat(r.status()).isEqualTo(200);
        List<String> keys = new ArrayList<>();
        r.json().fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactlyInAnyOrder(a, b);
        assertThat(r.json().path(a).path("id").asText()).isEqualTo(a);

        Reply none = svc.call("GET", "/flywheel?task=nope", null);
        assertThat(none.status()).isEqualTo(200);
        assertThat(none.json().isObject() && none.json().isEmpty()).as(none.body()).isTrue();

        assertThat(svc.call("GET", "/flywheel", null).status()).as("no task parameter").isEqualTo(400);
        assertThat(svc.call("GET", "/flywheel?task=" + a, null, Map.of()).status()).as("no token").isEqualTo(403);
    }

    @Test
    void anIdempotencyKeyReplaysTheSameTaskAndCreatesOnce() throws InterruptedException {
        Reply first = async(svc, "POST", "/main/instances", instanceBody(), "task-key-1");
        String id = accepted(first);
        Reply again = async(svc, "POST", "/main/instances", instanceBody(), "task-key-1");
        assertThat(accepted(again)).isEqualTo(id);
        assertThat(again.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(awaitEnd(svc, id).path("status").asText()).isEqualTo("completed");
        Reply list = svc.call("GET", "/main/instances", null);
        assertThat(list.json().size()).as("one instance: %s", list.body()).isEqualTo(1);
    }

    @Test
    void theAuditLineCarriesTheTaskId() throws InterruptedException {
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        Logger audit = (Logger) LoggerFactory.getLogger("dev.spotapi.audit");
        appender.setContext(audit.getLoggerContext());
        appender.start();
        audit.addAppender(appender);
        try {
            String id = accepted(async(svc, "POST", "/main/instances", instanceBody()));
            long deadline = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < deadline && lineWith(appender, id) == null) {
                Thread.sleep(10);
            }
            ILoggingEvent line = lineWith(appender, id);
            assertThat(line).as("an audit line with taskId=%s", id).isNotNull();
            assertThat(line.getFormattedMessage()).contains("taskId=" + id).contains("status=202");
        } finally {
            audit.detachAppender(appender);
        }
    }

    private static ILoggingEvent lineWith(ListAppender<ILoggingEvent> appender, String taskId) {
        synchronized (appender) {
            return appender.list.stream().filter(e -> e.getKeyValuePairs() != null && e.getKeyValuePairs().stream()
                    .anyMatch(p -> p.key.equals("taskId") && taskId.equals(String.valueOf(p.value))))
                    .findFirst().orElse(null);
        }
    }

    @Test
    void browsersMaySendPreferAndReadTheTaskHeader() {
        Reply preflight = svc.call("OPTIONS", "/main/instances", null, Map.of("Origin", "https://portal.example.org",
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type,prefer"));
        assertThat(preflight.status()).isEqualTo(200);
        assertThat(preflight.header("Access-Control-Allow-Headers").toLowerCase()).contains("prefer");
        Reply r = svc.call("POST", "/main/instances", instanceBody(), Map.of("X-Auth-Token", TestService.TOKEN,
                "Prefer", "respond-async", "Origin", "https://portal.example.org"));
        accepted(r);
        assertThat(r.header("Access-Control-Expose-Headers").toLowerCase()).contains("x-flywheel-task")
                .contains("preference-applied");
    }

    @Test
    void metricsCountTasksByKindAndStatus() throws InterruptedException {
        String id = accepted(async(svc, "POST", "/main/instances", instanceBody()));
        awaitEnd(svc, id);
        Reply m = svc.call("GET", "/metrics", null);
        assertThat(m.body()).containsPattern("spotapi_tasks_total\\{kind=\"instanceCreate\",status=\"completed\"} [1-9]")
                .contains("spotapi_task_duration_seconds_bucket{kind=\"instanceCreate\",status=\"completed\"")
                .contains("spotapi_tasks_claimed_after_crash_total");
    }
}
