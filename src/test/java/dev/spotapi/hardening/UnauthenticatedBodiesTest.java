package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20, kind 1 (memory): no byte of a request body is buffered before its {@code X-Auth-Token} is
 * verified, bodies are read only for endpoints that take one, and the bodies buffered at once fit in a
 * process-wide budget (503 with {@code Retry-After} past it). Before: every body was read (and held in
 * direct buffers) before the token was looked at, and some 70 unauthenticated 1 MB bodies that stalled
 * exhausted the production JVM's direct memory for good.
 */
class UnauthenticatedBodiesTest {
    private static final int MB = 1_000_000;

    @Test
    void aBodyWithoutAValidTokenIsRefusedBeforeItIsRead() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            for (String token : new String[] {null, "not-a-bcrypt-hash", StarvationLatencyTest.bogusToken(4)}) {
                try (Socket s = stalledBody(h.port(), "POST", "/v1/spot/main/instances", token, 100_000)) {
                    long start = System.nanoTime();
                    String reply = readReply(s, 5_000);
                    assertThat(reply).as("token %s: answered while 900 KB of the body are still to come", token)
                            .startsWith("HTTP/1.1 403").containsIgnoringCase("connection: close");
                    assertThat(Harness.millisSince(start)).isLessThan(5_000);
                }
            }
        }
    }

    @Test
    void aChunkedBodyWithoutAValidTokenIsRefusedBeforeItIsRead() throws Exception {
        try (Harness h = Harness.start(Harness.quick()); Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", h.port()), 5_000);
            OutputStream out = s.getOutputStream();
            // one chunk announced as 1 MB, 10 KB of it sent: the body cannot end before the server answers
            out.write(("POST /v1/spot/main/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\nF4240\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(new byte[10_000]);
            out.flush();
            assertThat(readReply(s, 5_000)).startsWith("HTTP/1.1 403").containsIgnoringCase("connection: close");
        }
    }

    @Test
    void aBodyForAnEndpointThatTakesNoneIsNeverRead() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            // a verified read, a public endpoint and an unknown path, each with a stalled 1 MB body
            String[][] cases = {{"GET", "/v1/spot/main/instances/not-an-instance-id", TestService.TOKEN, "404"},
                    {"POST", "/v1/spot/ping", null, "403"}, {"PUT", "/v1/spot/nothing-here", TestService.TOKEN, "404"}};
            for (String[] c : cases) {
                try (Socket s = stalledBody(h.port(), c[0], c[1], c[2], 10_000)) {
                    assertThat(readReply(s, 5_000)).as("%s %s", c[0], c[1]).startsWith("HTTP/1.1 " + c[3]);
                }
            }
        }
    }

    /**
     * In a JVM with a 32 MiB heap the budget is about 4 MB (an eighth of the heap, as logged at start): as
     * many verified 1 MB bodies in progress as fit fill it, and a further verified body is turned away (503,
     * {@code Retry-After: 1}) before a byte of it is read.
     */
    @Test
    void verifiedBodiesBeyondTheBudgetAre503WithRetryAfterAtOnce(@TempDir Path dir) throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, List.of("-Xmx32m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"),
                "\"http\": {\"bodyTimeoutMs\": 120000},")) { // the held bodies stay in progress
            jvm.tailContaining("buffered at once: at most");
            java.util.regex.Matcher logged = java.util.regex.Pattern.compile("buffered at once: at most (\\d+) bytes")
                    .matcher(java.nio.file.Files.readString(jvm.log));
            assertThat(logged.find()).as("the budget is logged at start").isTrue();
            int fit = (int) (Long.parseLong(logged.group(1)) / MB);
            assertThat(fit).as("1 MB bodies in the budget of a 32 MiB heap").isBetween(1, 5);
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < fit; i++) {
                    // all but the last byte: in time for the rate check, never complete
                    held.add(stalledBody(jvm.port, "POST", "/v1/spot/main/instances", TestService.TOKEN, MB - 1));
                }
                // the server reserves as it reads their headers (later on a loaded machine): wait for the first 503.
                // A probe that gets in before the last held body (which then gets the 503) sends half its body at
                // once, so it stays in progress (above the minimum rate) and keeps the budget full for the next one
                long deadline = System.nanoTime() + 12_000_000_000L;
                String first = "";
                while (!first.startsWith("HTTP/1.1 503") && System.nanoTime() < deadline) {
                    try (Socket s = stalledBody(jvm.port, "POST", "/v1/spot/main/instances", TestService.TOKEN, MB / 2)) {
                        first = readReply(s, 3_000);
                    }
                }
                StringBuilder heldReplies = new StringBuilder();
                for (Socket s : held) {
                    heldReplies.append(readReply(s, 100).replace("\r\n", " ")).append(" / ");
                }
                assertThat(first).as("a body beyond the budget (the held bodies got: %s)", heldReplies)
                        .startsWith("HTTP/1.1 503").containsIgnoringCase("retry-after: 1")
                        .contains("too many request bodies");
                assertThat(jvm.get("/v1/spot/ping", null, 5_000).status()).isEqualTo(200);
            } finally {
                for (Socket s : held) {
                    s.close();
                }
            }
            // the reservations are given back: bodies are accepted again
            long until = System.nanoTime() + 10_000_000_000L;
            RawHttp.Answer a;
            do {
                a = RawHttp.send(jvm.port, "POST", "/v1/spot/main/instances".getBytes(StandardCharsets.UTF_8),
                        Map.of("X-Auth-Token", TestService.TOKEN), "[]".getBytes(StandardCharsets.UTF_8), 5_000);
            } while (a.status() == 503 && System.nanoTime() < until && pause());
            assertThat(a.status()).as("%s", a).isEqualTo(400);
        }
    }

    /**
     * The report, in a JVM with the launcher's flags (64 MiB heap): 100 connections without a token each send
     * most of a 1 MB body and stall. Before the fix the server read them all, ran out of direct buffer
     * memory and answered nothing any more, /ping included; now each is refused unread, and the service serves.
     */
    @Test
    void stalledUnauthenticatedBodiesLeaveTheProductionHeapServing(@TempDir Path dir) throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.LAUNCHER_FLAGS)) {
            try (HostileClients bodies = HostileClients.stalledBodies(jvm.port, null, MB, 900_000).start(100, "stall")) {
                long until = System.nanoTime() + 20_000_000_000L;
                while (bodies.connections.get() < 200 && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                for (int i = 0; i < 20; i++) {
                    RawHttp.Answer ping = jvm.get("/v1/spot/ping", null, 5_000);
                    assertThat(ping.status()).as("/ping under stalled bodies: %s\n%s", ping, jvm.tail()).isEqualTo(200);
                }
                assertThat(bodies.answers.keySet()).as("unauthenticated bodies are refused").contains(403);
            }
            assertThat(jvm.get("/v1/spot/ping", null, 5_000).status()).isEqualTo(200);
            assertThat(jvm.get("/v1/spot/main/instances/not-an-instance-id", TestService.TOKEN, 5_000).status())
                    .isEqualTo(404);
            assertThat(jvm.flushedTail()).doesNotContain("OutOfMemoryError");
        }
    }

    private static boolean pause() {
        HostileClients.pause(100);
        return true;
    }

    /** A connection that sent {@code method path}'s headers (1 MB declared) and {@code sent} body bytes. */
    static Socket stalledBody(int port, String method, String path, String token, int sent) throws Exception {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        OutputStream out = s.getOutputStream();
        out.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + (token == null ? "" : "X-Auth-Token: " + token + "\r\n")
                + "Content-Type: application/json\r\nContent-Length: " + MB + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        byte[] body = new byte[sent];
        java.util.Arrays.fill(body, (byte) ' ');
        try {
            out.write(body);
            out.flush();
        } catch (java.io.IOException answered) {
            // refused and closed before all of it was sent: the reply is there to read
        }
        return s;
    }

    /** What arrives on {@code s} until the server closes it or {@code timeoutMs} passes. */
    static String readReply(Socket s, int timeoutMs) throws Exception {
        s.setSoTimeout(timeoutMs);
        InputStream in = s.getInputStream();
        StringBuilder sb = new StringBuilder();
        byte[] buf = new byte[8192];
        try {
            int n;
            while ((n = in.read(buf)) > 0) {
                sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                if (sb.indexOf("\r\n\r\n") > 0 && sb.indexOf("}") > 0) {
                    break;
                }
            }
        } catch (java.net.SocketTimeoutException | java.net.SocketException e) {
            // what arrived so far
        }
        return sb.toString();
    }
}
