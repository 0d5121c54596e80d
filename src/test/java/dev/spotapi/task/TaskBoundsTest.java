package dev.spotapi.task;

import static dev.spotapi.task.TaskTestSupport.accepted;
import static dev.spotapi.task.TaskTestSupport.async;
import static dev.spotapi.task.TaskTestSupport.awaitEnd;
import static dev.spotapi.task.TaskTestSupport.createInstance;
import static dev.spotapi.task.TaskTestSupport.transitionSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Issue 21 bounds: a kind's deadline fails its task; beyond maxQueue open tasks an async request is a 503. */
class TaskBoundsTest {
    private static TestService svc;

    @BeforeAll
    static void start() {
        svc = TestService.start(TestService.fastSettings(),
                c -> c.withTasks(TaskTestSupport.fast(2, Map.of("instancePower", 2L))));
    }

    @AfterAll
    static void stop() {
        svc.close();
    }

    @Test
    void deadlinesFailTasksAndTheQueueIsBounded() throws InterruptedException {
        svc.resetSimulator();
        String a = createInstance(svc);
        String b = createInstance(svc);
        String c = createInstance(svc);
        transitionSeconds(svc, 600); // the simulated clock is not advanced: the pauses never end

        String ta = accepted(async(svc, "PUT", "/main/instances/" + a + "/power", "{\"state\":\"stop\"}"));
        String tb = accepted(async(svc, "PUT", "/main/instances/" + b + "/power", "{\"state\":\"stop\"}"));

        Reply refused = async(svc, "PUT", "/main/instances/" + c + "/power", "{\"state\":\"stop\"}");
        assertThat(refused.status()).as("%s", refused).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isNotNull();
        assertThat(TaskTestSupport.simStatus(svc, c)).as("nothing was sent to Spot").isEqualTo("ACTIVE");
        Reply sync = svc.call("GET", "/main/instances/" + c, null);
        assertThat(sync.status()).as("synchronous requests are unaffected").isEqualTo(200);

        JsonNode failed = awaitEnd(svc, ta);
        assertThat(failed.path("status").asText()).isEqualTo("failed");
        assertThat(failed.path("failure").asText()).contains("deadline of 2 s for instancePower passed")
                .contains("PAUSING");
        awaitEnd(svc, tb);

        Reply later = async(svc, "PUT", "/main/instances/" + c + "/power", "{\"state\":\"stop\"}");
        accepted(later);
    }

    /**
     * {@code maxRunning} slots are held by young tasks only: with one slot, a second task waits while the first is
     * in its first {@link Tasks#SLOT_POLLS} polls, then starts although the first still runs (a long task never keeps
     * newer ones waiting: attack round 7).
     */
    @Test
    void aReplicaStartsAtMostMaxRunningYoungTasksAndALongOneLetsTheNextStart() throws InterruptedException {
        TaskConfig one = TaskConfig.DEFAULTS.with(200, 1, 10, 2, 300, Map.of());
        try (TestService single = TestService.replica(svc.simulator, TestService.fastSettings(), c -> c.withTasks(one))) {
            svc.resetSimulator();
            String a = createInstance(single);
            String b = createInstance(single);
            transitionSeconds(single, 60);
            String ta = accepted(async(single, "PUT", "/main/instances/" + a + "/power", "{\"state\":\"stop\"}"));
            TaskTestSupport.awaitEvent(single, ta, "is PAUSING");
            String tb = accepted(async(single, "PUT", "/main/instances/" + b + "/power", "{\"state\":\"stop\"}"));
            Thread.sleep(300);
            assertThat(TaskTestSupport.task(single, tb).path("status").asText()).as("waits for the slot")
                    .isEqualTo("created");
            TaskTestSupport.awaitEvent(single, tb, "is PAUSING"); // the first one's slot ended after 5 polls (1 s)
            assertThat(TaskTestSupport.task(single, ta).path("status").asText()).as("the first still runs")
                    .isEqualTo("running");
            TaskTestSupport.advanceSimClock(single, 61);
            assertThat(awaitEnd(single, ta).path("status").asText()).isEqualTo("completed");
            assertThat(awaitEnd(single, tb).path("status").asText()).isEqualTo("completed");
        }
    }

    @Test
    void aLongTasksReadsSlowDownWithItsAgeToATenthAtMostThirtySeconds() {
        long poll = 2_000;
        java.util.function.LongUnaryOperator at = s -> Tasks.pollIntervalMs(poll, java.util.concurrent.TimeUnit.SECONDS.toNanos(s));
        assertThat(at.applyAsLong(0)).isEqualTo(poll);
        assertThat(at.applyAsLong(9)).as("within its slot").isEqualTo(poll);
        assertThat(at.applyAsLong(15)).as("a tenth of 15 s is less than pollMs").isEqualTo(poll);
        assertThat(at.applyAsLong(100)).isEqualTo(10_000);
        assertThat(at.applyAsLong(3_600)).isEqualTo(Tasks.MAX_POLL_MS);
    }
}
