package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Attack round 22 (helper "writes"), two live replicas over one Redis: a keyed action that is still running, and
 * will still write, loses its {@code Idempotency-Key} claim because the claim's lease is fixed
 * ({@code deadlineMs + min(attemptTimeoutMs, 10 s) + 10 s}, {@code SpotApi#leaseMs}) and never renewed while the
 * request runs, while one request may legitimately run longer: the org check's read (up to an attempt), then its
 * write (up to {@code deadlineMs}, the wait for the object's write fence included). With the defaults (attempt 30 s,
 * deadline 60 s) the lease is 80 s and a keyed scale may run 90 s; here attempt = deadline = 28 s (lease 48 s) and
 * Spot answers each of the two calls in 27 s.
 *
 * <p>The retry on the other replica then finds the claim RESUMED and answers 502 "interrupted ... (the replica serving
 * it stopped); Spot may or may not have carried out the action, so it is not run again: read the object, and use a
 * new key for a new attempt", although no replica stopped and the first attempt is about to write. The caller reads
 * the object (not scaled yet), scales with a new key as told, and the first attempt lands too: scaled twice.
 */
class AttackRound22WritesReplicasTest {
    private static final String MAIN = TestService.MAIN_ID;

    private static Reply send(TestService svc, String method, String path, String body, String... headers) {
        Map<String, String> h = Harness.withToken(headers);
        return Harness.unchecked("http://127.0.0.1:" + svc.api.port() + "/v1/spot", method, path, body, h,
                Duration.ofSeconds(90));
    }

    private static int target(TestService svc, String id) {
        Reply r = svc.sim("GET", "/aws/ec2/group/" + id + "?accountId=" + MAIN, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0).path("capacity").path("target").asInt();
    }

    private static void fault(TestService svc, String json) {
        Reply r = svc.sim("POST", "/_sim/faults", json);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    @Test
    void aKeyedScaleStillRunningIsNotDeclaredInterruptedToItsRetryAndDoesNotLandTwice() throws Exception {
        // attempt = deadline = 28 s: the key's lease is 28 + 10 + 10 = 48 s
        SpotClientSettings settings = new SpotClientSettings(2_000, 28_000, 28_000, 1, 20, 200, 0, 100);
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(MAIN, "main-spot-token").start();
                TestService a = TestService.replica(sim, settings,
                        c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000)));
                TestService b = TestService.replica(sim, settings,
                        c -> c.withSharedState(new SharedStateConfig(redis.url(), 2_000)))) {
            var body = Harness.groupBody(Harness.uniqueName("r22w"));
            ((com.fasterxml.jackson.databind.node.ObjectNode) body.path("capacity")).put("maximum", 10); // room for two
            Reply created = b.call("POST", "/main/elastigroups", body);
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            String id = created.json().path("id").asText();
            int before = target(b, id);
            String g = "/aws/ec2/group/" + id;

            // K (replica A, keyed scale up 1): Spot answers its org check's read in 27 s and its scale in 27 s, each
            // within the attempt timeout (28 s) and the write within its deadline (28 s): ~55 s in all, past the key's
            // 48 s lease (28 + 10 + 10)
            long t0 = System.nanoTime();
            java.time.Instant t0Wall = java.time.Instant.now();
            fault(b, "{\"method\":\"GET\",\"path\":\"" + g + "\",\"action\":\"delay\",\"delayMs\":27000,\"count\":1}");
            fault(b, "{\"method\":\"PUT\",\"path\":\"" + g + "/scale/up\",\"action\":\"delay\",\"delayMs\":27000,\"count\":1}");
            String key = java.util.UUID.randomUUID().toString();
            String scaleUp = "{\"direction\":\"up\",\"adjustment\":1}";
            long kSent = System.nanoTime();
            CompletableFuture<Reply> k = CompletableFuture.supplyAsync(() -> send(a, "PUT",
                    "/main/elastigroups/" + id + "/scale", scaleUp, "Idempotency-Key", key));

            // the caller's own HTTP timeout (say 50 s) ran out: it retries with the same key on the other replica
            while (System.nanoTime() - kSent < TimeUnit.MILLISECONDS.toNanos(50_000)) {
                Thread.sleep(100);
            }
            Reply retry = send(b, "PUT", "/main/elastigroups/" + id + "/scale", scaleUp, "Idempotency-Key", key);
            int seenAfterRetry = target(b, id);
            Reply second = null;
            if (retry.status() == 502) {
                // as the 502 says: read the object (not scaled), then a new attempt with a new key
                second = send(b, "PUT", "/main/elastigroups/" + id + "/scale", scaleUp,
                        "Idempotency-Key", java.util.UUID.randomUUID().toString());
            }
            Reply first = k.get(90, TimeUnit.SECONDS);
            while (System.nanoTime() - kSent < TimeUnit.MILLISECONDS.toNanos(58_000)) {
                Thread.sleep(100); // every write Spot holds has landed
            }
            int after = target(b, id);
            StringBuilder log = new StringBuilder();
            for (var r : b.sim("GET", "/_sim/requests?limit=50", null).json().path("requests")) {
                if (r.path("path").asText().startsWith(g)) {
                    log.append(r.path("time").asText()).append(' ').append(r.path("method").asText()).append(' ')
                            .append(r.path("path").asText().substring(g.length())).append("; ");
                }
            }
            String story = String.format("target before %d; K (A) %d after %d ms: %s; retry (B) %d: %s; target"
                    + " when the retry was answered %d; new-key scale %s; target after all %d; t0 %s; Spot saw: %s", before,
                    first.status(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                    first.body(), retry.status(), retry.body(), seenAfterRetry,
                    second == null ? "-" : second.status() + " " + second.body(), after, t0Wall, log);
            org.assertj.core.api.SoftAssertions soft = new org.assertj.core.api.SoftAssertions();
            soft.assertThat(retry.status()).as("the retry while A still runs the keyed scale: " + story)
                    .isIn(409, 200);
            soft.assertThat(after).as("one scale up asked for: " + story).isEqualTo(before + 1);
            soft.assertAll();
        }
    }
}
