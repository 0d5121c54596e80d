package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, "Identical concurrent GETs for the same Spot object share one upstream call while it is in
 * flight." Spot is made slow (a {@code delay} fault) so that the callers overlap.
 */
@Order(6) // long: started first
class GetDeduplicationTest extends HarnessPerClass {
    private static ExecutorService pool;

    @BeforeAll
    static void startPool() {
        pool = Executors.newFixedThreadPool(12);
    }

    @AfterAll
    static void stopPool() {
        pool.shutdownNow();
    }

    @Test
    void tenIdenticalConcurrentGetsShareOneUpstreamCall() throws Exception {
        String id = h.createGroup();
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":1500}");

        List<Reply> replies = concurrently(10, i -> h.get("/main/elastigroups/" + id));

        for (Reply r : replies) {
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().path("id").asText()).isEqualTo(id);
        }
        assertThat(replies.stream().map(Reply::body).distinct()).as("all got the same object").hasSize(1);
        int upstream = h.countSpotRequests("GET", GROUPS + "/" + id);
        assertThat(upstream).as("upstream reads for 10 concurrent identical GETs (ideally 1)").isBetween(1, 2);
    }

    @Test
    void eachSharingCallerKeepsItsOwnRequestId() throws Exception {
        String id = h.createGroup();
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":1500}");

        List<Reply> replies = concurrently(6, i -> h.callWithRequestId("GET", "/main/elastigroups/" + id, null,
                "dedup-caller-" + i));

        Set<String> ids = new HashSet<>();
        for (Reply r : replies) {
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            ids.add(r.header("X-Request-Id"));
        }
        assertThat(ids).hasSize(6).allMatch(s -> s.startsWith("dedup-caller-"));
    }

    @Test
    void aSharedFailureReachesEveryWaiterWithItsOwnRequestId() throws Exception {
        // a slow read of a group that does not exist: all share the one 404
        String missing = "sig-0000dead";
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":1500}");

        List<Reply> replies = concurrently(8, i -> h.callWithRequestId("GET", "/main/elastigroups/" + missing, null,
                "dedup-miss-" + i));

        Set<String> requestIds = new HashSet<>();
        for (Reply r : replies) {
            assertJsonError(r, 404);
            requestIds.add(r.json().path("requestId").asText());
        }
        assertThat(requestIds).hasSize(8);
        assertThat(h.countSpotRequests("GET", GROUPS + "/" + missing)).isBetween(1, 2);
    }

    @Test
    void concurrentGetsOfDifferentObjectsAreNotMixedUp() throws Exception {
        String a = h.createGroup();
        String b = h.createGroup();
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":1000}");

        List<Reply> replies = concurrently(10, i -> h.get("/main/elastigroups/" + (i % 2 == 0 ? a : b)));

        for (int i = 0; i < replies.size(); i++) {
            assertThat(replies.get(i).status()).isEqualTo(200);
            assertThat(replies.get(i).json().path("id").asText()).isEqualTo(i % 2 == 0 ? a : b);
        }
        assertThat(h.countSpotRequests("GET", GROUPS + "/" + a)).isBetween(1, 2);
        assertThat(h.countSpotRequests("GET", GROUPS + "/" + b)).isBetween(1, 2);
    }

    @Test
    void theSameIdInAnotherAccountIsNotShared() throws Exception {
        String id = h.createGroup(); // account main; "other" is another Spot account: it must get its own 404
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*\",\"action\":\"delay\",\"delayMs\":1000}");

        List<Reply> replies = concurrently(6, i -> h.get((i % 2 == 0 ? "/main" : "/other") + "/elastigroups/" + id));

        for (int i = 0; i < replies.size(); i++) {
            assertThat(replies.get(i).status()).as(replies.get(i).body()).isEqualTo(i % 2 == 0 ? 200 : 404);
        }
    }

    @Test
    void aFinishedGetIsNotCached() {
        String id = h.createInstance();
        assertThat(h.get("/main/instances/" + id).json().path("name").asText()).startsWith("mi-");

        Reply changed = h.svc.sim("PUT", INSTANCES + "/" + id + "?accountId=" + TestService.MAIN_ID,
                "{\"managedInstance\": {\"name\": \"renamed-in-spot\"}}");
        assertThat(changed.status()).as(changed.body()).isEqualTo(200);

        assertThat(h.get("/main/instances/" + id).json().path("name").asText()).isEqualTo("renamed-in-spot");
    }

    @Test
    void concurrentUpdatesAreNotShared() throws Exception {
        String id = h.createInstance();
        h.clearRequestLog();
        h.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"delay\",\"delayMs\":800}");

        List<Reply> replies = concurrently(3, i -> h.call("PUT", "/main/instances/" + id,
                TestService.json("{\"description\": \"same\"}")));

        replies.forEach(r -> assertThat(r.status()).as(r.body()).isEqualTo(200));
        assertThat(h.countSpotRequests("PUT", INSTANCES + "/" + id)).as("only GETs are shared").isEqualTo(3);
    }

    private static List<Reply> concurrently(int n, IntFunction<Reply> call) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reply>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            futures.add(pool.submit(() -> {
                go.await(10, TimeUnit.SECONDS);
                return call.apply(index);
            }));
        }
        go.countDown();
        List<Reply> replies = new ArrayList<>();
        for (Future<Reply> f : futures) {
            replies.add(f.get(60, TimeUnit.SECONDS));
        }
        return replies;
    }
}
