package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.hardening.HostileInputTest.Hostile;
import dev.spotapi.support.RawHttp.Answer;
import dev.spotapi.support.RawHttp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Issue 4, hostile input, "no thread stuck": after two rounds of {@link HostileInputTest}'s whole catalogue,
 * eight at a time, no request thread is left inside spot-api's code. It reads the stacks of every request
 * thread of the JVM, so it runs alone ({@code @Isolated}: after the classes that run concurrently).
 */
@Isolated
class NoStuckThreadsTest extends HarnessPerClass {
    @Test
    void noThreadIsLeftStuckAfterABarrageOfEverything() throws Exception {
        List<Hostile> all = HostileInputTest.catalogue();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Answer>> answers = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (Hostile c : all) {
                    answers.add(pool.submit(() -> c.send(h.port())));
                }
            }
            for (Future<Answer> f : answers) {
                // every request got an HTTP answer (its status is checked case by case above)
                Answer a = f.get(120, TimeUnit.SECONDS);
                assertThat(a.failure()).as("%s", a).isNull();
            }
        } finally {
            pool.shutdownNow();
        }

        // the service still answers at once, and no request thread is left inside spot-api's code
        assertThat(h.get("/main/instances").status()).isEqualTo(200);
        List<String> stuck = List.of();
        for (int i = 0; i < 50; i++) {
            stuck = threadsInsideSpotApi();
            if (stuck.isEmpty()) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(stuck).as("request threads still inside spot-api code").isEmpty();
    }

    private static List<String> threadsInsideSpotApi() {
        List<String> stuck = new ArrayList<>();
        for (Map.Entry<Thread, StackTraceElement[]> e : Thread.getAllStackTraces().entrySet()) {
            if (!e.getKey().getName().startsWith("http")) {
                continue;
            }
            for (StackTraceElement frame : e.getValue()) {
                if (frame.getClassName().startsWith("dev.spotapi.api") || frame.getClassName().startsWith("dev.spotapi.auth")
                        || frame.getClassName().startsWith("dev.spotapi.spot")) {
                    stuck.add(e.getKey().getName() + " at " + frame);
                    break;
                }
            }
        }
        return stuck;
    }

}
