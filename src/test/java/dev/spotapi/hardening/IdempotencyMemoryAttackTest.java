package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 3: without Redis, the stored answers of {@code Idempotency-Key} records are bounded by 64 MiB
 * ({@code EmbeddedSharedState.MAX_BYTES}), the whole heap of the launcher's JVM ({@code -Xmx64m}). One caller
 * sending keyed updates of one ~200 KB group with distinct keys fills the heap: measured, the replica ended
 * with "Terminating due to java.lang.OutOfMemoryError: Java heap space" after ~270 of them (~55 MB of
 * stored answers), every record of every caller lost.
 *
 * <p>Run with the launcher's flags but half its heap ({@link ServiceJvm#HALF_HEAP_LAUNCHER_FLAGS}): the bound is
 * a fraction of the heap, so the claim is the same, and a bound the size of the heap (the old 64 MiB) fills
 * it in half the requests: with {@code -Xmx32m} the old bound ran out of memory after ~100 updates (measured),
 * so {@link #KEYED_UPDATES} sends twice that.
 */
@Order(6) // long: started first (unordered, it ran last, alone for ~40 s of a 4.6 min run)
class IdempotencyMemoryAttackTest {
    /** Keyed updates sent: over twice the ~100 after which the old bound ran out of a 32 MiB heap. */
    static final int KEYED_UPDATES = 220;

    @TempDir
    Path dir;

    @Test
    void manyDistinctKeysWithLargeAnswersLeaveTheLaunchersHeapServing() throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.HALF_HEAP_LAUNCHER_FLAGS)) {
            // one group of ~200 KB (seven 30,000-character tag values: Spot's strings are at most 32 KiB)
            ObjectNode group = Harness.groupBody(Harness.uniqueName("idem-mem"));
            ((ObjectNode) group.path("capacity")).put("minimum", 0).put("target", 0);
            var tags = ((ObjectNode) group.path("compute").path("launchSpecification")).putArray("tags");
            for (int t = 0; t < 7; t++) {
                tags.addObject().put("tagKey", "big" + t).put("tagValue", String.valueOf((char) ('a' + t)).repeat(30_000));
            }
            Map<String, String> auth = Map.of("X-Auth-Token", TestService.TOKEN, "Content-Type", "application/json");
            RawHttp.Answer made = RawHttp.send(jvm.port, "POST", "/v1/spot/main/elastigroups", auth,
                    group.toString().getBytes(StandardCharsets.UTF_8));
            assertThat(made.status()).as("%s", made).isEqualTo(200);
            String id = TestService.JSON.readTree(made.body()).path("id").asText();
            ObjectNode update = group.deepCopy();
            update.remove("region");
            byte[] body = update.toString().getBytes(StandardCharsets.UTF_8);
            int answered = 0;
            int sent = 0;
            for (int i = 0; i < KEYED_UPDATES && jvm.process.isAlive(); i++, sent++) {
                RawHttp.Answer a = RawHttp.send(jvm.port, "PUT", "/v1/spot/main/elastigroups/" + id,
                        Map.of("X-Auth-Token", TestService.TOKEN, "Content-Type", "application/json",
                                "Idempotency-Key", "mem-" + i), body);
                if (a.status() == 200) {
                    answered++;
                } else if (answered == 0 && i > 3) {
                    break;
                }
            }
            assertThat(answered).as("keyed updates answered 200").isPositive();
            assertThat(jvm.process.isAlive()).as("spot-api still running after %d keyed updates with ~200 KB answers (%d answered 200):\n%s",
                    sent, answered, jvm.process.isAlive() ? "" : jvm.tail()).isTrue();
            assertThat(jvm.get("/v1/spot/ping", null, 5_000).status()).as("/ping after the keyed updates").isEqualTo(200);
            assertThat(jvm.get("/v1/spot/ready", null, 5_000).status()).as("/ready after the keyed updates").isEqualTo(200);
        }
    }
}
