package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Spot HTTP client does only what spot-api asks of it (SpotHttp): every reply is handed on as Spot sent it,
 * and a request carries only the headers SpotClient sets. A real HTTP server on loopback records each request.
 */
class SpotHttpTest {
    private HttpServer server;
    private HttpClient client;
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI() + " " + exchange.getRequestHeaders());
            String path = exchange.getRequestURI().getPath();
            byte[] body = ("{\"path\":\"" + path + "\"}").getBytes(StandardCharsets.UTF_8);
            switch (path) {
                case "/unauthorized" -> exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"spot\"");
                case "/moved" -> exchange.getResponseHeaders().add("Location", "/elsewhere");
                case "/cookie" -> exchange.getResponseHeaders().add("Set-Cookie", "AWSALB=abc; Path=/");
                case "/big-head" -> {
                    for (int i = 0; i < 100; i++) {
                        exchange.getResponseHeaders().add("X-Filler-" + i, "x".repeat(1_000));
                    }
                }
                default -> { }
            }
            int status = switch (path) {
                case "/unauthorized" -> 401;
                case "/moved" -> 302;
                default -> 200;
            };
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        client = SpotHttp.start(1_000, false);
    }

    @AfterEach
    void stop() throws Exception {
        client.stop();
        server.stop(0);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    @Test
    void a401WithAChallengeIsHandedOnNotAnswered() throws Exception {
        ContentResponse reply = client.GET(url("/unauthorized"));
        assertThat(reply.getStatus()).isEqualTo(401);
        assertThat(reply.getContentAsString()).contains("/unauthorized");
        assertThat(seen).hasSize(1);
    }

    @Test
    void aRedirectIsNotFollowed() throws Exception {
        ContentResponse reply = client.GET(url("/moved"));
        assertThat(reply.getStatus()).isEqualTo(302);
        assertThat(seen).hasSize(1);
    }

    @Test
    void noCookieIsKeptNorCompressionAskedNorUserAgentAdded() throws Exception {
        client.GET(url("/cookie"));
        client.GET(url("/next"));
        assertThat(seen).hasSize(2);
        String second = seen.get(1).toLowerCase(java.util.Locale.ROOT);
        assertThat(second).doesNotContain("cookie").doesNotContain("awsalb").doesNotContain("accept-encoding")
                .doesNotContain("user-agent");
    }

    @Test
    void aReplyIsHandedToItsReaderAndEndsWithStatusHeadersAndBody() throws Exception {
        SpotExchange exchange = new SpotExchange(r -> BoundedBody.reader(1_000, -1));
        client.newRequest(url("/cookie")).send(exchange);
        SpotExchange.Reply reply = exchange.reply().get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("set-cookie")).startsWith("AWSALB=abc");
        assertThat(new String((byte[]) reply.body(), StandardCharsets.UTF_8)).isEqualTo("{\"path\":\"/cookie\"}");
    }

    @Test
    void aReplyLongerThanItsReaderTakesFailsAsTooLarge() {
        SpotExchange exchange = new SpotExchange(r -> BoundedBody.reader(5, -1)); // declared length ignored
        client.newRequest(url("/a-path-longer-than-five-bytes")).send(exchange);
        assertThat(exchange.reply()).failsWithin(java.time.Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(BoundedBody.TooLarge.class);
    }

    /** Jetty only logs what a listener throws: the exchange still ends, failed, instead of never. */
    @Test
    void aReaderThatCannotBeMadeStillEndsTheExchange() {
        SpotExchange exchange = new SpotExchange(r -> {
            throw new IllegalStateException("no reader");
        });
        client.newRequest(url("/x")).send(exchange);
        assertThat(exchange.reply()).failsWithin(java.time.Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class)
                .withCauseInstanceOf(IllegalStateException.class);
    }

    /** 100 KB of headers: the exchange fails instead of reading an unbounded head into memory. */
    @Test
    void aReplyHeadLongerThanTheBoundFailsTheExchange() {
        SpotExchange exchange = new SpotExchange(r -> BoundedBody.reader(1_000, -1));
        client.newRequest(url("/big-head")).send(exchange);
        assertThat(exchange.reply()).failsWithin(java.time.Duration.ofSeconds(5))
                .withThrowableOfType(java.util.concurrent.ExecutionException.class);
    }
}
