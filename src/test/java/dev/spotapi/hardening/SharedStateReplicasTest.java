package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static dev.spotapi.hardening.IdempotencyKeyTest.keyed;
import static dev.spotapi.hardening.IdempotencyKeyTest.newKey;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, several replicas: two spot-api replicas share one real Redis (a redis-server process on a
 * random loopback port, brought by the build) and one simulator. One Idempotency-Key sent to both at
 * once makes one resource; a replay on the other replica answers the same id; a retry on the other
 * replica after a lost reply finds the first attempt's object; the Spot rate budget and Spot's holds are
 * shared; Redis stopped mid-run gives the documented answers (keyed requests 503 fast, others served
 * with a per-replica budget), no crash, no request past its deadline, and recovery when Redis is back.
 */
@Order(12) // long: started first
class SharedStateReplicasTest {
    private static final SpotClientSettings SETTINGS = new SpotClientSettings(1_000, 1_000, 4_000, 3, 20, 200, 0, 100);
    private static RedisProcess redis;
    private static SpotSimulator sim;
    private static Harness a;
    private static Harness b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        sim = TestService.simulator();
        a = replica(redis, SETTINGS);
        b = replica(redis, SETTINGS);
    }

    @AfterAll
    static void stop() {
        TestService.closeAll(a, b);
        if (sim != null) {
            sim.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void reset() {
        a.reset();
    }

    /**
     * A replica on the given Redis, with a 2 s Redis timeout: a Redis that answers late on a busy test machine
     * (a 500 ms timeout once made both replicas refuse the same key, 503 and 409) must not decide the tests
     * that are not about outages.
     */
    static Harness replica(RedisProcess redis, SpotClientSettings settings) {
        return replica(redis, settings, 2_000);
    }

    /** A replica on the given Redis with this Redis timeout (ms). */
    static Harness replica(RedisProcess redis, SpotClientSettings settings, long redisTimeoutMs) {
        UnaryOperator<ServiceConfig> withRedis = c -> c.withSharedState(new SharedStateConfig(redis.url(), redisTimeoutMs));
        return Harness.of(TestService.replica(sim, settings, withRedis), settings);
    }

    @Test
    void theSameKeySentToBothReplicasAtOnceMakesExactlyOneResource() throws Exception {
        String key = newKey();
        String name = Harness.uniqueName("both");
        ObjectNode body = Harness.groupBody(name);
        h().fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":300,\"count\":1}");
        CountDownLatch go = new CountDownLatch(1);

        CompletableFuture<Reply> onA = CompletableFuture.supplyAsync(() -> await(go, () -> keyed(a, "POST", "/main/elastigroups", body, key)));
        CompletableFuture<Reply> onB = CompletableFuture.supplyAsync(() -> await(go, () -> keyed(b, "POST", "/main/elastigroups", body, key)));
        go.countDown();
        List<Reply> replies = List.of(onA.get(20, TimeUnit.SECONDS), onB.get(20, TimeUnit.SECONDS));

        List<JsonNode> named = h().storedAll(GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).toList();
        assertThat(named).as("exactly one group").hasSize(1);
        assertThat(h().countSpotRequests("POST", GROUPS)).isEqualTo(1);
        String id = named.get(0).path("id").asText();
        for (Reply r : replies) {
            if (r.status() == 200) {
                assertThat(r.json().path("id").asText()).isEqualTo(id);
            } else {
                assertJsonError(r, 409);
                assertThat(r.header("Retry-After")).isNotNull();
            }
        }
        assertThat(replies).as("one of them ran it").anyMatch(r -> r.status() == 200);
        for (Harness replica : List.of(a, b)) {
            Reply replay = keyed(replica, "POST", "/main/elastigroups", body, key);
            assertThat(replay.header("Idempotency-Replayed")).isEqualTo("true");
            assertThat(replay.json().path("id").asText()).isEqualTo(id);
        }
        assertThat(h().countSpotRequests("POST", GROUPS)).isEqualTo(1);
    }

    @Test
    void aReplayOnTheOtherReplicaReturnsTheSameId() {
        String key = newKey();
        ObjectNode body = Harness.instanceBody(Harness.uniqueName("replay"));

        Reply created = keyed(a, "POST", "/main/instances", body, key);
        Reply replayed = keyed(b, "POST", "/main/instances", body, key);
        Reply otherRequest = keyed(b, "POST", "/main/instances", Harness.instanceBody("other"), key);

        assertThat(created.status()).as(created.body()).isEqualTo(200);
        assertThat(replayed.status()).isEqualTo(200);
        assertThat(replayed.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(replayed.json().asText()).isEqualTo(created.json().asText());
        assertJsonError(otherRequest, 422);
        assertThat(h().countSpotRequests("POST", INSTANCES)).isEqualTo(1);
    }

    @Test
    void aRetryOnTheOtherReplicaAfterALostReplyFindsTheFirstAttemptsObject() {
        String key = newKey();
        String name = Harness.uniqueName("handover");
        h().fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"drop_reply\",\"count\":1}");
        h().fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group\",\"action\":\"status\",\"status\":503}");

        Reply lost = keyed(a, "POST", "/main/elastigroups", Harness.groupBody(name), key);
        h().clearFaults();
        Reply retried = keyed(b, "POST", "/main/elastigroups", Harness.groupBody(name), key);

        assertThat(assertJsonError(lost, 502)).contains("may still");
        assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        List<JsonNode> named = h().storedAll(GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).toList();
        assertThat(named).hasSize(1);
        assertThat(retried.json().path("id").asText()).isEqualTo(named.get(0).path("id").asText());
        assertThat(h().countSpotRequests("POST", GROUPS)).isEqualTo(1);
    }

    @Test
    void theBudgetIsSharedTwoReplicasTogetherSendAtMostTheBudget() throws Exception {
        int budget = 6;
        SpotClientSettings budgeted = new SpotClientSettings(1_000, 2_000, 4_000, 3, 20, 200, budget, 60_000);
        try (Harness a2 = replica(redis, budgeted); Harness b2 = replica(redis, budgeted)) {
            List<Reply> replies = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Harness replica = i % 2 == 0 ? a2 : b2;
                replies.add(replica.get("/main/elastigroups/" + String.format("sig-%08x", 0x5000 + i)));
            }
            long reached = h().spotRequests().stream()
                    .filter(e -> "GET".equals(e.path("method").asText()) && e.path("path").asText().startsWith(GROUPS + "/"))
                    .count();
            long refused = replies.stream().filter(r -> r.status() == 429).count();

            assertThat(reached).as("Spot calls of both replicas together").isEqualTo(budget);
            assertThat(refused).isEqualTo(16 - budget);
            for (Reply r : replies) {
                if (r.status() == 429) {
                    assertThat(assertJsonError(r, 429)).contains("rate budget");
                    assertThat(Long.parseLong(r.header("Retry-After"))).isBetween(1L, 60L);
                } else {
                    assertThat(r.status()).as(r.body()).isEqualTo(404);
                }
            }
            assertThat(a2.get("/main/elastigroups").status()).as("another route has its own budget").isEqualTo(200);
        }
    }

    @Test
    void spotsHoldOnOneReplicaHoldsTheOtherToo() {
        // real instances of this org: under org isolation an unknown id is a 404 before any status call
        String first = created(a.call("POST", "/throttled/instances", Harness.instanceBody(Harness.uniqueName("held"))));
        String second = created(a.call("POST", "/throttled/instances", Harness.instanceBody(Harness.uniqueName("held"))));
        h().fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\",\"action\":\"status\",\"status\":429,"
                + "\"retryAfter\":30,\"count\":1}");

        Reply onA = a.get("/throttled/instances/" + first + "/status");
        h().clearRequestLog();
        Reply onB = b.get("/throttled/instances/" + second + "/status");

        assertJsonError(onA, 429);
        assertThat(assertJsonError(onB, 429)).contains("rate budget");
        assertThat(Long.parseLong(onB.header("Retry-After"))).isBetween(20L, 30L);
        assertThat(h().spotRequests()).as("the held route was not called")
                .noneMatch(e -> e.path("path").asText().endsWith("/status"));
    }

    private static String created(Reply r) {
        assertThat(r.status()).as("create instance: %s", r.body()).isEqualTo(200);
        return r.json().asText();
    }

    @Test
    void redisStoppedMidRunKeyedRequestsAre503FastOthersAreServedAndItRecovers() throws Exception {
        try (RedisProcess own = RedisProcess.start(); Harness r1 = replica(own, SETTINGS, 500)) {
            assertThat(keyed(r1, "POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("up")), newKey()).status())
                    .isEqualTo(200);
            own.stop();

            long start = System.nanoTime();
            Reply keyedWhileDown = keyed(r1, "POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("down")), newKey());
            long keyedMillis = Harness.millisSince(start);
            start = System.nanoTime();
            Reply plainCreate = r1.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("plain")));
            Reply list = r1.get("/main/instances");
            long plainMillis = Harness.millisSince(start);

            assertThat(assertJsonError(keyedWhileDown, 503)).contains("idempotency store");
            assertThat(keyedWhileDown.header("Retry-After")).isNotNull();
            assertThat(keyedMillis).as("refused within the Redis timeout, not hung").isLessThan(3_000);
            assertThat(plainCreate.status()).as(plainCreate.body()).isEqualTo(200);
            assertThat(list.status()).isEqualTo(200);
            assertThat(plainMillis).as("requests without a key do not wait for Redis").isLessThan(4_000);

            own.restart();
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            Reply back;
            String key = newKey();
            ObjectNode body = Harness.instanceBody(Harness.uniqueName("back"));
            do {
                Thread.sleep(200);
                back = keyed(r1, "POST", "/main/instances", body, key);
            } while (back.status() == 503 && System.nanoTime() < until);
            assertThat(back.status()).as("keyed requests work again once Redis is back: %s", back.body()).isEqualTo(200);
            assertThat(keyed(r1, "POST", "/main/instances", body, key).header("Idempotency-Replayed")).isEqualTo("true");
        }
    }

    private static Harness h() {
        return a;
    }

    private static Reply await(CountDownLatch go, java.util.function.Supplier<Reply> call) {
        try {
            go.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return call.get();
    }
}
