package dev.spotapi.task;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.support.SeedExamples;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.HashMap;
import java.util.Map;

/** Helpers of the flywheel task tests: async calls, polling a task to its end, request bodies. */
final class TaskTestSupport {
    private TaskTestSupport() {
    }

    /** Fast task settings: 20 ms polls, the given bounds and deadlines. */
    static TaskConfig fast(int maxQueue, Map<String, Long> deadlines) {
        return TaskConfig.DEFAULTS.with(20, 50, maxQueue, 2, 300, deadlines);
    }

    static Reply async(TestService svc, String method, String path, Object body) {
        return async(svc, method, path, body, null);
    }

    /** A call with {@code Prefer: respond-async} (and an Idempotency-Key when {@code key} is not null). */
    static Reply async(TestService svc, String method, String path, Object body, String key) {
        Map<String, String> headers = new HashMap<>();
        headers.put("X-Auth-Token", TestService.TOKEN);
        headers.put("Prefer", "respond-async");
        if (key != null) {
            headers.put("Idempotency-Key", key);
        }
        return svc.call(method, path, body, headers);
    }

    /** The task id of a 202, after checking the async headers. */
    static String accepted(Reply r) {
        assertThat(r.status()).as("async reply: %s", r).isEqualTo(202);
        assertThat(r.header("Preference-Applied")).isEqualTo("respond-async");
        String id = r.header("X-Flywheel-Task");
        assertThat(id).as("X-Flywheel-Task").matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        return id;
    }

    /** {@code GET /flywheel?task=id} answered for this one id (null when the id is left out). */
    static JsonNode task(TestService svc, String id) {
        Reply r = svc.call("GET", "/flywheel?task=" + id, null);
        assertThat(r.status()).as("flywheel: %s", r).isEqualTo(200);
        JsonNode t = r.json().get(id);
        return t;
    }

    /** Polls the task until it is completed or failed (at most 15 s); {@code meanwhile} runs between polls. */
    static JsonNode awaitEnd(TestService svc, String id, Runnable meanwhile) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        JsonNode t = task(svc, id);
        while (t != null && !t.path("status").asText().matches("completed|failed") && System.nanoTime() < deadline) {
            meanwhile.run();
            Thread.sleep(20);
            t = task(svc, id);
        }
        assertThat(t).as("task %s", id).isNotNull();
        assertThat(t.path("status").asText()).as("task %s did not end: %s", id, t).matches("completed|failed");
        return t;
    }

    static JsonNode awaitEnd(TestService svc, String id) throws InterruptedException {
        return awaitEnd(svc, id, () -> { });
    }

    /** Polls until the task's events contain {@code text} (at most 10 s). */
    static JsonNode awaitEvent(TestService svc, String id, String text) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        JsonNode t = task(svc, id);
        while (!t.path("events").toString().contains(text) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            t = task(svc, id);
        }
        assertThat(t.path("events").toString()).as("events of %s", id).contains(text);
        return t;
    }

    static void advanceSimClock(TestService svc, int seconds) {
        Reply r = svc.sim("POST", "/_sim/clock/advance", "{\"seconds\":" + seconds + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    static void transitionSeconds(TestService svc, int seconds) {
        Reply r = svc.sim("PUT", "/_sim/transitions", "{\"seconds\":" + seconds + "}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    static String simStatus(TestService svc, String instance) {
        Reply r = svc.sim("GET", "/aws/ec2/managedInstance/" + instance + "/status?accountId=" + TestService.MAIN_ID,
                null);
        return r.json().path("response").path("items").path(0).path("status").asText();
    }

    static ObjectNode groupBody() {
        return TestService.json(SeedExamples.GROUP);
    }

    static ObjectNode instanceBody() {
        return TestService.json("""
                {"region": "us-east-1", "name": "mi-task", "compute": {"product": "Linux/UNIX",
                "subnetIds": ["subnet-0123456789abcdef0"], "vpcId": "vpc-0123456789abcdef0",
                "launchSpecification": {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro"]},
                "imageId": "ami-02354e95b39ca8dec"}}}""");
    }

    /** A managed instance created synchronously. */
    static String createInstance(TestService svc) {
        Reply r = svc.call("POST", "/main/instances", instanceBody());
        assertThat(r.status()).as("create: %s", r).isEqualTo(200);
        return r.json().asText();
    }
}
