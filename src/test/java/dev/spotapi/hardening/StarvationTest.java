package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.config.AuthSettings;
import dev.spotapi.config.HttpSettings;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 10, kind 4, the behaviour that keeps clients from starving CPU or threads: a per-client budget of
 * failed verifications (429 without hashing), a bounded verify queue (503 at once) and body reads under a
 * deadline and a minimum data rate (408). The latency target under all of it is {@link StarvationLatencyTest}, which
 * runs alone; these tests assert no latency tighter than a second and run with the other classes.
 */
@Order(10) // long: started first
class StarvationTest {
    /** Figures for the reader, in the test JVM's log (target/surefire-reports/test-jvm.log). */
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(StarvationTest.class);
    private static final int BOGUS_TOKENS = StarvationLatencyTest.BOGUS_TOKENS;

    @Test
    void aClientPastItsFailedVerificationsGets429WithoutHashing() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            assertThat(h.get("/main/instances").status()).as("a caller verified before the flood").isEqualTo(200);
            long perVerify = StarvationLatencyTest.cpuOfOneCost12Verification();
            long before = StarvationLatencyTest.bcryptCpuNanos();
            List<RawHttp.Answer> answers = StarvationLatencyTest.concurrently(BOGUS_TOKENS, () -> RawHttp.send(h.port(), "GET",
                    "/v1/spot/main/instances".getBytes(StandardCharsets.UTF_8),
                    Map.of("X-Auth-Token", StarvationLatencyTest.bogusToken(12)), null, 30_000));
            long spent = StarvationLatencyTest.bcryptCpuNanos() - before;
            long forbidden = answers.stream().filter(a -> a.status() == 403).count();
            List<RawHttp.Answer> throttled = answers.stream().filter(a -> a.status() == 429).toList();
            LOG.info(String.format("CPU per bogus cost-12 token: before (bcrypt on the request thread,"
                            + " every token) %.1f ms; after %.1f ms (%d tokens: %d verified and refused 403, %d refused"
                            + " 429 without hashing)", perVerify / 1e6, spent / 1e6 / BOGUS_TOKENS, BOGUS_TOKENS,
                    forbidden, throttled.size()));
            assertThat(answers).allSatisfy(a -> assertThat(a.status()).as("%s", a).isIn(403, 429, 503));
            // the budget of 10 per client and minute, then one run at a time with at most 8 waiting: these
            // came at once, so 9 more ran in turn and every later one was turned away
            assertThat(forbidden).as("bcrypt runs: the budget of 10, then 1 running + 8 waiting").isLessThanOrEqualTo(19);
            assertThat(throttled).hasSizeGreaterThanOrEqualTo(BOGUS_TOKENS - 19 - 16);
            assertThat(throttled).allSatisfy(a -> {
                assertThat(Integer.parseInt(a.header("Retry-After"))).isBetween(1, 60);
                assertThat(a.body()).contains("too many failed X-Auth-Token verifications");
            });
            // an already-verified caller from the same address is not affected by the budget
            assertThat(h.get("/main/instances").status()).isEqualTo(200);
        }
    }

    @Test
    void aFullVerifyQueueIsAnswered503WithRetryAfterAtOnce() throws Exception {
        try (Harness h = Harness.start(Harness.quick(), c -> c.withLimits(
                new AuthSettings(0, 1, 1, 1_000_000, 0), HttpSettings.DEFAULTS))) {
            List<RawHttp.Answer> answers = StarvationLatencyTest.concurrently(12, () -> RawHttp.send(h.port(), "GET",
                    "/v1/spot/main/instances".getBytes(StandardCharsets.UTF_8),
                    Map.of("X-Auth-Token", StarvationLatencyTest.bogusToken(12)), null, 30_000));
            List<RawHttp.Answer> busy = answers.stream().filter(a -> a.status() == 503).toList();
            assertThat(answers).allSatisfy(a -> assertThat(a.status()).as("%s", a).isIn(403, 503));
            assertThat(busy).as("one running + one queued; the rest turned away").hasSizeGreaterThanOrEqualTo(8);
            assertThat(busy).allSatisfy(a -> {
                assertThat(a.header("Retry-After")).isEqualTo("1");
                assertThat(a.millis()).as("turned away at once").isLessThan(1_000);
            });
        }
    }

    @Test
    void slowBodiesAre408AndHoldNoWorker() throws Exception {
        // 8 worker threads only, 40 slow senders: were a body read on a worker, /ping would starve
        try (Harness h = Harness.start(Harness.quick(), c -> c.withLimits(AuthSettings.DEFAULTS,
                new HttpSettings(8, 0, 3_000, 0, 0)))) {
            StarvationLatencyTest.SlowBodies slow = new StarvationLatencyTest.SlowBodies(h.port(), 40, TestService.TOKEN);
            slow.start();
            try {
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (slow.open() < 40 && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                for (int i = 0; i < 20; i++) {
                    RawHttp.Answer ping = StarvationLatencyTest.timedGet(h.port(), "/v1/spot/ping", null);
                    assertThat(ping.status()).isEqualTo(200);
                    assertThat(ping.millis()).as("ping while 40 bodies trickle in").isLessThan(1_000);
                }
                assertThat(h.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("ok"))).status())
                        .as("a normal body is still read").isEqualTo(200);
                until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (slow.answers().getOrDefault(408, new AtomicInteger()).get() < 40 && System.nanoTime() < until) {
                    Thread.sleep(50);
                }
                assertThat(slow.answers().get(408)).as("slow bodies refused with 408").isNotNull();
                assertThat(slow.answers().get(408).get()).isGreaterThanOrEqualTo(40);
                assertThat(slow.lastReply()).contains("\"status\":408").contains("bytes/s");
            } finally {
                slow.stop();
            }
            assertThat(h.storedAll(Harness.INSTANCES)).as("only the normal create reached Spot").hasSize(1);
        }
    }
}
