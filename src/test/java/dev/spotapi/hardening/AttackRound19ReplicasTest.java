package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Attack round 19, replicas: two spot-api replicas over one real Redis, durable tasks through a Redis outage.
 */
class AttackRound19ReplicasTest {

    private static TestService replica(SpotSimulator sim, RedisProcess redis) {
        return replica(sim, redis, 4);
    }

    private static TestService replica(SpotSimulator sim, RedisProcess redis, long staleSeconds) {
        // polls every 200 ms, 10 running, 100 open, lease 2 s, stale after staleSeconds, power deadline 120 s
        TaskConfig tasks = TaskConfig.DEFAULTS.with(200, 10, 100, 2, staleSeconds, Map.of("instancePower", 120L));
        return TestService.replica(sim, TestService.fastSettings(),
                c -> c.withSharedState(new SharedStateConfig(redis.url(), 1_000)).withTasks(tasks));
    }

    private static long redisPid(RedisProcess redis) {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
        try (var c = client.connect()) {
            return c.sync().info("server").lines().filter(l -> l.startsWith("process_id:"))
                    .map(l -> Long.parseLong(l.substring(11).trim())).findFirst().orElseThrow();
        } finally {
            client.shutdown();
        }
    }

    private static void signal(String name, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor(5, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * The attack: six async stops answered 202 and running on two live replicas (Spot's pause takes 25 s); Redis
     * stalls (SIGSTOP: a frozen node, a network partition, a long fork) for 8 s, longer than {@code tasks.staleSeconds}
     * (4 s here; 300 s by default, so a 5-minute Redis outage in production); then it resumes. Nothing happened to
     * the replicas: each kept following its tasks, it just could not write its check-ins.
     *
     * <p>Expected: the tasks go on and complete when Spot shows PAUSED. What happens: as soon as Redis is back, the
     * replica whose reaper runs before the other replica's next check-in fails the other replica's tasks with "no
     * check-in for 4 s: the replica running this task stopped and no other took it over" (every one of them is
     * alive, and Spot goes on to pause every instance: the tasks say failed for a change Spot made). The reaper
     * skips only its own running tasks ({@code Tasks#reap}), and reads the age of a check-in that could not be
     * written as a dead replica.
     */
    @Test
    void tasksOfLiveReplicasAreNotReapedWhenRedisComesBackFromAStallLongerThanStaleSeconds() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(25_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            TestService a = replica(sim, redis);
            TestService b = replica(sim, redis);
            long pid = redisPid(redis);
            boolean stopped = false;
            try {
                List<String> tasks = new ArrayList<>();
                List<String> instances = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    TestService s = i % 2 == 0 ? a : b;
                    String instance = AttackRound6ReplicasTest.createInstance(s);
                    instances.add(instance);
                    tasks.add(AttackRound6ReplicasTest.asyncStop(s, instance));
                }
                for (String t : tasks) {
                    AttackRound6ReplicasTest.awaitStatus(a, t, "running");
                }
                signal("STOP", pid);
                stopped = true;
                Thread.sleep(8_000);
                signal("CONT", pid);
                stopped = false;
                // watch the tasks for 8 s after Redis is back (the pause itself ends ~25 s after the stops)
                Map<String, String> seen = new LinkedHashMap<>();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (System.nanoTime() < until) {
                    TestService.Reply r = a.call("GET", "/flywheel?" + String.join("&",
                            tasks.stream().map(t -> "task=" + t).toList()), null);
                    if (r.status() == 200) {
                        for (String t : tasks) {
                            JsonNode n = r.json().path(t);
                            seen.put(t, n.path("status").asText() + " " + n.path("failure").asText());
                        }
                    }
                    Thread.sleep(250);
                }
                System.out.println("[a19] tasks after the stall: " + seen);
                // and Spot does what the failed tasks were asked to wait for: every instance ends PAUSED
                Map<String, String> states = new LinkedHashMap<>();
                long pauseBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                do {
                    Thread.sleep(500);
                    for (String i : instances) {
                        states.put(i, a.call("GET", "/main/instances/" + i, null).json().path("state").asText());
                    }
                } while (System.nanoTime() < pauseBy && !states.values().stream().allMatch("PAUSED"::equals));
                System.out.println("[a19] instances afterwards: " + states);
                assertThat(seen.values())
                        .as("tasks of live replicas 8 s after an 8 s Redis stall (staleSeconds 4): %s; the instances then: %s", seen,
                                states)
                        .allSatisfy(v -> assertThat(v).doesNotStartWith("failed"));
            } finally {
                if (stopped) {
                    signal("CONT", pid);
                }
                TestService.closeAll(a, b);
            }
        }
    }

    /**
     * (held) The same six async stops on two replicas, Redis stalled 5 s: longer than the items' lease (2 s), within
     * {@code staleSeconds} (60 s). Items of live replicas may be taken over by the other replica when Redis is back;
     * every task still completes once Spot shows PAUSED (10 s), none fails, and each is followed to its end.
     */
    @Test
    void tasksSurviveARedisStallLongerThanTheirLeaseAndCompleteOnce() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(10_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            TestService a = replica(sim, redis, 60);
            TestService b = replica(sim, redis, 60);
            long pid = redisPid(redis);
            boolean stopped = false;
            try {
                List<String> tasks = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    TestService s = i % 2 == 0 ? a : b;
                    tasks.add(AttackRound6ReplicasTest.asyncStop(s, AttackRound6ReplicasTest.createInstance(s)));
                }
                for (String t : tasks) {
                    AttackRound6ReplicasTest.awaitStatus(a, t, "running");
                }
                signal("STOP", pid);
                stopped = true;
                Thread.sleep(5_000);
                signal("CONT", pid);
                stopped = false;
                Map<String, String> seen = new LinkedHashMap<>();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                do {
                    Thread.sleep(500);
                    TestService.Reply r = b.call("GET", "/flywheel?" + String.join("&",
                            tasks.stream().map(t -> "task=" + t).toList()), null);
                    if (r.status() == 200) {
                        for (String t : tasks) {
                            JsonNode n = r.json().path(t);
                            seen.put(t, n.path("status").asText() + " " + n.path("failure").asText());
                        }
                    }
                } while (System.nanoTime() < until && (seen.size() < 6 || !seen.values().stream().allMatch(v -> v.startsWith("completed"))));
                System.out.println("[a19] after a 5 s stall (lease 2 s): " + seen);
                assertThat(seen.values()).as("%s", seen).hasSize(6).allSatisfy(v -> assertThat(v).startsWith("completed"));
            } finally {
                if (stopped) {
                    signal("CONT", pid);
                }
                TestService.closeAll(a, b);
            }
        }
    }
}
