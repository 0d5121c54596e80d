package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Attack round 3: two deployments of different orgs (alpha, beta) sharing one Redis with the default
 * task namespace. Each org's tasks must be run by its own deployment (its accounts) and its async
 * capacity must not be used up by the other org.
 */
class OrgSharedRedisAttackTest {

    /** Org beta's deployment: one account named {@code betaacct} (alpha has no account of that name). */
    private static ServiceConfig beta(SpotSimulator sim, String redisUrl, TaskConfig tasks) {
        Map<String, AccountConfig> accounts = new LinkedHashMap<>();
        accounts.put("betaacct", new AccountConfig("us-east-1", TestService.MAIN_ID, "main-spot-token",
                TestService.DEFAULT_VPC, sim.baseUrl()));
        return beta(accounts, redisUrl, tasks);
    }

    private static ServiceConfig beta(Map<String, AccountConfig> accounts, String redisUrl, TaskConfig tasks) {
        return ConfigLoader.validate(new ServiceConfig("127.0.0.1:0", accounts, TestService.KEY, "info", "text", "beta",
                0, TestService.fastSettings())).withSharedState(new SharedStateConfig(redisUrl, 2_000)).withTasks(tasks);
    }

    private static TestService alpha(SpotSimulator sim, String redisUrl, TaskConfig tasks) {
        return TestService.replica(sim, TestService.fastSettings(), c -> c.withOrg("alpha")
                .withSharedState(new SharedStateConfig(redisUrl, 2_000)).withTasks(tasks));
    }

    private static TestService.Reply async(TestService svc, String path) {
        return svc.call("POST", path, Harness.instanceBody(Harness.uniqueName("org3")),
                Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async"));
    }

    private static JsonNode awaitEnd(TestService svc, String task) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        JsonNode t = svc.call("GET", "/flywheel?task=" + task, null).json().path(task);
        while (!t.path("status").asText().matches("completed|failed") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            t = svc.call("GET", "/flywheel?task=" + task, null).json().path(task);
        }
        return t;
    }

    @Test
    void anotherOrgsDeploymentNeverRunsThisOrgsTasks() throws Exception {
        TaskConfig tasks = TaskConfig.DEFAULTS.with(20, 10, 100, 2, 120, Map.of());
        // beta runs one task at a time (a busy beta replica); its other tasks wait in the shared stream
        TaskConfig betaTasks = TaskConfig.DEFAULTS.with(20, 1, 100, 2, 120, Map.of());
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(300))
                        .account(TestService.MAIN_ID, "main-spot-token").start();
                TestService a = alpha(sim, redis.url(), tasks);
                TestService b = TestService.replica(sim, TestService.fastSettings(), c -> beta(sim, redis.url(), betaTasks))) {
            // beta's first task's status read is held 1.5 s in Spot: beta is busy, its next tasks wait in the stream
            b.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\","
                    + "\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                TestService.Reply r = async(b, "/betaacct/instances");
                assertThat(r.status()).as("%s", r).isEqualTo(202);
                ids.add(r.header("X-Flywheel-Task"));
            }
            for (String id : ids) {
                JsonNode t = awaitEnd(b, id);
                assertThat(t.path("status").asText()).as("org beta's task %s, run only by beta: %s", id, t)
                        .isEqualTo("completed");
            }
        }
    }

    @Test
    void anotherOrgsOpenTasksDoNotUseUpThisOrgsAsyncCapacity() throws Exception {
        TaskConfig tasks = TaskConfig.DEFAULTS.with(20, 10, 3, 2, 120, Map.of());
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(TestService.MAIN_ID, "main-spot-token").start();
                TestService a = alpha(sim, redis.url(), tasks);
                TestService b = TestService.replica(sim, TestService.fastSettings(), c -> beta(sim, redis.url(), tasks))) {
            // alpha's three tasks stay open: their status reads are held 8 s in Spot
            a.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\","
                    + "\"action\":\"delay\",\"delayMs\":8000,\"count\":3}");
            for (int i = 0; i < 3; i++) {
                TestService.Reply r = async(a, "/main/instances");
                assertThat(r.status()).as("alpha's own task %d: %s", i, r).isEqualTo(202);
            }
            TestService.Reply r = async(b, "/betaacct/instances");
            assertThat(r.status()).as("org beta has no open task; alpha's open tasks must not refuse it: %s", r)
                    .isEqualTo(202);
        }
    }

    @Test
    void spotsHoldOnAnotherOrgsAccountOfTheSameNameDoesNotHoldThisOrgsSpotAccount() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(TestService.MAIN_ID, "main-spot-token").account(TestService.OTHER_ID, "other-spot-token")
                        .start();
                TestService a = alpha(sim, redis.url(), TaskConfig.DEFAULTS);
                TestService b = TestService.replica(sim, TestService.fastSettings(), c -> {
                    // org beta names its own Spot account (another id and token) "main", as alpha names its own
                    Map<String, AccountConfig> accounts = new LinkedHashMap<>();
                    accounts.put("main", new AccountConfig("us-east-1", TestService.OTHER_ID, "other-spot-token",
                            TestService.DEFAULT_VPC, sim.baseUrl()));
                    return beta(accounts, redis.url(), TaskConfig.DEFAULTS);
                })) {
            TestService.Reply madeA = a.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("hold")));
            TestService.Reply madeB = b.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("hold")));
            assertThat(madeA.status()).as("%s", madeA).isEqualTo(200);
            assertThat(madeB.status()).as("%s", madeB).isEqualTo(200);
            // Spot throttles alpha's account on the status route for 30 s
            a.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\","
                    + "\"action\":\"status\",\"status\":429,\"retryAfter\":30,\"count\":1}");
            TestService.Reply onA = a.call("GET", "/main/instances/" + madeA.json().asText() + "/status", null);
            assertThat(onA.status()).as("alpha's account is throttled: %s", onA).isEqualTo(429);
            TestService.Reply onB = b.call("GET", "/main/instances/" + madeB.json().asText() + "/status", null);
            assertThat(onB.status()).as("beta's own Spot account (%s) was never throttled: %s", TestService.OTHER_ID, onB)
                    .isEqualTo(200);
        }
    }
}
