package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 13 (report-only helper): unauthenticated patterns that take the service down, or keep it down after
 * the attacker stopped. The heap tests run spot-api in a JVM of its own with the launcher's flags (64 MiB heap,
 * {@code -XX:+ExitOnOutOfMemoryError}), as in production.
 */
class AttackRound13UnauthTest {
    private static final long MIB = 1024 * 1024;

    /**
     * Attack: 480 ordinary HTTP/1.1 keep-alive connections from one address (fewer than the server's own limit of
     * 512), each sending {@code GET /v1/spot/ping} with a {@code Host} header every 400 ms and reading the answer:
     * no token, no body, nothing slow, ~1,200 requests a second in all. Jetty's HTTP/1.1 parser keeps a header field
     * cache per persistent connection ({@code HttpParser$FieldCache}, an {@code ArrayTrie} whose {@code char[]}
     * table is sized by {@code HttpConfiguration.headerCacheSize}, 1024 by default): measured ~86 KiB of live heap
     * per connection, ~43 MiB for 500 connections, of a 64 MiB heap.
     *
     * <p>Expected: connections the server accepts by its own limit fit in its heap: the live {@code char[]} they
     * hold stays under a quarter of the heap, a new caller's {@code /ping} is answered within 2 s meanwhile, and
     * afterwards the process is still running, logged no OutOfMemoryError and answers a verified read.
     */
    @Test
    void ordinaryKeepAliveConnectionsWithinTheConnectionLimitDoNotFillTheProductionHeap(@TempDir Path dir)
            throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.LAUNCHER_FLAGS)) {
            long charsBefore = liveBytes(jvm, "[C ");
            long charsDuring;
            List<RawHttp.Answer> pings = new ArrayList<>();
            int connected;
            long answers;
            try (KeepAliveFlock flock = new KeepAliveFlock(jvm.port, 480, 400)) {
                flock.start();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (flock.open.get() < 470 && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                Thread.sleep(1_500);
                connected = flock.open.get();
                charsDuring = liveBytes(jvm, "[C ");
                for (int i = 0; i < 3 && jvm.process.isAlive(); i++) {
                    pings.add(jvm.get("/v1/spot/ping", null, 10_000));
                }
                answers = flock.answerBytes.get();
            }
            Thread.sleep(500);
            boolean alive = jvm.process.isAlive();
            RawHttp.Answer pingAfter = alive ? jvm.get("/v1/spot/ping", null, 10_000) : null;
            RawHttp.Answer readAfter = alive
                    ? jvm.get("/v1/spot/main/instances/not-an-instance-id", TestService.TOKEN, 10_000) : null;
            String log = jvm.flushedTail();
            String facts = "connections held: %d, answer bytes read: %d; live char[] before %d KiB, during %d KiB;"
                    + " pings during: %s; alive after: %s; ping after: %s; read after: %s";
            Object[] args = {connected, answers, charsBefore / 1024, charsDuring / 1024,
                    pings.stream().map(a -> a.status() + "/" + a.millis() + "ms").toList(), alive,
                    pingAfter == null ? "-" : pingAfter.status() + "/" + pingAfter.millis() + "ms",
                    readAfter == null ? "-" : readAfter.status() + "/" + readAfter.millis() + "ms"};
            System.out.printf("[round13] " + facts + "%n", args);
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(charsDuring - charsBefore).as("live char[] held by the connections. " + facts, args)
                    .isLessThan(16 * MIB);
            soft.assertThat(pings).as("a new caller's /ping during the attack. " + facts, args)
                    .allSatisfy(a -> {
                        assertThat(a.status()).isEqualTo(200);
                        assertThat(a.millis()).isLessThan(2_000);
                    });
            soft.assertThat(alive).as("the process survived. " + facts, args).isTrue();
            soft.assertThat(log).as("no OutOfMemoryError in the log").doesNotContain("OutOfMemoryError");
            if (alive) {
                soft.assertThat(pingAfter.status()).as("/ping after. " + facts, args).isEqualTo(200);
                soft.assertThat(readAfter.status()).as("verified read after. " + facts, args).isEqualTo(404);
            }
            soft.assertAll();
        }
    }

    /**
     * Held. Attack: 480 connections from one address (fewer than the server's limit of 512), each with a 4 KiB receive
     * buffer, each sending one {@code GET /v1/spot/metrics} (the public scrape, ~55 KB, a fresh {@code byte[]} per
     * request: {@code SystemRoutes#metrics} wraps {@code registry.scrape().getBytes(...)}) and never reading it,
     * held 8 s, then closed. Measured: the answers go to the kernel's send buffers (loopback), not the heap (byte[]
     * ~3.4 MiB live), and one request per connection builds no parser cache (char[] ~0.5 MiB): the heap holds.
     *
     * <p>Expected (production flags, no simulator in the JVM): the process survives, logs no OutOfMemoryError,
     * answers a new caller's {@code /ping} within 2 s meanwhile and a verified read afterwards.
     */
    @Test
    void nonReadingScrapersOfThePublicMetricsRouteDoNotEndTheProcess(@TempDir Path dir) throws Exception {
        try (ServiceJvm jvm = ServiceJvm.start(dir, ServiceJvm.LAUNCHER_FLAGS)) {
            List<RawHttp.Answer> pings = new ArrayList<>();
            long charsDuring = -1;
            long bytesDuring = -1;
            try (KeepAliveFlock flock = new KeepAliveFlock(jvm.port, 480, 300, "/v1/spot/metrics")) {
                flock.nonReading = true;
                flock.start();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                Thread.sleep(3_000);
                if (jvm.process.isAlive()) {
                    charsDuring = liveBytes(jvm, "[C ");
                    bytesDuring = liveBytes(jvm, "[B ");
                }
                while (System.nanoTime() < until && jvm.process.isAlive()) {
                    pings.add(jvm.get("/v1/spot/ping", null, 5_000));
                    Thread.sleep(1_000);
                }
            }
            Thread.sleep(1_000);
            boolean alive = jvm.process.isAlive();
            RawHttp.Answer pingAfter = jvm.get("/v1/spot/ping", null, 10_000);
            RawHttp.Answer readAfter = jvm.get("/v1/spot/main/instances/not-an-instance-id", TestService.TOKEN, 10_000);
            String log = jvm.flushedTail();
            String facts = String.format("live char[] %d KiB, byte[] %d KiB during; pings during: %s;"
                    + " alive after: %s%s; ping after: %s; read after: %s; OOM in log: %s", charsDuring / 1024,
                    bytesDuring / 1024, pings.stream().map(a -> a.status() + "/" + a.millis() + "ms").toList(), alive,
                    alive ? "" : " (exit " + jvm.process.exitValue() + ")",
                    pingAfter.status() + "/" + pingAfter.millis() + "ms " + pingAfter.failure(),
                    readAfter.status() + "/" + readAfter.millis() + "ms", log.contains("OutOfMemoryError"));
            System.out.println("[round13 nonreading metrics] " + facts);
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(alive).as("the process survived. " + facts).isTrue();
            soft.assertThat(log).as("no OutOfMemoryError in the log. " + facts).doesNotContain("OutOfMemoryError");
            soft.assertThat(pings).as("a new caller's /ping during the attack. " + facts).allSatisfy(a -> {
                assertThat(a.status()).isEqualTo(200);
                assertThat(a.millis()).isLessThan(2_000);
            });
            soft.assertThat(pingAfter.status()).as("/ping after. " + facts).isEqualTo(200);
            soft.assertThat(readAfter.status()).as("verified read after. " + facts).isEqualTo(404);
            soft.assertAll();
        }
    }

    /**
     * Attack: against the sandbox as {@code ./spot-api} runs it on a laptop (service and simulator in one JVM, the
     * launcher's sandbox flags: {@code -Xmx64m}, {@code -XX:+ExitOnOutOfMemoryError}), 480 keep-alive connections
     * from one address, each asking for the public Prometheus scrape ({@code GET /v1/spot/metrics}, ~55 KB, built
     * afresh for every request by {@code SystemRoutes#metrics}) every 300 ms for up to 8 s, reading every answer;
     * then the attacker stops. No token, nothing but public reads. With each connection's parser cache holding
     * ~80 KiB of the heap (test above), the scrapes' garbage has what is left.
     *
     * <p>Expected: the process is still running after the attack stopped, logged no OutOfMemoryError, and answers
     * {@code /ping} and a verified read (the sandbox is the one mode in which nothing restarts a dead process).
     */
    @Test
    void keepAliveScrapersOfThePublicMetricsRouteDoNotEndTheSandboxProcess(@TempDir Path dir) throws Exception {
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path output = dir.resolve("sandbox.txt");
        List<String> base = dev.spotapi.support.ChildJvm.command("64m");
        List<String> command = new ArrayList<>();
        command.add(base.get(0));
        // ./spot-api's flags in sandbox mode (jvm_flags without -Xmn4m and the free ratios)
        command.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xms16m", "-Xmx64m", "-Xss512k",
                "-XX:ReservedCodeCacheSize=32m", "-XX:MaxDirectMemorySize=32m", "-XX:+ExitOnOutOfMemoryError",
                "-Djava.util.concurrent.ForkJoinPool.common.parallelism=4"));
        base.stream().skip(1).filter(a -> !a.startsWith("-Xmx") && !a.startsWith("-XX:TieredStopAtLevel")
                && !a.equals("-XX:+UseSerialGC")).forEach(command::add);
        command.addAll(List.of("dev.spotapi.cli.Main", "--sandbox", "--sandbox-dir", dir.resolve("sandbox").toString()));
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        pb.environment().put("SPOT_API_TOKEN", TestService.KEY);
        pb.environment().put("SPOT_API_LISTEN", "127.0.0.1:" + port);
        Process process = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!java.nio.file.Files.readString(output).contains("Try it")) {
                assertThat(process.isAlive() && System.nanoTime() < deadline).as("sandbox started").isTrue();
                Thread.sleep(100);
            }
            List<RawHttp.Answer> pings = new ArrayList<>();
            long answers;
            try (KeepAliveFlock flock = new KeepAliveFlock(port, 480, 300, "/v1/spot/metrics")) {
                flock.start();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
                while (System.nanoTime() < until && process.isAlive()) {
                    Thread.sleep(1_000);
                    pings.add(ping(port, "/v1/spot/ping", null));
                }
                answers = flock.answerBytes.get();
            }
            long stopped = System.nanoTime();
            List<String> afterStop = new ArrayList<>();
            long recoveredMs = -1;
            while (System.nanoTime() - stopped < TimeUnit.SECONDS.toNanos(15) && process.isAlive()) {
                RawHttp.Answer a = ping(port, "/v1/spot/ping", null);
                long at = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - stopped);
                afterStop.add("+" + at + "ms:" + a.status() + "/" + a.millis() + "ms");
                if (a.status() == 200 && a.millis() < 500) {
                    recoveredMs = at;
                    break;
                }
                Thread.sleep(500);
            }
            boolean alive = process.isAlive();
            RawHttp.Answer pingAfter = ping(port, "/v1/spot/ping", null);
            RawHttp.Answer readAfter = ping(port, "/v1/spot/sandbox/instances/not-an-instance-id", TestService.TOKEN);
            Thread.sleep(500);
            String log = java.nio.file.Files.readString(output);
            String facts = String.format("answer bytes read: %d; pings during: %s; pings after the attacker stopped: %s"
                    + " (a quick 200 %d ms after it stopped); alive after: %s%s; ping after: %s; read after: %s; log: %s",
                    answers, pings.stream().map(a -> a.status() + "/" + a.millis() + "ms").toList(), afterStop,
                    recoveredMs, alive, alive ? "" : " (exit " + process.exitValue() + ")",
                    pingAfter.status() + "/" + pingAfter.millis() + "ms " + pingAfter.failure(),
                    readAfter.status() + "/" + readAfter.millis() + "ms",
                    log.lines().filter(l -> l.contains("OutOfMemory") || l.contains("Terminating") || l.contains("WARN")
                            || l.contains("ERROR")).limit(10).toList());
            System.out.println("[round13 sandbox metrics] " + facts);
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(alive).as("the process survived. " + facts).isTrue();
            soft.assertThat(log).as("no OutOfMemoryError in the log. " + facts).doesNotContain("OutOfMemoryError");
            soft.assertThat(pings).as("a new caller's /ping during the attack. " + facts).allSatisfy(a -> {
                assertThat(a.status()).isEqualTo(200);
                assertThat(a.millis()).isLessThan(2_000);
            });
            soft.assertThat(recoveredMs).as("/ping answered quickly within 2 s of the attacker stopping. " + facts)
                    .isBetween(0L, 2_000L);
            soft.assertThat(pingAfter.status()).as("/ping after. " + facts).isEqualTo(200);
            soft.assertThat(readAfter.status()).as("verified read after. " + facts).isEqualTo(404);
            soft.assertAll();
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static RawHttp.Answer ping(int port, String path, String token) {
        return RawHttp.send(port, "GET", path.getBytes(StandardCharsets.UTF_8),
                token == null ? java.util.Map.of() : java.util.Map.of("X-Auth-Token", token), null, 5_000);
    }

    /**
     * Held (guards the fix above against a cheaper one): HTTP/2 with prior knowledge and an {@code Upgrade: h2c}
     * request, neither spoken by the server, without a token: a 426 or an HTTP/1.1 answer, never a hang or a 5xx,
     * and the next caller is served.
     */
    @Test
    void http2PriorKnowledgeAndH2cUpgradeAreAnsweredAndLeaveTheServerServing() throws Exception {
        try (TestService svc = TestService.start(TestService.fastSettings())) {
            String preface = raw(svc.api.port(), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            assertThat(preface).startsWith("HTTP/1.1 4");
            String upgrade = raw(svc.api.port(), "GET /v1/spot/main/instances HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n");
            assertThat(upgrade).startsWith("HTTP/1.1 403").doesNotContain("101 Switching");
            assertThat(svc.call("GET", "/main/instances/not-an-instance-id", null).status()).isEqualTo(404);
        }
    }

    /** What the server sends back on a new connection for {@code request} within 2 s. */
    private static String raw(int port, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
            s.setSoTimeout(2_000);
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            InputStream in = s.getInputStream();
            StringBuilder sb = new StringBuilder();
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    sb.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
                    if (sb.indexOf("\r\n\r\n") > 0 && sb.indexOf("}") > 0) {
                        break;
                    }
                }
            } catch (IOException timeoutOrReset) {
                // what arrived so far
            }
            return sb.toString();
        }
    }

    /** Live bytes of the class whose histogram line contains {@code classColumn} ({@code jcmd GC.class_histogram}). */
    static long liveBytes(ServiceJvm jvm, String classColumn) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(jvm.process.pid()), "GC.class_histogram")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(30, TimeUnit.SECONDS);
        for (String line : out.split("\n")) {
            if (line.contains(classColumn)) {
                String[] f = line.trim().split("\\s+");
                return Long.parseLong(f[2]);
            }
        }
        return -1;
    }

    /**
     * {@code n} keep-alive connections on one selector thread, each sending {@code GET /v1/spot/ping} every
     * {@code periodMs} and reading whatever comes back; a connection the server closes is opened again.
     */
    static final class KeepAliveFlock implements AutoCloseable {
        final int port;
        final int n;
        final long periodMs;
        final AtomicInteger open = new AtomicInteger();
        final AtomicLong answerBytes = new AtomicLong();
        private final Selector selector;
        private final Thread thread;
        private volatile boolean running = true;
        private final byte[] request;

        KeepAliveFlock(int port, int n, long periodMs) throws IOException {
            this(port, n, periodMs, "/v1/spot/ping");
        }

        /** Never reads (a 4 KiB receive buffer), sends one request per connection and holds it: answers stay unsent. */
        boolean nonReading;

        KeepAliveFlock(int port, int n, long periodMs, String path) throws IOException {
            this.port = port;
            this.n = n;
            this.periodMs = periodMs;
            this.selector = Selector.open();
            this.request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1);
            this.thread = new Thread(this::run, "keep-alive-flock");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void connect() {
            try {
                SocketChannel ch = SocketChannel.open();
                if (nonReading) {
                    ch.socket().setReceiveBufferSize(4096);
                }
                ch.socket().connect(new InetSocketAddress("127.0.0.1", port), 2_000);
                ch.configureBlocking(false);
                ch.register(selector, nonReading ? 0 : SelectionKey.OP_READ);
                ch.write(ByteBuffer.wrap(request));
                open.incrementAndGet();
            } catch (IOException e) {
                // the server is full or gone: tried again next period
            }
        }

        private void run() {
            ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
            long next = System.nanoTime();
            try {
                for (int i = 0; i < n && running; i++) {
                    connect();
                }
                while (running) {
                    selector.select(50);
                    for (SelectionKey key : selector.selectedKeys()) {
                        SocketChannel ch = (SocketChannel) key.channel();
                        buf.clear();
                        int r;
                        try {
                            r = ch.read(buf);
                        } catch (IOException e) {
                            r = -1;
                        }
                        if (r < 0) {
                            key.cancel();
                            closeQuietly(ch);
                            open.decrementAndGet();
                        } else {
                            answerBytes.addAndGet(r);
                        }
                    }
                    selector.selectedKeys().clear();
                    if (System.nanoTime() >= next && !nonReading) {
                        next = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(periodMs);
                        for (SelectionKey key : selector.keys()) {
                            if (key.isValid()) {
                                try {
                                    ((SocketChannel) key.channel()).write(ByteBuffer.wrap(request));
                                } catch (IOException e) {
                                    // read side sees the close
                                }
                            }
                        }
                        for (int missing = n - open.get(); missing > 0 && running; missing--) {
                            connect();
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                // ends the flock
            }
        }

        private static void closeQuietly(SocketChannel ch) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing
            }
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(5_000);
            for (SelectionKey key : selector.keys()) {
                closeQuietly((SocketChannel) key.channel());
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
