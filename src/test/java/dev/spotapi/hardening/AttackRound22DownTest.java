package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Isolated;

/**
 * Attack round 22 (helper "down", report-only): unauthenticated callers and the token verifier.
 *
 * <p>Both tests flood made-up cost-10 tokens (the cheap lane) from more client addresses than {@code auth.verifyQueue}
 * ({@value #ADDRESSES} addresses 127.0.2-5.x, 48 senders picking one at random per request; an IPv6
 * client with a /56 has 256 of the /64s {@code auth.ClientAddress} tells apart). Round 20's fairness (one queue per address, longest-queue push-out)
 * lets a newcomer in only by pushing out an item of a queue at least two longer than its own: once every waiting
 * address has one item waiting, a fresh valid token is refused at once (503), for as long as the flood lasts, and
 * {@code /health}'s {@code verificationQueue} says UP ({@code queued} 16 of a {@code capacity} of 32: the capacity is
 * both lanes', the cheap lane alone is full).
 */
@Isolated
class AttackRound22DownTest {
    private static final String READ = "/v1/spot/main/instances/not-an-instance-id";
    private static final int ADDRESSES = 1_000;
    private static final int SENDERS = 48;

    @Test
    void freshValidTokensAreNotRefusedWhileManyAddressesFloodCheapMadeUpTokens() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            List<String> fresh = IntStream.range(0, 6).parallel()
                    .mapToObj(i -> TokenVerifier.hash(TestService.KEY, 10)).toList();
            Flood flood = new Flood(h.port(), addresses());
            try {
                flood.awaitBusy();
                Thread.sleep(1_000);
                List<RawHttp.Answer> answers = new ArrayList<>();
                for (String token : fresh) {
                    answers.add(RawHttp.sendFrom(null, h.port(), "GET", READ.getBytes(StandardCharsets.UTF_8),
                            Map.of("X-Auth-Token", token), null, 30_000, s -> { }));
                    Thread.sleep(200);
                }
                // found: every fresh token 503 within ~10 ms (the flood: ~3,600 503 and a few dozen 403 per second)
                assertThat(answers).allSatisfy(a -> assertThat(a.status())
                        .as("a fresh valid token while %d addresses flood made-up cost-10 tokens (flood answers %s): %s",
                                ADDRESSES, flood.answers, a)
                        .isEqualTo(404));
            } finally {
                flood.stop();
            }
        }
    }

    /**
     * While the flood is answered 503 for want of room (its senders see them continuously), {@code /health} says the
     * verification queue is DEGRADED and counts the refusals; found: {@code {"status":"UP","details":{"queued":16,
     * "capacity":32}}} right after a fresh token's 503 (the total of all four queues against twice one queue's size).
     */
    @Test
    void healthSaysTheVerificationQueueIsDegradedWhileFreshTokensAreTurnedAwayForWantOfRoom() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            Flood flood = new Flood(h.port(), addresses());
            try {
                flood.awaitBusy();
                assertThat(flood.answers).as("the flood is turned away for want of room").containsKey(503);
                RawHttp.Answer health = RawHttp.send(h.port(), "GET", "/v1/spot/health", Map.of(), null);
                JsonNode queue = TestService.JSON.readTree(health.body()).path("components").path("verificationQueue");
                assertThat(queue.path("status").asText()).as("tokens are being answered 503 for want of room; /health"
                        + " said %s", queue).isEqualTo("DEGRADED");
                assertThat(queue.path("details").path("turnedAway").asLong()).as("%s", queue).isPositive();
            } finally {
                flood.stop();
            }
        }
    }

    /**
     * Slowloris past the connection limit: 600 connections (from 127.0.6-8.x, 250 each) each send a request line and
     * then one header byte a second. {@code api.ConnectionGuard} never reclaims a connection with bytes of a request
     * (only idle and stalled ones), so they hold all 512 slots until the header deadline ({@code http.bodyTimeoutMs},
     * 10 s) and reconnect at once: a new connection waits in the listen backlog. Found (sandbox, same figures):
     * {@code /ping} on a new connection 4.8-6.8 s (4 of 4 samples); this test, 8 pings 0.5 s apart: 4,169, 3, 4, 5, 2, 2,
     * 8,517, 2 ms; deploy/k8s's probes time out at 2 s
     * (liveness: 3 failures, then the kubelet restarts the pod).
     */
    @Test
    void headerDribblersPastTheConnectionLimitDoNotKeepNewConnectionsOutLongerThanAProbesTimeout() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            AtomicBoolean stop = new AtomicBoolean();
            Set<Socket> open = ConcurrentHashMap.newKeySet();
            ExecutorService pool = Executors.newFixedThreadPool(600);
            for (int i = 0; i < 600; i++) {
                InetAddress source = InetAddress.getByName("127.0." + (6 + i / 250) + "." + (1 + i % 250));
                pool.execute(() -> {
                    while (!stop.get()) {
                        try (Socket s = new Socket()) {
                            open.add(s);
                            s.bind(new java.net.InetSocketAddress(source, 0));
                            s.connect(new java.net.InetSocketAddress("127.0.0.1", h.port()), 10_000);
                            s.getOutputStream().write("GET /v1/spot/ping HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII));
                            while (!stop.get()) {
                                s.getOutputStream().write('X');
                                s.getOutputStream().flush();
                                Thread.sleep(1_000);
                            }
                        } catch (java.io.IOException e) {
                            // cut at the header deadline: again at once
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                });
            }
            try {
                Thread.sleep(5_000);
                List<Long> pings = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    RawHttp.Answer a = RawHttp.send(h.port(), "GET", "/v1/spot/ping".getBytes(StandardCharsets.UTF_8),
                            Map.of(), null, 20_000);
                    pings.add(a.status() == 200 ? a.millis() : Long.MAX_VALUE);
                    Thread.sleep(500);
                }
                assertThat(pings).as("/ping on a new connection, ms, while 600 connections dribble headers")
                        .allSatisfy(ms -> assertThat(ms).isLessThan(2_000));
            } finally {
                stop.set(true);
                RawHttp.stopSenders(pool, open);
            }
        }
    }

    private static List<InetAddress> addresses() throws java.net.UnknownHostException {
        List<InetAddress> all = new ArrayList<>();
        for (int i = 0; i < ADDRESSES; i++) {
            all.add(InetAddress.getByName("127.0." + (2 + i / 250) + "." + (1 + i % 250)));
        }
        return all;
    }

    /**
     * {@value #SENDERS} senders, each keeping one made-up cost-10 token in flight from an address picked at random
     * among {@value #ADDRESSES} (each stays within its failed-verification budget: ~10 bcrypt runs a second in all).
     */
    private static final class Flood {
        final Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
        private final AtomicBoolean stop = new AtomicBoolean();
        private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
        private final ExecutorService pool;

        Flood(int port, List<InetAddress> from) {
            pool = Executors.newFixedThreadPool(SENDERS);
            {
                for (int i = 0; i < SENDERS; i++) {
                    pool.execute(() -> {
                        while (!stop.get() && !Thread.currentThread().isInterrupted()) {
                            InetAddress source = from.get(java.util.concurrent.ThreadLocalRandom.current()
                                    .nextInt(from.size()));
                            Socket[] mine = new Socket[1];
                            RawHttp.Answer a = RawHttp.sendFrom(source, port, "GET",
                                    "/v1/spot/main/instances".getBytes(StandardCharsets.UTF_8),
                                    Map.of("X-Auth-Token", StarvationLatencyTest.bogusToken(10)), null, 20_000,
                                    s -> sockets.add(mine[0] = s));
                            sockets.remove(mine[0]);
                            if (stop.get()) {
                                return;
                            }
                            answers.computeIfAbsent(a.status(), k -> new AtomicInteger()).incrementAndGet();
                        }
                    });
                }
            }
        }

        void awaitBusy() throws InterruptedException {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!answers.containsKey(503) && System.nanoTime() < until) {
                Thread.sleep(20);
            }
        }

        void stop() throws InterruptedException {
            stop.set(true);
            RawHttp.stopSenders(pool, sockets);
        }
    }
}
