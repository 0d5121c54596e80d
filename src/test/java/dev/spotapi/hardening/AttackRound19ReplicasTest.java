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

    /** Six async stops, three on each replica, each {@code running}; their task ids, in order; {@code instances} filled. */
    private static List<String> sixStops(TestService a, TestService b, List<String> instances) throws Exception {
        List<String> tasks = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            TestService s = i % 2 == 0 ? a : b;
            String instance = AttackRound6ReplicasTest.createInstance(s);
            instances.add(instance);
            tasks.add(AttackRound6ReplicasTest.asyncStop(s, instance));
        }
        for (String t : tasks) {
            AttackRound6ReplicasTest.awaitStatus(a, t, "running");
        }
        return tasks;
    }

    /** Each task's {@code status} and {@code failure}, as {@code s} answers them (empty when it does not answer 200). */
    private static Map<String, String> statuses(TestService s, List<String> tasks) {
        Map<String, String> seen = new LinkedHashMap<>();
        TestService.Reply r = s.call("GET", "/flywheel?" + String.join("&", tasks.stream().map(t -> "task=" + t).toList()), null);
        if (r.status() == 200) {
            for (String t : tasks) {
                JsonNode n = r.json().path(t);
                seen.put(t, n.path("status").asText() + " " + n.path("failure").asText());
            }
        }
        return seen;
    }

    /** Polls until each of the six tasks is {@code completed} or {@code seconds} pass; the last statuses seen. */
    private static Map<String, String> awaitCompleted(TestService s, List<String> tasks, int seconds) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        Map<String, String> seen;
        do {
            Thread.sleep(250);
            seen = statuses(s, tasks);
        } while (System.nanoTime() < until && !(seen.size() == 6 && seen.values().stream().allMatch(v -> v.startsWith("completed"))));
        return seen;
    }

    /** Redis stalled (SIGSTOP) for {@code millis}, then resumed, whatever happens meanwhile. */
    private static void stall(RedisProcess redis, long millis) throws Exception {
        long pid = redis.pid();
        RedisProcess.signal("STOP", pid);
        try {
            Thread.sleep(millis);
        } finally {
            RedisProcess.signal("CONT", pid);
        }
    }


    /**
     * The attack: six async stops answered 202 and running on two live replicas (Spot's pause takes 18 s); Redis
     * stalls (SIGSTOP: a frozen node, a network partition, a long fork) for 8 s, longer than {@code tasks.staleSeconds}
     * (4 s here; 300 s by default, so a 5-minute Redis outage in production); then it resumes. Nothing happened to
     * the replicas: each kept following its tasks, it just could not write its check-ins.
     *
     * <p>Expected: the tasks go on and complete when Spot shows PAUSED. What happened: as soon as Redis was back, the
     * replica whose reaper ran before the other replica's next check-in failed the other replica's tasks with "no
     * check-in for 4 s: the replica running this task stopped and no other took it over" (every one of them alive,
     * and Spot went on to pause every instance: the tasks said failed for a change Spot made). The reaper now judges
     * check-ins only once it has reached the store for {@code staleSeconds} without a failure ({@code Tasks#reap}).
     */
    @Test
    void tasksOfLiveReplicasAreNotReapedWhenRedisComesBackFromAStallLongerThanStaleSeconds() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ofMillis(18_000))
                        .account(TestService.MAIN_ID, "main-spot-token").start()) {
            TestService a = replica(sim, redis);
            TestService b = replica(sim, redis);
            try {
                List<String> instances = new ArrayList<>();
                List<String> tasks = sixStops(a, b, instances);
                stall(redis, 8_000);
                // watch the tasks for 8 s after Redis is back (the pause itself ends ~18 s after the stops)
                Map<String, String> seen = new LinkedHashMap<>();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (System.nanoTime() < until) {
                    seen.putAll(statuses(a, tasks));
                    assertThat(seen.values()).as("tasks of live replicas after an 8 s Redis stall (staleSeconds 4): %s", seen)
                            .allSatisfy(v -> assertThat(v).doesNotStartWith("failed"));
                    Thread.sleep(250);
                }
                assertThat(seen).as("the tasks were answered for").hasSize(6);
                // and each is followed to its end: completed once Spot shows PAUSED
                Map<String, String> end = awaitCompleted(b, tasks, 20);
                assertThat(end.values()).as("%s", end).hasSize(6).allSatisfy(v -> assertThat(v).startsWith("completed"));
                for (String i : instances) {
                    assertThat(a.call("GET", "/main/instances/" + i, null).json().path("state").asText()).isEqualTo("PAUSED");
                }
            } finally {
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
            try {
                List<String> tasks = sixStops(a, b, new ArrayList<>());
                stall(redis, 5_000);
                Map<String, String> seen = awaitCompleted(b, tasks, 30);
                assertThat(seen.values()).as("%s", seen).hasSize(6).allSatisfy(v -> assertThat(v).startsWith("completed"));
            } finally {
                TestService.closeAll(a, b);
            }
        }
    }
}
