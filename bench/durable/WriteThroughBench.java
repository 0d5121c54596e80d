// Cost of the embedded write-throughs (tasks.stateFile journal, idempotency.stateFile), in-process.
// Run from the repository root after `./mvnw -B -o -q test-compile`:
//   ./mvnw -B -o -q dependency:build-classpath -Dmdep.outputFile=target/cp.txt
//   nice -n 15 java -cp "target/classes:$(cat target/cp.txt)" bench/durable/WriteThroughBench.java
// Prints ms per task create (without / with the journal, with 0, 200 and 2000 tasks held) and ms per keyed
// request (claim + complete, 1 and 8 threads, without / with the state file). Figures: docs/reliability.md.
package dev.spotapi.task;

import dev.spotapi.shared.EmbeddedSharedState;
import dev.spotapi.shared.SharedState.StoredReply;
import java.nio.file.*;
import java.time.*;
import java.util.*;
import java.util.concurrent.*;

/** Cost of the write-through saves: per task create, and per keyed request (claim + complete). */
public class WriteThroughBench {
    public static void main(String[] a) throws Exception {
        Path dir = Files.createTempDirectory(Path.of("target"), "bench");
        int n = 300;
        for (int existing : new int[] {0, 200, 2000}) {
            for (boolean through : new boolean[] {false, true}) {
                MemoryTaskStore store = new MemoryTaskStore(Clock.systemUTC(), Duration.ofHours(1), 100).bounded(20000);
                Path file = dir.resolve("tasks-" + existing + through + ".json");
                for (int i = 0; i < existing; i++) {
                    store.create(work());
                }
                for (String id : store.unfinished(100000)) {
                    for (int e = 0; e < 5; e++) store.event(id, "is PAUSING, waiting for PAUSED");
                }
                store.save(file);
                if (through) store.writeThrough(file);
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) store.create(work());
                long per = (System.nanoTime() - t0) / n;
                System.out.printf("tasks: %5d tasks held, writeThrough=%-5s: %8.3f ms per create (file %d KB)%n",
                        existing, through, per / 1e6, Files.exists(file) ? Files.size(file) / 1024 : 0);
            }
        }
        byte[] body = new byte[1024];
        Arrays.fill(body, (byte) 'x');
        for (int threads : new int[] {1, 8}) {
            for (boolean withFile : new boolean[] {false, true}) {
                EmbeddedSharedState s = EmbeddedSharedState.forService(withFile ? dir.resolve("idem" + threads + ".jsonl") : null);
                int per = 400;
                ExecutorService pool = Executors.newFixedThreadPool(threads);
                long t0 = System.nanoTime();
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    fs.add(pool.submit(() -> {
                        for (int i = 0; i < per; i++) {
                            String k = UUID.randomUUID().toString();
                            s.claim(k, "fp", System.currentTimeMillis() + 60000, Duration.ofDays(1));
                            s.complete(k, new StoredReply(200, "application/json", body), Duration.ofDays(1));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : fs) f.get();
                long total = System.nanoTime() - t0;
                pool.shutdown();
                System.out.printf("idempotency: %d thread(s), file=%-5s: %8.3f ms per keyed request (claim+complete), %6.0f keyed requests/s%n",
                        threads, withFile, total / 1e6 / per, threads * per / (total / 1e9));
                s.close();
            }
        }
    }

    static int seq;
    static TaskWork work() {
        long now = System.currentTimeMillis();
        return new TaskWork(UUID.randomUUID().toString(), "org", TaskKind.values()[0], "main", "i-" + (seq++), "", now, now + 1_800_000);
    }
}
