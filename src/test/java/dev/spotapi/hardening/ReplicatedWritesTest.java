package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static dev.spotapi.hardening.IdempotencyKeyTest.keyed;
import static dev.spotapi.hardening.IdempotencyKeyTest.newKey;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 20, "no acknowledged write is lost, across replicas too": two real spot-api replicas share one real
 * Redis (redis-server on a loopback port) and one simulator. A GET sent to one replica after a PUT answered
 * 200 by the other sees the PUT (the write mark in Redis keeps it from joining a read in flight from before);
 * an older write Spot answers late on one replica cannot overwrite a newer one sent to the other (the write
 * fence is a lease per object in Redis); after Redis lost its data (FLUSHALL), a retried keyed create finds
 * the object by its correlation tag instead of making a second one.
 */
@Order(12) // long: started first
class ReplicatedWritesTest {
    /**
     * Attempts of 800 ms, deadline 3 s, 3 attempts, backoff 20..200 ms: room for a write that waited for the
     * fence to still be answered on a loaded machine.
     */
    private static final SpotClientSettings SETTINGS = new SpotClientSettings(1_000, 800, 3_000, 3, 20, 200, 0, 100);
    private static RedisProcess redis;
    private static SpotSimulator sim;
    private static Harness a;
    private static Harness b;

    @BeforeAll
    static void start() {
        redis = RedisProcess.start();
        sim = TestService.simulator();
        a = replica();
        b = replica();
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

    private static Harness replica() {
        return Harness.of(TestService.replica(sim, SETTINGS,
                c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000))), SETTINGS);
    }

    @BeforeEach
    void reset() {
        a.reset();
    }

    @Test
    void aGetOnOneReplicaAfterAPutAnsweredByTheOtherSeesThePut() throws Exception {
        for (int run = 1; run <= 3; run++) {
            String id = a.createGroup();
            a.clearRequestLog();
            // replica B's first read is answered late (Spot read the old state); then A updates, then B reads again
            a.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "/" + id + "\",\"action\":\"delay\",\"delayMs\":400,"
                    + "\"after\":true,\"count\":1}");
            CompletableFuture<Reply> early = CompletableFuture.supplyAsync(() -> b.get("/main/elastigroups/" + id));
            a.awaitSpotRequests("GET", GROUPS + "/" + id, 1);

            String description = "run " + run;
            Reply update = a.call("PUT", "/main/elastigroups/" + id,
                    TestService.json("{\"description\": \"" + description + "\"}"));
            Reply read = b.get("/main/elastigroups/" + id);

            assertThat(update.status()).as(update.body()).isEqualTo(200);
            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json().path("description").asText()).as("run %d: B's read after A's acknowledged PUT", run)
                    .isEqualTo(description);
            assertThat(early.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
        }
    }

    @Test
    void aLateOlderWriteOnOneReplicaCannotOverwriteANewerOneOnTheOther() throws Exception {
        String id = a.createGroup(); // target 2
        a.clearRequestLog();
        a.fault("{\"method\":\"PUT\",\"path\":\"" + GROUPS + "/*\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");
        long start = System.nanoTime();

        Reply first = a.setTarget(id, 3);
        Reply second = b.setTarget(id, 1);

        assertThat(assertJsonError(first, 504)).contains("may have been applied");
        assertThat(second.status()).as("B waited for A's write to be answered: %s", second.body()).isEqualTo(200);
        List<JsonNode> puts = a.spotRequests("PUT", GROUPS + "/" + id);
        assertThat(puts).hasSize(2);
        assertThat(puts.get(1).path("body").path("group").path("capacity").path("target").asInt())
                .as("B's write reached Spot last").isEqualTo(1);
        while (Harness.millisSince(start) < 2_000) {
            assertThat(storedTarget(id)).as("the last acknowledged write").isEqualTo(1);
            Thread.sleep(20);
        }
        a.awaitSimulatorIdle();
        assertThat(storedTarget(id)).isEqualTo(1);
    }

    @Test
    void aWriteOnOneReplicaBehindOneSpotHasNotAnsweredOnTheOtherIs409AndIsNotSent() throws Exception {
        String id = a.createGroup();
        a.clearRequestLog();
        a.fault("{\"method\":\"PUT\",\"path\":\"" + GROUPS + "/*\",\"action\":\"delay\",\"delayMs\":4500,\"count\":1}");

        Reply first = a.setTarget(id, 3);
        Reply second = b.setTarget(id, 1);

        assertJsonError(first, 504);
        assertThat(assertJsonError(second, 409)).contains("not sent");
        assertThat(second.header("Retry-After")).isNotNull();
        assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id)).as("only the first was sent").isEqualTo(1);
        a.awaitSimulatorIdle();
        Reply third = b.setTarget(id, 1);
        assertThat(third.status()).as(third.body()).isEqualTo(200);
        assertThat(storedTarget(id)).isEqualTo(1);
    }

    @ParameterizedTest(name = "after Redis lost its data, a retried keyed create makes no duplicate (first reply {0})")
    @ValueSource(strings = {"answered", "lost"})
    void afterFlushallARetriedKeyedCreateFindsTheFirstObject(String firstReply) {
        String key = newKey();
        String name = Harness.uniqueName("flushed");
        ObjectNode body = Harness.groupBody(name);
        if ("lost".equals(firstReply)) {
            a.fault("{\"method\":\"POST\",\"path\":\"" + GROUPS + "\",\"action\":\"drop_reply\",\"count\":1}");
            a.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "\",\"action\":\"status\",\"status\":503}");
        }

        Reply first = Harness.untilNot503(() -> keyed(a, "POST", "/main/elastigroups", body, key)); // an earlier flush
        a.clearFaults();
        flushAll();
        Reply retried = Harness.untilNot503(() -> keyed(b, "POST", "/main/elastigroups", body, key)); // write-back

        if ("lost".equals(firstReply)) {
            assertJsonError(first, 502);
        } else {
            assertThat(first.status()).as(first.body()).isEqualTo(200);
        }
        assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        List<JsonNode> named = a.storedAll(GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).toList();
        assertThat(named).as("one group in the simulator").hasSize(1);
        assertThat(retried.json().path("id").asText()).isEqualTo(named.get(0).path("id").asText());
        assertThat(a.countSpotRequests("POST", GROUPS)).as("Spot was asked to create it once").isEqualTo(1);
    }

    private static void flushAll() {
        RedisClient client = RedisClient.create(redis.url());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            assertThat(c.sync().flushall()).isEqualTo("OK");
        } finally {
            client.shutdown();
        }
    }

    private static long storedTarget(String id) {
        return a.stored(GROUPS, id).path("capacity").path("target").asLong();
    }

}
