package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link WorkerDispatch} over a real Jetty server and real HTTP: with every worker thread of the pool held by a
 * blocking handler, a bodiless GET or HEAD of an inline path (liveness) on an open connection is still answered,
 * by the selector thread, while every other request (another path, a method with a body) waits for a worker and is answered once
 * one is free; a handler's exception and an unhandled request are answered as Jetty answers them.
 */
class WorkerDispatchTest {
    private final CountDownLatch release = new CountDownLatch(1);
    private final Semaphore entered = new Semaphore(0);
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** Its own connection, opened before the workers are held (Jetty sets up a new connection on a worker). */
    private final HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Server server;
    private String base;

    @BeforeEach
    void start() throws Exception {
        server = new Server(new QueuedThreadPool(8, 2));
        ServerConnector connector = new ServerConnector(server, 1, 2);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        WorkerDispatch dispatch = new WorkerDispatch(Set.of("/ping"));
        server.setHandler(dispatch);
        dispatch.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                switch (request.getHttpURI().getPath()) {
                    case "/block" -> {
                        entered.release();
                        release.await();
                    }
                    case "/fail" -> throw new IllegalStateException("boom");
                    case "/none" -> {
                        return false;
                    }
                    default -> { }
                }
                Content.Sink.write(response, true, request.getMethod() + " " + request.getHttpURI().getPath(), callback);
                return true;
            }
        });
        server.start();
        base = "http://127.0.0.1:" + connector.getLocalPort();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        server.stop();
    }

    @Test
    void liveness_isAnsweredWhileEveryWorkerIsHeld_andTheRestWaitsForAWorker() throws Exception {
        assertThat(send(probe, "GET", "/ping", null).get(5, TimeUnit.SECONDS).body()).isEqualTo("GET /ping");
        List<CompletableFuture<HttpResponse<String>>> held = holdEveryWorker();

        assertThat(send(probe, "GET", "/ping", null).get(5, TimeUnit.SECONDS).body()).isEqualTo("GET /ping");
        assertThat(send(probe, "HEAD", "/ping", null).get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(send(probe, "GET", "/ping?probe=1", null).get(5, TimeUnit.SECONDS).body()).isEqualTo("GET /ping");
        // the probe's own kept-alive connection, so that only the dispatch decides whether these wait
        CompletableFuture<HttpResponse<String>> probeOther = send(probe, "GET", "/other", null);

        CompletableFuture<HttpResponse<String>> other = send("GET", "/other", null);
        CompletableFuture<HttpResponse<String>> pingWithBody = send("POST", "/ping", "x");
        CompletableFuture<HttpResponse<String>> encoded = send("GET", "/p%69ng", null);
        Thread.sleep(300);
        assertThat(other).isNotDone();
        assertThat(probeOther).isNotDone();
        assertThat(pingWithBody).isNotDone();
        assertThat(encoded).isNotDone();

        release.countDown();
        assertThat(other.get(5, TimeUnit.SECONDS).body()).isEqualTo("GET /other");
        assertThat(probeOther.get(5, TimeUnit.SECONDS).body()).isEqualTo("GET /other");
        assertThat(pingWithBody.get(5, TimeUnit.SECONDS).body()).isEqualTo("POST /ping");
        assertThat(encoded.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        for (CompletableFuture<HttpResponse<String>> h : held) {
            assertThat(h.get(5, TimeUnit.SECONDS).body()).isEqualTo("GET /block");
        }
    }

    @Test
    void aDispatchedHandlersExceptionIsA500_andAnUnhandledRequestA404() throws Exception {
        assertThat(send("GET", "/fail", null).get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(500);
        assertThat(send("GET", "/none", null).get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/ping", null).get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    /** Sends blocking requests until one more finds no free worker; returns those held. */
    private List<CompletableFuture<HttpResponse<String>>> holdEveryWorker() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            held.add(send("GET", "/block", null));
            if (!entered.tryAcquire(1, TimeUnit.SECONDS)) {
                assertThat(i).as("at least one worker was held").isPositive();
                return held;
            }
        }
        throw new TimeoutException("the pool never ran out of workers");
    }

    private CompletableFuture<HttpResponse<String>> send(String method, String path, String body) {
        return send(client, method, path, body);
    }

    private CompletableFuture<HttpResponse<String>> send(HttpClient via, String method, String path, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8))
                .build();
        return via.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }
}
