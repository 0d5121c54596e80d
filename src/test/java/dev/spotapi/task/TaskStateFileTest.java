package dev.spotapi.task;

import static dev.spotapi.task.TaskTestSupport.accepted;
import static dev.spotapi.task.TaskTestSupport.advanceSimClock;
import static dev.spotapi.task.TaskTestSupport.async;
import static dev.spotapi.task.TaskTestSupport.awaitEnd;
import static dev.spotapi.task.TaskTestSupport.awaitEvent;
import static dev.spotapi.task.TaskTestSupport.createInstance;
import static dev.spotapi.task.TaskTestSupport.transitionSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.support.TestService;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without Redis, {@code tasks.stateFile} (the sandbox's {@code tasks.json}) keeps tasks across restarts: a
 * finished task is still answered, an unfinished one is resumed from Spot's state and completes.
 */
class TaskStateFileTest {
    @TempDir
    Path dir;

    @Test
    void tasksSurviveARestartAndUnfinishedOnesAreResumed() throws InterruptedException {
        String file = dir.resolve("tasks.json").toString();
        TaskConfig tasks = TaskTestSupport.fast(100, Map.of()).withStateFile(file);
        // the first service only runs the simulator (no state file); the two replicas share the file in turn
        try (TestService first = TestService.start(TestService.fastSettings())) {
            transitionSeconds(first, 0);
            String instance = createInstance(first);

            String done;
            String pending;
            try (TestService before = TestService.replica(first.simulator, TestService.fastSettings(),
                    c -> c.withTasks(tasks))) {
                done = accepted(async(before, "POST", "/main/instances", TaskTestSupport.instanceBody()));
                awaitEnd(before, done);
                transitionSeconds(first, 60);
                pending = accepted(async(before, "PUT", "/main/instances/" + instance + "/power",
                        "{\"state\":\"stop\"}"));
                awaitEvent(before, pending, "is PAUSING");
            }
            try (TestService after = TestService.replica(first.simulator, TestService.fastSettings(),
                    c -> c.withTasks(tasks))) {
                assertThat(TaskTestSupport.task(after, done).path("status").asText()).isEqualTo("completed");
                assertThat(TaskTestSupport.task(after, pending)).as("the unfinished task after the restart").isNotNull();
                advanceSimClock(after, 61);
                JsonNode t = awaitEnd(after, pending);
                assertThat(t.path("status").asText()).as("%s", t).isEqualTo("completed");
                assertThat(t.path("events").toString()).contains("is PAUSING").contains("is PAUSED");
            }
        }
    }
}
