package dev.spotapi.task;

import static dev.spotapi.task.TaskTestSupport.accepted;
import static dev.spotapi.task.TaskTestSupport.async;
import static dev.spotapi.task.TaskTestSupport.awaitEnd;
import static dev.spotapi.task.TaskTestSupport.instanceBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 21 in Redis mode, against a real redis-server: flywheel's key layout read raw, tasks scoped to
 * the org, and a Redis outage refusing async requests (503) while synchronous ones go on.
 */
@org.junit.jupiter.api.Order(14) // long: started first
class RedisTasksTest {
    private static final String NAMESPACE = "flywheel-test";
    private static RedisProcess redis;
    private static TestService svc;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        svc = TestService.start(TestService.fastSettings(), c -> c
                .withSharedState(new SharedStateConfig(redis.url(), 2_000))
                .withTasks(TaskTestSupport.fast(100, Map.of()).inNamespace(NAMESPACE)));
        client = RedisClient.create(redis.url());
        connection = client.connect();
    }

    @AfterAll
    static void stop() {
        connection.close();
        client.shutdown();
        svc.close();
        redis.close();
    }

    private static RedisCommands<String, String> raw() {
        return connection.sync();
    }

    @Test
    void theKeysAndFieldsAreFlywheels() throws InterruptedException {
        svc.resetSimulator();
        Reply r = async(svc, "POST", "/main/instances", instanceBody());
        String id = accepted(r);
        awaitEnd(svc, id);

        String hash = NAMESPACE + ":tasks:" + id;
        String events = NAMESPACE + ":events:" + id;
        assertThat(raw().type(hash)).isEqualTo("hash");
        assertThat(raw().type(events)).isEqualTo("list");
        Map<String, String> fields = raw().hgetall(hash);
        assertThat(fields.keySet()).as("flywheel's Task fields (taskToMapString)").containsExactlyInAnyOrder(
                "checkin_at", "completed_at", "created_at", "id", "status", "failed_at", "failure");
        assertThat(fields.get("id")).isEqualTo(id);
        assertThat(fields.get("status")).isEqualTo("completed");
        assertThat(fields.get("failure")).isEmpty();
        assertThat(Instant.parse(fields.get("created_at"))).isBefore(Instant.parse(fields.get("completed_at")));
        List<String> list = raw().lrange(events, 0, -1);
        assertThat(list).isNotEmpty().allSatisfy(e -> assertThat(e)
                .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d{1,9})?Z .+"));
        assertThat(list.get(0)).endsWith(" created task " + id);
        assertThat(list.get(list.size() - 1)).endsWith(" complete task " + id);
        long defaultTtl = TaskConfig.DEFAULTS.ttlSeconds();
        for (String key : List.of(hash, events)) {
            assertThat(raw().ttl(key)).as("TTL of %s", key).isBetween(defaultTtl - 60, defaultTtl);
        }

        JsonNode answered = TaskTestSupport.task(svc, id);
        assertThat(answered.path("created_at").asText()).isEqualTo(fields.get("created_at"));
        assertThat(answered.path("events").size()).isEqualTo(list.size());
    }

    @Test
    void aTaskOfAnotherOrgsDeploymentIsUnknown() throws InterruptedException {
        String id = accepted(async(svc, "POST", "/main/instances", instanceBody()));
        awaitEnd(svc, id);
        try (TestService other = TestService.replica(svc.simulator, TestService.fastSettings(), c -> c.withOrg("otherorg")
                .withSharedState(new SharedStateConfig(redis.url(), 2_000))
                .withTasks(TaskTestSupport.fast(100, Map.of()).inNamespace(NAMESPACE)))) {
            Reply r = other.call("GET", "/flywheel?task=" + id, null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.json().isEmpty()).as("another org's task is left out: %s", r.body()).isTrue();
        }
        assertThat(TaskTestSupport.task(svc, id)).as("this org sees it").isNotNull();
    }

    @Test
    void redisDownRefusesAsyncRequestsWith503AndSynchronousOnesGoOn() throws InterruptedException {
        redis.stop();
        try {
            Reply refused = async(svc, "POST", "/main/instances", instanceBody());
            assertThat(refused.status()).as("%s", refused).isEqualTo(503);
            assertThat(refused.header("Retry-After")).isNotNull();
            Reply sync = svc.call("POST", "/main/instances", instanceBody());
            assertThat(sync.status()).as("synchronous create: %s", sync).isEqualTo(200);
        } finally {
            redis.restart();
        }
        long deadline = System.nanoTime() + 15_000_000_000L;
        Reply again = async(svc, "POST", "/main/instances", instanceBody());
        while (again.status() == 503 && System.nanoTime() < deadline) {
            Thread.sleep(200);
            again = async(svc, "POST", "/main/instances", instanceBody());
        }
        assertThat(awaitEnd(svc, accepted(again)).path("status").asText()).isEqualTo("completed");
    }

    @Test
    void theReaperFailsATaskWhoseCheckInIsStaleAndWhoseWorkIsLost() throws InterruptedException {
        String ns = "reaper-test";
        String id = java.util.UUID.randomUUID().toString();
        String old = Instant.now().minusSeconds(600).toString();
        raw().hset(ns + ":tasks:" + id, Map.of("checkin_at", old, "completed_at", "", "created_at", old, "id", id,
                "status", "running", "failed_at", "", "failure", ""));
        raw().rpush(ns + ":events:" + id, old + " starting task " + id);
        raw().hset(ns + ":spotapi:work:" + id, Map.of("org", TestService.ORG, "kind", "instanceCreate",
                "account", "main", "resource", "smi-00000000", "target", "", "created_ms", "0",
                "deadline_ms", Long.toString(Long.MAX_VALUE)));
        raw().sadd(ns + ":spotapi:org:" + TestService.ORG + ":open", id);

        TaskConfig reaping = TaskConfig.DEFAULTS.with(20, 10, 100, 2, 1, Map.of()).inNamespace(ns);
        try (TestService replica = TestService.replica(svc.simulator, TestService.fastSettings(), c -> c
                .withSharedState(new SharedStateConfig(redis.url(), 2_000)).withTasks(reaping))) {
            JsonNode t = awaitEnd(replica, id);
            assertThat(t.path("status").asText()).isEqualTo("failed");
            assertThat(t.path("failure").asText()).contains("no check-in for 1 s");
            assertThat(raw().sismember(ns + ":spotapi:org:" + TestService.ORG + ":open", id)).isFalse();
        }
    }
}
