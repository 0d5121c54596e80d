package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import org.junit.jupiter.api.Test;

/**
 * Attack (round after issue 27): the server's connection slots ({@code ApiServer.MAX_CONNECTIONS}, 512) are
 * taken by one unauthenticated client that opens more TCP connections than that and sends nothing on them.
 * No byte arrives, so the header deadline never starts; each slot is held for the idle timeout (30 s by
 * default) and the client simply opens new ones. Meanwhile every new connection waits in the listen
 * backlog: {@code /ping} (the liveness probe) and every authenticated caller get no answer at all.
 *
 * <p>Expected: a client that holds silent connections cannot take the whole server away from everybody
 * else; a fresh {@code /ping} is answered within seconds while the client keeps opening silent connections,
 * and a request in flight (on the oldest connection of all) is never cut off to make room
 * ({@code api.ConnectionGuard}: near the limit, idle connections are closed, the longest idle first).
 */
class ConnectionSlotsAttackTest {
    @Test
    void silentConnectionsFromOneClientDoNotLockEveryoneElseOut() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            String id = h.createInstance();
            // a request in flight on the oldest connection: a slow Spot read (1.8 s, below the attempt timeout) across the first round of the attack
            h.fault("""
                    {"method":"GET","path":"/aws/ec2/managedInstance/*","action":"delay","delayMs":1800}""");
            CompletableFuture<RawHttp.Answer> inFlight = CompletableFuture.supplyAsync(() -> RawHttp.send(h.port(), "GET",
                    "/v1/spot/main/instances/" + id, Map.of("X-Auth-Token", TestService.TOKEN), null));
            Thread.sleep(300);
            List<Socket> silent = new ArrayList<>();
            try {
                for (int round = 1; round <= 2; round++) {
                    for (int i = 0; i < 600; i++) {
                        Socket s = new Socket();
                        s.connect(new InetSocketAddress("127.0.0.1", h.port()), 2_000);
                        silent.add(s); // connected (the kernel's backlog takes it), nothing ever sent
                    }
                    Thread.sleep(300);
                    long t0 = System.nanoTime();
                    String answer = ping(h.port(), 5_000);
                    assertThat(answer).as("round %d: a fresh /ping while %d silent connections were opened (%d ms)",
                            round, silent.size(), Harness.millisSince(t0)).startsWith("HTTP/1.1 200");
                }
                RawHttp.Answer slow = inFlight.get(20, TimeUnit.SECONDS);
                assertThat(slow.status()).as("the request in flight on the oldest connection: %s", slow).isEqualTo(200);
            } finally {
                h.clearFaults();
                for (Socket s : silent) {
                    s.close();
                }
            }
        }
    }

    /** A {@code GET /v1/spot/ping} on a new connection: the whole answer, or "no answer: ...". */
    static String ping(int port, int timeoutMs) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMs);
            s.setSoTimeout(timeoutMs);
            OutputStream out = s.getOutputStream();
            out.write("GET /v1/spot/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (Exception e) {
            return "no answer: " + e;
        }
    }
}
