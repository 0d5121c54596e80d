package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 3: the cost roll-up caches each closed window of each resource (up to 20,000 entries of up to
 * 366 days each) in the launcher's 64 MiB heap; one caller asking distinct year-long windows fills it.
 * Measured with 4 groups: RSS 95 -> 149 MiB over the first 200 roll-ups, then "Terminating due to
 * java.lang.OutOfMemoryError: Java heap space" (the same kind as {@link IdempotencyMemoryAttackTest}: a
 * cache bounded by a count or byte figure that is not below the heap).
 *
 * <p>Run with the launcher's flags but half its heap ({@link ServiceJvm#HALF_HEAP_LAUNCHER_FLAGS}): the bound is
 * a fraction of the heap, so the claim is the same, and the old count bound fills it in half the roll-ups: with
 * {@code -Xmx32m} it ran out of memory after ~90 windows (measured), so {@link #WINDOWS} asks for over twice that.
 */
@Order(6) // long: started first (unordered, it ran last, alone for ~40 s of a 4.6 min run)
class CostCacheMemoryAttackTest {
    /** Distinct year-long windows asked: over twice the ~90 after which the old bound ran out of a 32 MiB heap. */
    static final int WINDOWS = 200;

    @TempDir
    Path dir;

    @Test
    void manyDistinctYearLongWindowsLeaveTheLaunchersHeapServing() throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.HALF_HEAP_LAUNCHER_FLAGS)) {
            Map<String, String> auth = Map.of("X-Auth-Token", TestService.TOKEN, "Content-Type", "application/json");
            for (int g = 0; g < 4; g++) {
                ObjectNode group = Harness.groupBody(Harness.uniqueName("cost-mem"));
                RawHttp.Answer made = RawHttp.send(jvm.port, "POST", "/v1/spot/main/elastigroups", auth,
                        group.toString().getBytes(StandardCharsets.UTF_8));
                assertThat(made.status()).as("%s", made).isEqualTo(200);
            }
            LocalDate last = LocalDate.now().minusDays(2);
            int answered = 0;
            int sent = 0;
            for (int i = 0; i < WINDOWS && jvm.process.isAlive(); i++, sent++) {
                LocalDate end = last.minusDays(i % 200);
                LocalDate start = end.minusDays(366 - i / 200);
                RawHttp.Answer a = RawHttp.send(jvm.port, "GET", "/v1/spot/main/costs?start=" + start + "&end=" + end
                        + "&groupBy=resource&granularity=daily", Map.of("X-Auth-Token", TestService.TOKEN), null);
                if (a.status() == 200) {
                    answered++;
                }
            }
            assertThat(answered).as("cost roll-ups answered 200").isPositive();
            assertThat(jvm.process.isAlive()).as("spot-api still running after %d distinct year-long windows (%d answered 200):\n%s",
                    sent, answered, jvm.process.isAlive() ? "" : jvm.tail()).isTrue();
            assertThat(jvm.get("/v1/spot/ready", null, 5_000).status()).as("/ready after the roll-ups").isEqualTo(200);
        }
    }
}
