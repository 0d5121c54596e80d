package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 3: the cost roll-up caches each closed window of each resource (up to 20,000 entries of up to
 * 366 days each) in the launcher's 64 MiB heap; one caller asking distinct year-long windows fills it.
 * Measured with 4 groups: RSS 95 -> 149 MiB over the first 200 roll-ups, then "Terminating due to
 * java.lang.OutOfMemoryError: Java heap space" (the same kind as {@link IdempotencyMemoryAttackTest}: a
 * cache bounded by a count or byte figure that is not below the heap).
 */
class CostCacheMemoryAttackTest {
    @TempDir
    Path dir;

    @Test
    void manyDistinctYearLongWindowsLeaveTheLaunchersHeapServing() throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.LAUNCHER_FLAGS)) {
            Map<String, String> auth = Map.of("X-Auth-Token", TestService.TOKEN, "Content-Type", "application/json");
            for (int g = 0; g < 4; g++) {
                ObjectNode group = Harness.groupBody(Harness.uniqueName("cost-mem"));
                RawHttp.Answer made = RawHttp.send(jvm.port, "POST", "/v1/spot/main/elastigroups", auth,
                        group.toString().getBytes(StandardCharsets.UTF_8));
                assertThat(made.status()).as("%s", made).isEqualTo(200);
            }
            LocalDate last = LocalDate.now().minusDays(2);
            int answered = 0;
            for (int i = 0; i < 400 && jvm.process.isAlive(); i++) { // before: out of memory after ~200-270
                LocalDate end = last.minusDays(i % 200);
                LocalDate start = end.minusDays(366 - i / 200);
                RawHttp.Answer a = RawHttp.send(jvm.port, "GET", "/v1/spot/main/costs?start=" + start + "&end=" + end
                        + "&groupBy=resource&granularity=daily", Map.of("X-Auth-Token", TestService.TOKEN), null);
                if (a.status() == 200) {
                    answered++;
                }
            }
            assertThat(answered).as("cost roll-ups answered 200").isPositive();
            assertThat(jvm.process.isAlive()).as("spot-api still running after 400 distinct year-long windows:\n%s",
                    jvm.process.isAlive() ? "" : jvm.tail()).isTrue();
            assertThat(jvm.get("/v1/spot/ready", null, 5_000).status()).as("/ready after the roll-ups").isEqualTo(200);
        }
    }
}
