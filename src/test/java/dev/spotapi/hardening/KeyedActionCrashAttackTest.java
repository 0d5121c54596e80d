package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack (round after issue 27): two replicas over one Redis. A keyed action (scale up by 1) reaches Spot
 * through replica A, Spot acts, and A dies (SIGKILL) before Spot's answer arrives, so the key's record stays
 * "in flight" without an answer. Once its lease runs out, the client's retry with the same key on replica B
 * is a RESUMED claim, and for an action (unlike a create, which looks for its correlation tag first) a resumed
 * claim simply runs the action again: the group is scaled twice.
 *
 * <p>Expected, as docs/api.md promises for actions ("the action never runs twice"): the retry does not act
 * again; the target is 3, not 4. The answer ({@code idempotency.Idempotency}): 502 saying the first attempt
 * may have acted, stored for the key and replayed to every later retry.
 */
class KeyedActionCrashAttackTest {
    @TempDir
    Path dir;

    @Test
    void aKeyedScaleWhoseReplicaDiedAfterSpotActedIsNotRunAgainOnTheOther() throws Exception {
        try (RedisProcess redis = RedisProcess.start(); SpotSimulator sim = TestService.simulator()) {
            int port = ServiceProcess.freePort();
            Path config = dir.resolve("config.json");
            Files.writeString(config, ServiceProcess.config(port, sim.baseUrl(),
                    "\"spot\": {\"attemptTimeoutMs\": 3000, \"deadlineMs\": 3000},"
                    + " \"sharedState\": {\"redisUrl\": \"" + redis.url() + "\", \"timeoutMs\": 2000}"));
            String base = "http://127.0.0.1:" + port + "/v1/spot";
            try (TestService b = TestService.replica(sim, Harness.quick(), c -> c
                    .withSharedState(new SharedStateConfig(redis.url(), 2_000)))) {
                var groupBody = Harness.groupBody(Harness.uniqueName("crash"));
                groupBody.with("capacity").put("minimum", 0).put("maximum", 5).put("target", 2);
                TestService.Reply created = b.call("POST", "/main/elastigroups", groupBody);
                assertThat(created.status()).as(created.body()).isEqualTo(200);
                String group = created.json().path("id").asText();
                String path = "/main/elastigroups/" + group + "/scale";
                String scale = "{\"direction\": \"up\", \"adjustment\": 1}";
                String key = UUID.randomUUID().toString();

                Process a = ServiceProcess.start(config, dir.resolve("a.log"));
                try {
                    ServiceProcess.awaitUp(a, base, dir.resolve("a.log"));
                    // Spot carries the scale out, then holds its answer 20 s: A dies while waiting for it
                    b.sim("POST", "/_sim/faults", "{\"method\":\"PUT\",\"path\":\"/aws/ec2/group/*/scale/up\","
                            + "\"action\":\"delay\",\"after\":true,\"delayMs\":20000,\"count\":1}");
                    CompletableFuture<HttpResponse<String>> onA = CompletableFuture.supplyAsync(() -> {
                        try {
                            return ServiceProcess.send("PUT", base + path, scale, Map.of("Idempotency-Key", key));
                        } catch (Exception e) {
                            return null;
                        }
                    });
                    awaitInProgress(b);
                    awaitTarget(b, group, 3); // Spot carried the scale out; its answer is still held
                    a.destroyForcibly();
                    assertThat(a.waitFor(10, TimeUnit.SECONDS)).isTrue();
                    onA.join();
                } finally {
                    a.destroyForcibly();
                }
                assertThat(b.sim("GET", "/aws/ec2/group/" + group + "?accountId=" + TestService.MAIN_ID, null).json()
                        .path("response").path("items").path(0).path("capacity").path("target").asInt())
                        .as("Spot carried out A's scale").isEqualTo(3);

                // the client retries with its key on B until the key's lease is over
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                TestService.Reply retry = keyed(b, path, scale, key);
                while (retry.status() == 409 && System.nanoTime() < until) {
                    Thread.sleep(250);
                    retry = keyed(b, path, scale, key);
                }
                JsonNode stored = b.sim("GET", "/aws/ec2/group/" + group + "?accountId=" + TestService.MAIN_ID, null).json()
                        .path("response").path("items").path(0);
                assertThat(stored.path("capacity").path("target").asInt())
                        .as("target after one keyed scale up from 2 (the retry on B: %d %s)", retry.status(), retry.body())
                        .isEqualTo(3);
                // the doubtful answer says why, and is the key's answer from then on
                assertThat(retry.status()).as(retry.body()).isEqualTo(502);
                assertThat(retry.json().path("message").asText()).contains("interrupted").contains("not run again");
                TestService.Reply again = keyed(b, path, scale, key);
                assertThat(again.status()).isEqualTo(502);
                assertThat(again.header("Idempotency-Replayed")).isEqualTo("true");
                assertThat(again.json().path("message").asText()).isEqualTo(retry.json().path("message").asText());
            }
        }
    }

    private static TestService.Reply keyed(TestService svc, String path, String body, String key) {
        return svc.call("PUT", path, body, Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", key));
    }

    /** Waits until the simulator's group has {@code target}. */
    private static void awaitTarget(TestService svc, String group, int target) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && svc.sim("GET", "/aws/ec2/group/" + group + "?accountId="
                + TestService.MAIN_ID, null).json().path("response").path("items").path(0).path("capacity")
                .path("target").asInt() != target) {
            Thread.sleep(50);
        }
    }

    /** Waits until the simulator holds a request (A's scale, carried out, its answer held). */
    private static void awaitInProgress(TestService svc) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (svc.sim("GET", "/_sim/requests?limit=1", null).json().path("inProgress").asInt() > 0) {
                return;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("replica A never sent the scale");
    }
}
