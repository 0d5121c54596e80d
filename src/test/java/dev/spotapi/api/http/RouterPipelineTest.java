package dev.spotapi.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The router's steps over a real Jetty server and real HTTP: their order, what a failure skips, a step's future
 * suspending the request (resumed on another thread), skipping the remaining steps, exception handlers by nearest
 * class, 404/405 with {@code Allow}, and gzip only from 1,500 bytes for callers that accept it.
 */
class RouterPipelineTest {
    private static final Queue<String> TRACE = new ConcurrentLinkedQueue<>();
    private static final java.util.concurrent.ScheduledExecutorService LATER = Executors.newSingleThreadScheduledExecutor();
    private static Server server;
    private static String base;
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    static class Refused extends IllegalStateException {
    }

    @BeforeAll
    static void start() throws Exception {
        Router router = new Router();
        router.before(ctx -> TRACE.add("before"));
        router.before(ctx -> {
            if (ctx.header("X-Stop") != null) {
                ctx.status(418).result("stopped");
                ctx.skipRemainingHandlers();
            }
        });
        router.beforeMatched(ctx -> TRACE.add("beforeMatched " + ctx.endpoint().path));
        router.afterMatched(ctx -> TRACE.add("afterMatched"));
        router.after(ctx -> TRACE.add("after " + ctx.statusCode()));
        router.add(Method.GET, "/sync/{id}", false, ctx -> {
            TRACE.add("handler " + ctx.pathParam("id"));
            ctx.contentType("application/json").result("{\"id\":\"" + ctx.pathParam("id") + "\"}");
        });
        router.add(Method.GET, "/later", false, ctx -> ctx.future(() -> CompletableFuture.supplyAsync(() -> "x",
                CompletableFuture.delayedExecutor(50, TimeUnit.MILLISECONDS, LATER)).thenAccept(v -> {
                    TRACE.add("completed on " + (Thread.currentThread().getName().startsWith("pool") ? "other" : "?"));
                    ctx.result("later");
                })));
        router.add(Method.GET, "/fails", false, ctx -> {
            throw new Refused();
        });
        router.add(Method.GET, "/fails-later", false, ctx -> ctx.future(() -> CompletableFuture.failedFuture(
                new IllegalArgumentException("bad"))));
        router.add(Method.GET, "/big", false, ctx -> ctx.contentType("application/json").result("x".repeat(1500)));
        router.add(Method.GET, "/small", false, ctx -> ctx.contentType("application/json").result("x".repeat(1499)));
        router.add(Method.GET, "/stream", false, ctx -> ctx.contentType("application/json")
                .result(new ByteArrayInputStream("y".repeat(100_000).getBytes())));
        router.add(Method.POST, "/sync/{id}", false, ctx -> ctx.status(201));
        router.exception(IllegalStateException.class, (e, ctx) -> ctx.status(409).result("state " + e.getClass().getSimpleName()));
        router.exception(Exception.class, (e, ctx) -> ctx.status(500).result("other " + e.getMessage()));
        router.exception(RouteNotFound.class, (e, ctx) -> ctx.status(404).result(e.getMessage()));
        router.exception(MethodNotAllowed.class, (e, ctx) -> ctx.status(405).header("Allow", e.allowHeader()));
        router.requestLogger((ctx, ms) -> TRACE.add("logged " + ctx.statusCode()));
        LoopbackServer started = LoopbackServer.start(router, "fatal");
        server = started.server();
        base = started.base();
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop();
        LATER.shutdownNow();
    }

    @BeforeEach
    void clear() {
        TRACE.clear();
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> trace() throws InterruptedException {
        for (int i = 0; i < 100 && TRACE.stream().noneMatch(s -> s.startsWith("logged")); i++) {
            Thread.sleep(10);
        }
        return List.copyOf(TRACE);
    }

    @Test
    void stepsRunInOrderAndTheLoggerSeesTheAnswer() throws Exception {
        HttpResponse<String> r = get("/sync/a%20b/");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"id\":\"a b\"}");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(trace()).containsExactly("before", "beforeMatched /sync/{id}", "handler a b", "afterMatched",
                "after 200", "logged 200");
    }

    @Test
    void aFutureSuspendsTheRequestUntilItCompletes() throws Exception {
        HttpResponse<String> r = get("/later");
        assertThat(r.body()).isEqualTo("later");
        assertThat(trace()).containsSubsequence("beforeMatched /later", "completed on other", "afterMatched", "after 200");
    }

    @Test
    void aFailureIsAnsweredByTheNearestHandlerAndTheAfterStepsStillRun() throws Exception {
        HttpResponse<String> r = get("/fails");
        assertThat(r.statusCode()).isEqualTo(409);
        assertThat(r.body()).isEqualTo("state Refused");
        assertThat(trace()).containsSubsequence("afterMatched", "after 409", "logged 409");
        HttpResponse<String> later = get("/fails-later");
        assertThat(later.statusCode()).isEqualTo(500);
        assertThat(later.body()).isEqualTo("other bad");
    }

    @Test
    void skippingTheRemainingStepsSkipsTheAfterStepsToo() throws Exception {
        HttpResponse<String> r = get("/sync/x", "X-Stop", "1");
        assertThat(r.statusCode()).isEqualTo(418);
        assertThat(r.body()).isEqualTo("stopped");
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain");
        assertThat(trace()).containsExactly("before", "logged 418");
    }

    @Test
    void noRouteIs404AndAnotherMethodsRouteIs405WithAllow() throws Exception {
        assertThat(get("/nothing").statusCode()).isEqualTo(404);
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/sync/a"))
                .method("DELETE", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(405);
        assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD, POST");
        assertThat(trace()).doesNotContain("afterMatched").contains("after 405");
    }

    @Test
    void gzipFrom1500BytesForCallersThatAcceptIt() throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/big")).header("Accept-Encoding", "gzip");
        HttpResponse<byte[]> big = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(big.headers().firstValue("Content-Encoding")).hasValue("gzip");
        assertThat(new String(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(big.body())).readAllBytes()))
                .isEqualTo("x".repeat(1500));
        HttpResponse<byte[]> small = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/small"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(small.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(small.headers().firstValue("Content-Length")).hasValue("1499");
        assertThat(get("/big").headers().firstValue("Content-Encoding")).isEmpty();
        HttpResponse<byte[]> stream = CLIENT.send(HttpRequest.newBuilder(URI.create(base + "/stream"))
                .header("Accept-Encoding", "gzip").build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(new String(new java.util.zip.GZIPInputStream(new ByteArrayInputStream(stream.body())).readAllBytes()))
                .isEqualTo("y".repeat(100_000));
    }
}
