package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.config.AuthSettings;
import dev.spotapi.config.HttpSettings;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Issue 20, kind 1 (time): request headers have a deadline. The idle timeout restarts at every byte, so
 * before, headers dribbled a byte at a time kept a connection open with no end; now a request's headers
 * must be complete within {@code http.bodyTimeoutMs} of its first byte, or the connection is closed. An idle
 * keep-alive connection is still governed by the idle timeout alone.
 */
class HeaderDeadlineTest {
    @Test
    void dribbledHeadersAreCutOffAtTheDeadline() throws Exception {
        try (Harness h = Harness.start(Harness.quick(), c -> c.withLimits(AuthSettings.DEFAULTS,
                new HttpSettings(0, 0, 2_000, 0, 0)))) {
            List<Long> closedAfter = new CopyOnWriteArrayList<>();
            try (HostileClients dribble = HostileClients.headerDribble(h.port(), 200, closedAfter).start(3, "dribble")) {
                long until = System.nanoTime() + 12_000_000_000L;
                while (closedAfter.size() < 3 && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
            }
            assertThat(closedAfter).as("connections closed by the server (ms after their first byte)").hasSizeGreaterThanOrEqualTo(3)
                    .allSatisfy(ms -> assertThat(ms).isBetween(1_500L, 5_000L));
        }
    }

    @Test
    void anIdleKeepAliveConnectionOutlivesTheHeaderDeadline() throws Exception {
        try (Harness h = Harness.start(Harness.quick(), c -> c.withLimits(AuthSettings.DEFAULTS,
                new HttpSettings(0, 0, 1_000, 0, 0)));
                Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", h.port()), 5_000);
            s.setSoTimeout(5_000);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] ping = "GET /v1/spot/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < 2; i++) {
                out.write(ping);
                out.flush();
                assertThat(readPong(in)).as("answer %d on the same connection", i).startsWith("HTTP/1.1 200");
                Thread.sleep(2_500); // idle, well past the 1 s header deadline, within the idle timeout
            }
        }
    }

    private static String readPong(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        while (sb.indexOf("pong") < 0) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            sb.append((char) b);
        }
        return sb.toString();
    }
}
