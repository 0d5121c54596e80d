package dev.spotapi.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router's step scope over a real Jetty server: every step, handler, future supplier, exception handler and
 * request logger of a request runs inside it, also after the request resumed on another thread; it is entered
 * once per stretch of steps on a thread (not once per step), and every thread is left as it was found.
 */
class StepScopeTest {
    /** What the scope puts on a thread: the request's path. */
    private static final ThreadLocal<String> CURRENT = new ThreadLocal<>();
    private static final Queue<String> SEEN = new ConcurrentLinkedQueue<>();
    private static final AtomicInteger ENTERED = new AtomicInteger();
    private static final AtomicInteger LEFT = new AtomicInteger();
    private static final ExecutorService OTHER = Executors.newSingleThreadExecutor(r -> new Thread(r, "other"));
    private static Server server;
    private static String base;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        Router router = new Router();
        router.stepScope(ctx -> {
            ENTERED.incrementAndGet();
            String previous = CURRENT.get();
            CURRENT.set(ctx.path());
            return () -> {
                LEFT.incrementAndGet();
                CURRENT.set(previous);
            };
        });
        router.before(ctx -> seen("before"));
        router.beforeMatched(ctx -> seen("beforeMatched"));
        router.after(ctx -> seen("after"));
        router.add(Method.GET, "/now", false, ctx -> seen("handler"));
        router.add(Method.GET, "/later", false, ctx -> ctx.future(() -> {
            seen("supplier");
            return CompletableFuture.runAsync(() -> {
                pause();
                seen("elsewhere");
            }, OTHER);
        }));
        router.add(Method.GET, "/fails-later", false, ctx -> ctx.future(() -> CompletableFuture.runAsync(() -> {
            pause();
            throw new IllegalStateException("late");
        }, OTHER)));
        router.exception(Exception.class, (e, ctx) -> {
            seen("exception handler");
            ctx.status(500);
        });
        router.requestLogger((ctx, ms) -> seen("logger"));
        LoopbackServer started = LoopbackServer.start(router, "");
        server = started.server();
        base = started.base();
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
        OTHER.shutdownNow();
    }

    @BeforeEach
    void clear() {
        SEEN.clear();
        ENTERED.set(0);
        LEFT.set(0);
    }

    /** Long enough for the request's thread to have left before the future completes (it then resumes elsewhere). */
    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void seen(String what) {
        SEEN.add(what + " " + CURRENT.get() + " on " + (Thread.currentThread().getName().equals("other") ? "other" : "server"));
    }

    private static List<String> afterLogged(String path) throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isIn(200, 500);
        for (int i = 0; i < 200 && (SEEN.stream().noneMatch(s -> s.startsWith("logger")) || LEFT.get() < ENTERED.get()); i++) {
            Thread.sleep(5);
        }
        return List.copyOf(SEEN);
    }

    @Test
    void aRequestOnOneThreadEntersOnceAndEveryStepSeesIt() throws Exception {
        assertThat(afterLogged("/now")).containsExactly("before /now on server", "beforeMatched /now on server",
                "handler /now on server", "after /now on server", "logger /now on server");
        assertThat(ENTERED.get()).isEqualTo(1);
        assertThat(LEFT.get()).isEqualTo(1);
    }

    @Test
    void aResumedRequestEntersAgainOnTheThreadThatResumesIt() throws Exception {
        assertThat(afterLogged("/later")).containsExactly("before /later on server", "beforeMatched /later on server",
                "supplier /later on server", "elsewhere null on other", "after /later on other", "logger /later on other");
        assertThat(ENTERED.get()).isEqualTo(2);
        assertThat(LEFT.get()).isEqualTo(2);
        // the resuming thread was left as it was found
        assertThat(OTHER.submit(CURRENT::get).get()).isNull();
    }

    @Test
    void aFailedFutureIsAnsweredInsideTheScope() throws Exception {
        assertThat(afterLogged("/fails-later")).contains("exception handler /fails-later on other",
                "after /fails-later on other", "logger /fails-later on other");
        assertThat(LEFT.get()).isEqualTo(ENTERED.get());
        assertThat(OTHER.submit(CURRENT::get).get()).isNull();
    }
}
