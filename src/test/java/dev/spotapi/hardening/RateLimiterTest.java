package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService.Reply;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 4, "A client-side rate limiter per Spot account (configurable, off by default)". What the code
 * does: a Resilience4j limiter per account ({@code rateLimitPerSecond} permits per 1 s cycle); a call waits
 * for a permit up to min(deadline, 5 s), and past that spot-api itself answers 429 with Retry-After without
 * calling Spot. Distinct ids are read (identical GETs would be shared, see {@link GetDeduplicationTest}).
 */
class RateLimiterTest {
    private static final int PER_SECOND = 2;
    private static Harness h;
    private static ExecutorService pool;

    @BeforeAll
    static void start() {
        h = Harness.start(new SpotClientSettings(2_000, 5_000, 20_000, 3, 20, 200, PER_SECOND));
        pool = Executors.newFixedThreadPool(24);
    }

    @AfterAll
    static void stop() {
        pool.shutdownNow();
        if (h != null) {
            h.close();
        }
    }

    @Test
    void aBurstOnOneAccountIsSpreadToTheConfiguredRate() throws Exception {
        h.reset();
        Thread.sleep(1_100); // a fresh cycle
        List<Reply> replies = burst("main", 10, 0);

        for (Reply r : replies) {
            assertThat(r.status()).as("every read reaches Spot (404: no such group): %s", r.body()).isEqualTo(404);
        }
        List<JsonNode> reads = h.spotRequests().stream().filter(e -> "GET".equals(e.path("method").asText())).toList();
        assertThat(reads).hasSize(10);
        long span = Duration.between(Harness.time(reads.get(0)), Harness.time(reads.get(reads.size() - 1))).toMillis();
        // n calls at 2 per 1 s cycle need ceil(n/2) cycles: a span of at least (n/2 - 2) s, here 3 s
        assertThat(span).as("10 reads at 2/s").isGreaterThanOrEqualTo(2_700);
        assertAtMostPerWindow(reads, PER_SECOND);
    }

    @Test
    void aBurstBeyondTheWaitIsAnswered429BySpotApiWithoutCallingSpot() throws Exception {
        h.reset();
        Thread.sleep(1_100);
        List<Reply> replies = burst("main", 20, 100);

        int reachedSpot = 0;
        int refused = 0;
        for (Reply r : replies) {
            if (r.status() == 429) {
                assertJsonError(r, 429);
                assertThat(r.header("Retry-After")).isNotNull();
                refused++;
            } else {
                assertThat(r.status()).as(r.body()).isEqualTo(404);
                reachedSpot++;
            }
        }
        assertThat(refused).as("20 calls cannot all get a permit within 5 s at 2/s").isPositive();
        long upstream = h.spotRequests().stream().filter(e -> "GET".equals(e.path("method").asText())).count();
        assertThat(upstream).as("refused calls never reached Spot").isEqualTo(reachedSpot);
    }

    @Test
    void anotherAccountIsNotSlowedByABurstOnThisOne() throws Exception {
        h.reset();
        Thread.sleep(1_100);
        CompletableFuture<List<Reply>> mainBurst = CompletableFuture.supplyAsync(() -> {
            try {
                return burst("main", 10, 0);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(500); // the burst is now waiting for permits

        long start = System.nanoTime();
        Reply other = h.get("/other/elastigroups");
        long otherMillis = Harness.millisSince(start);
        boolean burstStillRunning = !mainBurst.isDone();

        assertThat(other.status()).as(other.body()).isEqualTo(200);
        assertThat(burstStillRunning).as("account other answered while main's burst was still throttled").isTrue();
        assertThat(otherMillis).as("account other did not queue behind main").isLessThan(2_500);
        mainBurst.get(60, TimeUnit.SECONDS).forEach(r -> assertThat(r.status()).isEqualTo(404));
    }

    @Test
    void offByDefault() throws Exception {
        assertThat(SpotClientSettings.DEFAULTS.rateLimited()).isFalse();
        try (Harness unlimited = Harness.start(Harness.quick())) {
            List<Future<Reply>> futures = new ArrayList<>();
            CountDownLatch go = new CountDownLatch(1);
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                String id = String.format("sig-%08x", 0x100 + i);
                futures.add(pool.submit(() -> {
                    go.await(10, TimeUnit.SECONDS);
                    return unlimited.get("/main/elastigroups/" + id);
                }));
            }
            go.countDown();
            for (Future<Reply> f : futures) {
                assertThat(f.get(60, TimeUnit.SECONDS).status()).isEqualTo(404);
            }
            assertThat(unlimited.spotRequests()).hasSize(20);
            assertThat(Harness.millisSince(start)).as("20 calls are not spread over 10 s").isLessThan(8_000);
        }
    }

    /** n concurrent reads of distinct (missing) groups of one account, started together. */
    private static List<Reply> burst(String account, int n, int idOffset) throws Exception {
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Reply>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = String.format("sig-%08x", 0x1000 + idOffset + i);
            futures.add(pool.submit(() -> {
                go.await(10, TimeUnit.SECONDS);
                return h.get("/" + account + "/elastigroups/" + id);
            }));
        }
        go.countDown();
        List<Reply> replies = new ArrayList<>();
        for (Future<Reply> f : futures) {
            replies.add(f.get(60, TimeUnit.SECONDS));
        }
        return replies;
    }

    /**
     * The limiter hands out {@code perCycle} permits per 1 s cycle, so any window shorter than one cycle holds
     * requests of at most two cycles: never more than 2 x perCycle (arrival jitter allowed for).
     */
    private static void assertAtMostPerWindow(List<JsonNode> reads, int perCycle) {
        List<Instant> times = reads.stream().map(Harness::time).sorted().toList();
        for (int i = 0; i < times.size(); i++) {
            int inWindow = 0;
            for (Instant t : times) {
                if (!t.isBefore(times.get(i)) && t.isBefore(times.get(i).plusMillis(900))) {
                    inWindow++;
                }
            }
            assertThat(inWindow).as("requests within 900 ms of %s: %s", times.get(i), times)
                    .isLessThanOrEqualTo(2 * perCycle);
        }
    }
}
