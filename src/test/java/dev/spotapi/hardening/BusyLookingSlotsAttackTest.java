package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Attack round 2, a bypass of {@code api.ConnectionGuard}: the guard closes only idle connections near the
 * slot limit and never one with a request in progress. A request to a public route whose answer the client
 * never reads stays "in progress" (its write is pending) for as long as the client wants (the idle timeout
 * restarts whenever it reads a byte; here it simply never does within the test). 900 token-less connections,
 * each pipelining sixteen {@code GET /docs/assets/swagger-ui-bundle.js} with a small receive buffer and never
 * reading, hold all 512 slots "busy" (the rest wait in the listen backlog ahead of everybody else): no busy slot is
 * reclaimed; the only connections the guard can close are the newest ones, accepted but not yet read (a
 * {@code /ping} among them was seen closed with its request sent, empty reply), and {@code /ping} gets no answer.
 *
 * <p>Expected: a client holding connections with unread answers cannot take the whole server from everybody
 * else; a fresh {@code /ping} is answered within seconds.
 */
class BusyLookingSlotsAttackTest {
    @Test
    void connectionsWithUnreadAnswersFromOneClientDoNotLockEveryoneElseOut() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            byte[] request = ("GET /v1/spot/docs/assets/swagger-ui-bundle.js HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .repeat(16).getBytes(StandardCharsets.ISO_8859_1);
            List<Socket> nonReading = new ArrayList<>();
            try {
                for (int i = 0; i < 900; i++) {
                    Socket s = new Socket();
                    s.setReceiveBufferSize(4096);
                    s.connect(new InetSocketAddress("127.0.0.1", h.port()), 2_000);
                    s.setSoTimeout(2_000);
                    try {
                        s.getOutputStream().write(request);
                        s.getOutputStream().flush();
                    } catch (java.io.IOException e) {
                        // a connection the server closed: fine, it counts for nothing
                    }
                    nonReading.add(s);
                }
                Thread.sleep(1_000);
                for (int round = 1; round <= 20; round++) {
                    long t0 = System.nanoTime();
                    String answer = ConnectionSlotsAttackTest.ping(h.port(), 5_000);
                    assertThat(answer).as("round %d: a fresh /ping while %d clients leave their answers unread (%d ms)",
                            round, nonReading.size(), Harness.millisSince(t0)).startsWith("HTTP/1.1 200");
                    Thread.sleep(300);
                }
            } finally {
                for (Socket s : nonReading) {
                    s.close();
                }
            }
        }
    }
}
