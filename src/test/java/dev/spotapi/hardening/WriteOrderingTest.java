package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10 item 5, "Writes retried after Spot may already have acted": a caller must never see or cause a
 * state older than its own last acknowledged write. A write whose answer is late is not sent again; a newer
 * write to the same object waits until Spot has answered the older one; a read after an acknowledged write
 * never shares a read that started before it. Spot's slowness is the simulator's {@code delay} fault (before
 * handling, or {@code after} handling: Spot acted, the answer is late).
 */
@Order(8) // long: started first
class WriteOrderingTest extends HarnessPerClass {
    /** Attempts of 500 ms, deadline 2 s, 3 attempts, backoff 20..200 ms. */
    @Override
    SpotClientSettings settings() {
        return new SpotClientSettings(1_000, 500, 2_000, 3, 20, 200, 0);
    }

    private Reply setTarget(String id, int target) {
        return h.call("PUT", "/main/elastigroups/" + id, TestService.json("{\"capacity\": {\"target\": " + target + "}}"));
    }

    private long storedTarget(String id) {
        return h.stored(GROUPS, id).path("capacity").path("target").asLong();
    }

    @Test
    void aLateFirstAttemptCannotOverwriteANewerAcknowledgedWrite() {
        String id = h.createGroup(); // target 2
        h.clearRequestLog();
        h.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");
        long start = System.nanoTime();

        Reply first = setTarget(id, 3);
        Reply second = setTarget(id, 1);

        assertThat(assertJsonError(first, 504)).contains("may have been applied");
        assertThat(second.status()).as(second.body()).isEqualTo(200);
        assertThat(h.countSpotRequests("PUT", GROUPS + "/" + id)).as("the late PUT was not sent again").isEqualTo(2);
        // watch until well after the late first attempt was processed: the newer write stays
        while (Harness.millisSince(start) < 2_500) {
            assertThat(storedTarget(id)).as("the caller's last acknowledged write").isEqualTo(1);
        }
        assertThat(storedTarget(id)).isEqualTo(1);
    }

    @Test
    void aWriteBehindOneSpotHasNotAnsweredIs409AndIsNotSent() {
        String id = h.createGroup();
        h.clearRequestLog();
        h.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":3000,\"count\":1}");

        Reply first = setTarget(id, 3);
        Reply second = setTarget(id, 1);

        assertJsonError(first, 504);
        assertThat(assertJsonError(second, 409)).contains("not sent");
        assertThat(second.header("Retry-After")).isNotNull();
        assertThat(h.countSpotRequests("PUT", GROUPS + "/" + id)).as("only the first was sent").isEqualTo(1);
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Reply third;
        do {
            third = setTarget(id, 1);
        } while (third.status() == 409 && System.nanoTime() < until);
        assertThat(third.status()).as("once Spot answered the first: %s", third.body()).isEqualTo(200);
        assertThat(storedTarget(id)).isEqualTo(1);
    }

    /**
     * Issue 20 item 3: Spot holds the first write far past its caller's deadline (2 s here; before, the fence
     * gave the exchange up after a fixed time, the next write went, and the held one landed last). The fence
     * now waits for Spot's answer however long it takes: every newer write meanwhile is 409, not sent; the
     * first one sent after Spot answered lands last.
     */
    @Test
    void aWriteSpotHoldsPastTheOldGiveUpTimeCannotLandAfterANewerOne() throws Exception {
        String id = h.createGroup(); // target 2
        h.clearRequestLog();
        h.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":6000,\"count\":1}");

        Reply first = setTarget(id, 3);
        assertThat(assertJsonError(first, 504)).contains("may have been applied");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Reply newer;
        int refused = 0;
        do {
            newer = setTarget(id, 1);
            if (newer.status() == 409) {
                refused++;
                assertThat(newer.header("Retry-After")).isNotNull();
            }
        } while (newer.status() == 409 && System.nanoTime() < until);
        h.awaitSimulatorIdle();

        assertThat(newer.status()).as(newer.body()).isEqualTo(200);
        assertThat(refused).as("newer writes refused while Spot held the first").isPositive();
        assertThat(h.countSpotRequests("PUT", GROUPS + "/" + id)).as("the first and the one acknowledged").isEqualTo(2);
        assertThat(storedTarget(id)).as("the acknowledged write landed last").isEqualTo(1);
    }

    @Test
    void aReadAfterAnAcknowledgedWriteSeesIt() throws Exception {
        String id = h.createGroup();
        h.clearRequestLog();
        // the first read is answered late (Spot read the old state); the update is a little slow
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":1200,\"after\":true,"
                + "\"count\":1}");
        h.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":200,\"count\":1}");
        CompletableFuture<Reply> earlyRead = CompletableFuture.supplyAsync(() -> h.get("/main/elastigroups/" + id));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (h.countSpotRequests("GET", GROUPS + "/" + id) == 0 && System.nanoTime() < until) {
            Thread.onSpinWait();
        }

        Reply update = h.call("PUT", "/main/elastigroups/" + id, TestService.json("{\"description\": \"new\"}"));
        Reply read = h.get("/main/elastigroups/" + id);

        assertThat(update.status()).as(update.body()).isEqualTo(200);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.json().path("description").asText()).as("read after the acknowledged update").isEqualTo("new");
        assertThat(earlyRead.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    }

    @ParameterizedTest(name = "{0} whose reply is lost: 504 that says so, sent once, applied once")
    @ValueSource(strings = {"PUT", "DELETE"})
    void aWriteWhoseReplyIsLateIsAnswered504AndNotRepeated(String method) {
        String id = h.createInstance();
        h.clearRequestLog();
        h.fault("{\"method\":\"" + method + "\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"delay\","
                + "\"delayMs\":1000,\"after\":true,\"count\":1}");

        Reply r = "PUT".equals(method)
                ? h.call("PUT", "/main/instances/" + id, TestService.json("{\"description\": \"late\"}"))
                : h.call("DELETE", "/main/instances/" + id, null);

        assertThat(assertJsonError(r, 504)).contains("may have been applied");
        assertThat(h.countSpotRequests(method, INSTANCES + "/" + id)).as("not sent again").isEqualTo(1);
        if ("PUT".equals(method)) {
            assertThat(h.stored(INSTANCES, id).path("description").asText()).as("Spot did apply it").isEqualTo("late");
        } else {
            assertThat(h.stored(INSTANCES, id)).as("Spot did delete it").isNull();
        }
    }
}
