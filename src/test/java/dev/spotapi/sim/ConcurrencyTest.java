package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrencyTest extends SimTestBase {
    private static final int THREADS = 8;
    private static final int UPDATES_PER_THREAD = 25;

    @TempDir
    Path dataDir;

    @Test
    void concurrentUpdatesOfOneGroupLoseNothing() throws Exception {
        assertNoLostUpdates(client);
    }

    @Test
    void concurrentUpdatesLoseNothingWithSqliteToo() throws Exception {
        try (SpotSimulator persistent = SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO).dataDir(dataDir).account(ACCOUNT, TOKEN).start()) {
            assertNoLostUpdates(new SimClient(persistent.baseUrl(), ACCOUNT, TOKEN));
        }
    }

    /** Every update adds its own key under one object; a lost update would drop keys of another. */
    private static void assertNoLostUpdates(SimClient c) throws Exception {
        String id = createGroup(c, "contended", 0, 0, 100).path("id").asText();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    int ok = 0;
                    for (int i = 0; i < UPDATES_PER_THREAD; i++) {
                        String body = "{\"group\":{\"counters\":{\"t" + thread + "_" + i + "\":" + i + "}}}";
                        ok += c.put(GROUPS + "/" + id, body).status() == 200 ? 1 : 0;
                    }
                    return ok;
                }));
            }
            int ok = 0;
            for (Future<Integer> f : results) {
                ok += f.get();
            }
            assertThat(ok).isEqualTo(THREADS * UPDATES_PER_THREAD);
        } finally {
            pool.shutdownNow();
        }
        JsonNode counters = c.get(GROUPS + "/" + id).item().path("counters");
        assertThat(counters.size()).isEqualTo(THREADS * UPDATES_PER_THREAD);
    }

    @Test
    void concurrentScalesAddUp() throws Exception {
        String id = createGroup(client, "scaled", 0, 0, 1000).path("id").asText();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        assertThat(client.put(GROUPS + "/" + id + "/scale/up?adjustment=1", null).status()).isEqualTo(200);
                    }
                }));
            }
            for (Future<?> f : results) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(client.get(GROUPS + "/" + id).item().path("capacity").path("target").asInt()).isEqualTo(THREADS * 10);
        assertThat(client.get(GROUPS + "/" + id + "/status").items()).hasSize(THREADS * 10);
    }

    @Test
    void concurrentPausesOfOneInstanceSucceedExactlyOnce() throws Exception {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                results.add(pool.submit(() -> client.put(INSTANCES + "/" + id + "/pause", null).status()));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Integer> f : results) {
                statuses.add(f.get());
            }
            assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
            assertThat(statuses).filteredOn(s -> s == 400).hasSize(THREADS - 1);
        } finally {
            pool.shutdownNow();
        }
    }
}
