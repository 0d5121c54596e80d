package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.SpotApi;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * spot-api's HTTP client (Jetty's, spot.SpotHttp) against a Spot that misbehaves at the TCP/HTTP level: a raw
 * loopback socket ({@link RawSpot}) that proxies to the simulator except where a test makes it misbehave.
 */
class ClientWireAttackTest {
    static final SpotClientSettings SETTINGS = new SpotClientSettings(2_000, 1_500, 5_000, 3, 20, 200, 0, 100, 300);
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @RegisterExtension
    static final SimulatorPerClass SIM = new SimulatorPerClass();

    /** Proxies every request but those of {@code method}, which {@code bad} answers (all of them, or only the first). */
    static RawSpot.Script misbehave(String method, boolean once, RawSpot.Script bad) {
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        return (r, out, s) -> {
            if (r.is(method) && (!once || done.compareAndSet(false, true))) {
                return bad.answer(r, out, s);
            }
            return SIM.proxy().answer(r, out, s);
        };
    }

    static Reply call(SpotApi api, String method, String path, String body) {
        return call(api.port(), method, path, body);
    }

    /** One call with the valid token to the spot-api listening on {@code port} (30 s timeout). */
    static Reply call(int port, String method, String path, String body) {
        try {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/spot" + path))
                    .timeout(Duration.ofSeconds(30)).header("X-Auth-Token", TestService.TOKEN)
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().map());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String groupBody() {
        return Harness.groupBody(Harness.uniqueName("wire")).toString();
    }

    static Map<String, RawSpot.Script> faults() {
        Map<String, RawSpot.Script> f = new LinkedHashMap<>(droppedOrBroken());
        f.put("401-challenge", (r, out, s) -> { RawSpot.write(out, RawSpot.reply(401, "Unauthorized", "{\"response\":{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad token\"}]}}", "WWW-Authenticate: Bearer realm=\"spot\"")); return true; });
        f.put("100-then-real", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 100 Continue\r\n\r\n"); return SIM.proxy().answer(r, out, s); });
        f.put("102-then-real", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 102 Processing\r\n\r\n"); return SIM.proxy().answer(r, out, s); });
        f.put("103-then-real", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 103 Early Hints\r\nLink: </x>; rel=preload\r\n\r\n"); return SIM.proxy().answer(r, out, s); });
        f.put("gzip", (r, out, s) -> {
            String real = RawSpot.forward(SIM.baseUrl(), r);
            int split = real.indexOf("\r\n\r\n");
            byte[] body = real.substring(split + 4).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
            java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
            try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(z)) { g.write(body); }
            out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: " + z.size() + "\r\n\r\n").getBytes());
            out.write(z.toByteArray());
            return true;
        });
        return f;
    }

    /** A service whose Spot is a {@link RawSpot} (proxying to the simulator for now), with one group made. */
    record Fixture(RawSpot raw, SpotApi api, String id) implements AutoCloseable {
        static Fixture start() throws Exception {
            RawSpot raw = new RawSpot(SIM.proxy());
            SpotApi api = SpotApi.start(TestService.config(raw.endpoint(), SETTINGS));
            Reply created = call(api, "POST", "/main/elastigroups", groupBody());
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            raw.clear();
            return new Fixture(raw, api, created.json().path("id").asText());
        }

        Reply get() {
            return call(api, "GET", "/main/elastigroups/" + id, null);
        }

        Reply put(String description) {
            return call(api, "PUT", "/main/elastigroups/" + id, "{\"description\":\"" + description + "\"}");
        }

        Reply delete() {
            return call(api, "DELETE", "/main/elastigroups/" + id, null);
        }

        Reply write(String method) {
            return "PUT".equals(method) ? put("w") : delete();
        }

        long spotCount(String method) {
            return raw.requests().stream().filter(r -> r.is(method) && r.path().endsWith("/" + id)).count();
        }

        /** /ready answers 200 and a read of the group goes through again. */
        void assertHealthy() {
            raw.script(SIM.proxy());
            assertThat(call(api, "GET", "/ready", null).status()).isEqualTo(200);
            Reply r = get();
            assertThat(r.status()).as(r.body()).isIn(200, 404);
        }

        @Override
        public void close() {
            TestService.closeAll(api, raw);
        }
    }

    static final String[] INTERIM = {
        "HTTP/1.1 100 Continue\r\n\r\n",
        "HTTP/1.1 102 Processing\r\n\r\n",
        "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n",
    };

    static RawSpot.Script interimThenReal(String interim) {
        return (r, out, s) -> {
            RawSpot.write(out, interim);
            return SIM.proxy().answer(r, out, s);
        };
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 2})
    void aReadAnsweredAfterAnInterim1xxGetsTheRealReply(int which) throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("GET", false, interimThenReal(INTERIM[which])));

            long start = System.nanoTime();
            Reply r = f.get();
            long millis = Harness.millisSince(start);

            assertThat(r.status()).as("%s -> %s", INTERIM[which].strip(), r.body()).isEqualTo(200);
            assertThat(r.json().path("id").asText()).isEqualTo(f.id);
            assertThat(millis).as("answered when Spot answered, not at the deadline").isLessThan(SETTINGS.attemptTimeoutMs());
            assertThat(f.spotCount("GET")).isEqualTo(1);
            f.assertHealthy();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 1, 2})
    void aWriteAnsweredAfterAnInterim1xxIsAnsweredAndFreesItsObject(int which) throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("PUT", true, interimThenReal(INTERIM[which])));

            Reply first = f.put("first");
            Reply second = f.put("second");

            // Spot applied the first and said so; its answer frees the object's fence for the second
            assertThat(first.status() + " " + second.status() + " " + f.spotCount("PUT") + " PUTs")
                    .as("first: %s%nsecond: %s", first.body(), second.body()).isEqualTo("200 200 2 PUTs");
        }
    }

    @Test
    void readsAnsweredAfterAnInterim1xxLeaveNoConnectionOpen() throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("GET", false, interimThenReal(INTERIM[1])));
            SpotClientSettings s = SETTINGS;
            java.util.List<java.util.concurrent.CompletableFuture<Reply>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                calls.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> call(f.api, "GET",
                        "/main/elastigroups/" + f.id + "?n=" + calls.size(), null)));
                Thread.sleep(50);
            }
            calls.forEach(java.util.concurrent.CompletableFuture::join);
            f.raw.script(SIM.proxy());

            // every exchange ended (answered or abandoned): what is left open to Spot is at most the idle pools, one
            // connection for reads and one for changes (the fixture's create: SpotHttp.CHANGES)
            long open = Long.MAX_VALUE;
            for (int i = 0; i < 40 && open > 2; i++) {
                Thread.sleep(100);
                open = Sockets.establishedTo(f.raw.port());
            }
            assertThat(open).as("connections still open to Spot after %d finished reads (%d connections made)",
                    calls.size(), f.raw.connections()).isLessThanOrEqualTo(2);
        }
    }

    /** What every fault below does to the exchange. */
    static Map<String, RawSpot.Script> droppedOrBroken() {
        Map<String, RawSpot.Script> f = new LinkedHashMap<>();
        f.put("close-no-reply", (r, out, s) -> false);
        f.put("close-mid-headers", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 200 OK\r\nContent-Ty"); return false; });
        f.put("close-mid-body-cl", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"request\":"); return false; });
        f.put("close-mid-body-chunked", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{\"request\":"); return false; });
        f.put("malformed-status", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}"); return false; });
        f.put("malformed-header", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 200 OK\r\nThis is not a header\r\nContent-Length: 2\r\n\r\n{}"); return false; });
        f.put("cl-and-te", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"); return true; });
        f.put("body-longer-than-cl", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 503 X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}garbage-after-the-body"); return true; });
        f.put("204-with-body", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 204 No Content\r\nContent-Length: 2\r\n\r\n{}"); return true; });
        f.put("304-with-body", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 304 Not Modified\r\nContent-Length: 2\r\n\r\n{}"); return true; });
        f.put("redirect", (r, out, s) -> { RawSpot.write(out, "HTTP/1.1 302 Found\r\nLocation: " + r.target() + "\r\nContent-Length: 0\r\n\r\n"); return true; });
        return f;
    }

    /** A read through spot-api while Spot answers it with {@code fault} (only the first time when {@code once}). */
    private static Reply readWith(Fixture f, String fault, boolean once) throws Exception {
        f.raw.script(misbehave("GET", once, droppedOrBroken().get(fault)));
        return f.get();
    }

    static java.util.stream.Stream<String> faultNames() {
        return droppedOrBroken().keySet().stream();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("faultNames")
    void aBrokenReplyToAReadIsRetriedWithinMaxAttemptsThen502(String fault) throws Exception {
        try (Fixture f = Fixture.start()) {
            Reply r = readWith(f, fault, false);

            String message = Harness.assertJsonError(r, 502);
            assertThat(message).startsWith("failed to get elastigroup");
            assertThat(f.spotCount("GET")).as("at most spot.maxAttempts requests").isBetween(1L, (long) SETTINGS.maxAttempts());
            f.assertHealthy();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.MethodSource("faultNames")
    void aBrokenReplyToAReadOnceIsRetriedTo200(String fault) throws Exception {
        try (Fixture f = Fixture.start()) {
            Reply r = readWith(f, fault, true);

            // a redirect, 204 or 304 is an answer (not retried): 502; a dropped or unparseable reply is retried
            if (fault.equals("redirect") || fault.startsWith("204") || fault.startsWith("304")) {
                Harness.assertJsonError(r, 502);
                assertThat(f.spotCount("GET")).as("a redirect is never followed").isEqualTo(1);
            } else {
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                assertThat(f.spotCount("GET")).isEqualTo(2);
            }
            f.assertHealthy();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.MethodSource("writeFaults")
    void aBrokenReplyToAWriteIsNeverResentAndSaysItMayHaveBeenApplied(String method, String fault) throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave(method, false, droppedOrBroken().get(fault)));

            Reply r = f.write(method);

            String message = Harness.assertJsonError(r, 502);
            assertThat(message).contains("may have been applied in Spot");
            assertThat(f.spotCount(method)).as("a write reaches Spot once").isEqualTo(1);
            f.assertHealthy();
            Reply next = f.put("next");
            assertThat(next.status()).as("the exchange ended, so the object's write fence is free: %s", next.body())
                    .isEqualTo(200);
        }
    }

    static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> writeFaults() {
        return java.util.stream.Stream.of("PUT", "DELETE").flatMap(m -> faultNames()
                .filter(n -> !n.equals("redirect") && !n.startsWith("204") && !n.startsWith("304"))
                .map(n -> org.junit.jupiter.params.provider.Arguments.of(m, n)));
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"GET", "PUT", "DELETE"})
    void aRedirectIsNeverFollowed(String method) throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave(method, false, droppedOrBroken().get("redirect")));

            Reply r = "GET".equals(method) ? f.get() : f.write(method);

            assertThat(Harness.assertJsonError(r, 502)).contains("HTTP 302");
            assertThat(f.spotCount(method)).as("neither followed nor resent").isEqualTo(1);
            f.assertHealthy();
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} {1}")
    @org.junit.jupiter.params.provider.CsvSource({"PUT,201", "PUT,202", "PUT,204", "DELETE,202", "DELETE,204"})
    void aSuccessStatusOtherThan200ToAWriteSaysItMayHaveBeenApplied(String method, int status) throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave(method, false, (r, out, s) -> {
                RawSpot.write(out, "HTTP/1.1 " + status + " X\r\nContent-Length: 0\r\n\r\n");
                return true;
            }));

            Reply r = f.write(method);

            // Spot said the change succeeded (only not in its usual shape): the caller must not read it as not applied
            assertThat(Harness.assertJsonError(r, 502)).contains("may have been applied in Spot");
            assertThat(f.spotCount(method)).isEqualTo(1);
        }
    }

    @Test
    void aWriteStuckAfterAnInterim1xxFreesItsObjectWhenSpotClosesTheConnection() throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("PUT", true, interimThenReal(INTERIM[1])));
            Reply first = f.put("first");

            f.raw.closeConnections(); // Spot ends every connection: every exchange has ended now
            Reply second = null;
            for (int i = 0; i < 2 && (second == null || second.status() == 409); i++) { // a 409 takes the 5 s deadline
                Thread.sleep(200);
                second = f.put("second");
            }

            assertThat(first.status() + " " + second.status()).as("first: %s%nsecond: %s", first.body(), second.body())
                    .endsWith(" 200");
        }
    }

    // ---- kept-alive connections that Spot closes --------------------------------------------------

    @org.junit.jupiter.params.ParameterizedTest(name = "close after {0} ms")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 300})
    void aConnectionSpotClosesAfterItsReplyNeverMakesAWriteReachSpotTwice(int closeAfterMs) throws Exception {
        try (Fixture f = Fixture.start()) {
            // every reply is kept-alive as far as its headers say, then Spot closes the connection
            f.raw.script((r, out, sock) -> {
                RawSpot.write(out, RawSpot.forward(SIM.baseUrl(), r));
                if (closeAfterMs == 0) {
                    return false;
                }
                Thread closer = new Thread(() -> {
                    try {
                        Thread.sleep(closeAfterMs);
                        sock.close();
                    } catch (Exception ignored) {
                        // closed
                    }
                });
                closer.setDaemon(true);
                closer.start();
                return true;
            });
            java.util.List<Integer> statuses = new java.util.ArrayList<>();
            java.util.Set<String> failures = new java.util.LinkedHashSet<>();
            int writes = 12;
            for (int i = 0; i < writes; i++) {
                Reply w = f.put("d" + i);
                Reply g = f.get();
                statuses.add(w.status());
                statuses.add(g.status());
                for (Reply x : java.util.List.of(w, g)) {
                    if (x.status() != 200) {
                        failures.add(x.body().replaceAll("\"requestId\":\"[^\"]*\"", ""));
                    }
                }
                if (closeAfterMs > 0) {
                    Thread.sleep(closeAfterMs + 100);
                }
            }

            assertThat(f.spotCount("PUT")).as("each write reaches Spot at most once").isLessThanOrEqualTo(writes);
            // a close that crosses the next request on the wire can always fail a write (the JDK client lost one of
            // twelve now and then); a client that hands the closed connection to the very next request loses them all
            assertThat(f.spotCount("PUT")).as("writes that reached Spot; the others: %s", failures)
                    .isGreaterThanOrEqualTo(writes - 2L);
            assertThat(statuses.stream().filter(x -> x == 200).count()).as("%s", failures)
                    .isGreaterThanOrEqualTo(2L * writes - 2);
        }
    }

    // ---- a Spot that never answers, or answers slowly ------------------------------------------------

    @Test
    void aReadToASpotThatNeverAnswersEndsAtItsDeadlineAfterAtMostMaxAttempts() throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("GET", false, (r, out, s) -> RawSpot.hold(s)));

            long start = System.nanoTime();
            Reply r = f.get();
            long millis = Harness.millisSince(start);

            assertThat(Harness.assertJsonError(r, 504)).contains("no answer from Spot");
            assertThat(millis).as("at the 5 s deadline").isBetween(SETTINGS.attemptTimeoutMs() * 2L, SETTINGS.deadlineMs() + 1_500L);
            assertThat(f.spotCount("GET")).as("timed-out attempts retried, at most maxAttempts").isBetween(2L, 3L);
            f.raw.script(SIM.proxy());
            long open = Long.MAX_VALUE;
            for (int i = 0; i < 30 && open > 1; i++) {
                Thread.sleep(100);
                open = Sockets.establishedTo(f.raw.port());
            }
            assertThat(open).as("timed-out reads' connections are closed").isLessThanOrEqualTo(1);
            f.assertHealthy();
        }
    }

    @Test
    void aWriteToASpotThatNeverAnswersIs504AtItsAttemptTimeoutAndHoldsItsObjectUntilSpotCloses() throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("PUT", false, (r, out, s) -> RawSpot.hold(s)));

            long start = System.nanoTime();
            Reply first = f.put("first");
            long millis = Harness.millisSince(start);
            f.raw.script(SIM.proxy());
            Reply blocked = f.put("blocked");
            f.raw.closeConnections();
            Reply after = null;
            for (int i = 0; i < 20 && (after == null || after.status() != 200); i++) {
                Thread.sleep(100);
                after = f.put("after");
            }

            assertThat(Harness.assertJsonError(first, 504)).contains("may have been applied in Spot");
            assertThat(millis).isBetween(SETTINGS.attemptTimeoutMs() - 100L, SETTINGS.attemptTimeoutMs() + 1_500L);
            assertThat(blocked.status()).as("the next write waits for Spot's answer to the first: %s", blocked.body())
                    .isEqualTo(409);
            assertThat(after.status()).as("once Spot closed the first's connection: %s", after.body()).isEqualTo(200);
            assertThat(f.spotCount("PUT")).as("first and after; never the blocked one, never a resend").isEqualTo(2);
        }
    }

    @Test
    void aReplyTrickledSlowerThanTheAttemptTimeoutEndsTheReadAtItsDeadline() throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("GET", false, (r, out, s) -> {
                String real = RawSpot.forward(SIM.baseUrl(), r);
                for (int i = 0; i < real.length(); i++) {
                    RawSpot.write(out, real.substring(i, i + 1));
                    Thread.sleep(50);
                }
                return true;
            }));

            long start = System.nanoTime();
            Reply r = f.get();
            long millis = Harness.millisSince(start);

            assertThat(Harness.assertJsonError(r, 504)).contains("no answer from Spot");
            assertThat(millis).isLessThan(SETTINGS.deadlineMs() + 1_500L);
            assertThat(f.spotCount("GET")).isBetween(2L, 3L);
            f.assertHealthy();
        }
    }

    // ---- headers --------------------------------------------------------------------------------------

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"GET", "PUT"})
    void aReplyHeadLargerThan64KiBFailsTheCallAndLeavesTheServiceHealthy(String method) throws Exception {
        try (Fixture f = Fixture.start()) {
            String big = "X-Big: " + "a".repeat(100 * 1024);
            f.raw.script(misbehave(method, false, (r, out, s) -> {
                RawSpot.write(out, RawSpot.ok("{}", big));
                return true;
            }));

            Reply r = "GET".equals(method) ? f.get() : f.put("big");

            Harness.assertJsonError(r, 502);
            if ("GET".equals(method)) {
                assertThat(f.spotCount("GET")).isBetween(1L, 3L);
            } else {
                assertThat(Harness.assertJsonError(r, 502)).contains("may have been applied in Spot");
                assertThat(f.spotCount("PUT")).isEqualTo(1);
            }
            f.assertHealthy();
            assertThat(f.put("next").status()).as("the object's write fence is free").isEqualTo(200);
        }
    }

    @Test
    void cookiesSpotSetsAreNeverSentBack() throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script((r, out, s) -> {
                String real = RawSpot.forward(SIM.baseUrl(), r);
                StringBuilder cookies = new StringBuilder();
                for (int i = 0; i < 50; i++) {
                    cookies.append("Set-Cookie: c").append(i).append("=v").append(i).append("; Path=/\r\n");
                }
                int at = real.indexOf("\r\n") + 2;
                RawSpot.write(out, real.substring(0, at) + cookies + real.substring(at));
                return true;
            });

            for (int i = 0; i < 3; i++) {
                assertThat(f.get().status()).isEqualTo(200);
                assertThat(f.put("c" + i).status()).isEqualTo(200);
            }

            assertThat(f.raw.requests()).allSatisfy(req -> assertThat(req.headerLines())
                    .noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("cookie:")));
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"GET", "PUT"})
    void a401WithAChallengeIsHandedOnNotAnswered(String method) throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave(method, false, (r, out, s) -> {
                RawSpot.write(out, RawSpot.reply(401, "Unauthorized",
                        "{\"request\":{\"id\":\"r-401\"},\"response\":{\"status\":{\"code\":401},\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"bad token\"}]}}",
                        "WWW-Authenticate: Bearer realm=\"spot\", error=\"invalid_token\""));
                return true;
            }));

            Reply r = "GET".equals(method) ? f.get() : f.put("x");

            assertThat(Harness.assertJsonError(r, 502)).contains("Spot rejected the credentials");
            assertThat(f.spotCount(method)).as("no second request to answer the challenge").isEqualTo(1);
            f.assertHealthy();
        }
    }

    @Test
    void aGzippedReplyIsNotMisreadAsAnotherAnswer() throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script(misbehave("GET", false, (r, out, s) -> {
                String real = RawSpot.forward(SIM.baseUrl(), r);
                byte[] body = real.substring(real.indexOf("\r\n\r\n") + 4).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
                java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
                try (java.util.zip.GZIPOutputStream g = new java.util.zip.GZIPOutputStream(z)) {
                    g.write(body);
                }
                RawSpot.write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: "
                        + z.size() + "\r\n\r\n");
                out.write(z.toByteArray());
                return true;
            }));

            Reply r = f.get();

            assertThat(Harness.assertJsonError(r, 502)).contains("not a Spot envelope");
            assertThat(f.raw.requests()).allSatisfy(req -> assertThat(req.headerLines())
                    .noneMatch(h -> h.toLowerCase(java.util.Locale.ROOT).startsWith("accept-encoding:")));
            f.assertHealthy();
        }
    }

    @Test
    void bytesAfterAGoodReplyAreNeverTakenAsTheAnswerToTheNextCall() throws Exception {
        try (Fixture f = Fixture.start()) {
            // every GET's good reply is followed by a whole forged reply on the same connection
            String forged = RawSpot.reply(500, "Forged", "{\"request\":{\"id\":\"forged\"},\"response\":{\"status\":{\"code\":500},"
                    + "\"errors\":[{\"code\":\"FORGED\",\"message\":\"FORGED-REPLY\"}]}}");
            f.raw.script((r, out, s) -> {
                String real = RawSpot.forward(SIM.baseUrl(), r);
                RawSpot.write(out, r.is("GET") ? real + forged : real);
                return true;
            });

            java.util.List<String> answers = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Reply w = f.put("next-" + i);
                Reply g = f.get();
                answers.add(w.status() + (w.body().contains("FORGED") ? " forged" : ""));
                answers.add(g.status() + (g.body().contains("FORGED") ? " forged" : ""));
            }

            assertThat(answers).as("PUTs reached Spot %d times", f.spotCount("PUT")).allMatch(a -> !a.contains("forged"));
            assertThat(answers).as("the connection with stray bytes is dropped, the next call goes through")
                    .containsOnly("200");
            assertThat(f.spotCount("PUT")).as("each write once").isLessThanOrEqualTo(5);
        }
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"Connection: close", "HTTP/1.0 without length"})
    void repliesThatEndTheirConnectionAreReadWholeAndTheConnectionIsNotReused(String shape) throws Exception {
        try (Fixture f = Fixture.start()) {
            f.raw.script((r, out, s) -> {
                String real = RawSpot.forward(SIM.baseUrl(), r);
                if (shape.startsWith("Connection")) {
                    RawSpot.write(out, real.replaceFirst("\r\n", "\r\nConnection: close\r\n"));
                } else {
                    String body = real.substring(real.indexOf("\r\n\r\n") + 4);
                    String status = real.substring("HTTP/1.1 ".length(), real.indexOf(' ', "HTTP/1.1 ".length()));
                    RawSpot.write(out, "HTTP/1.0 " + status + " X\r\nContent-Type: application/json\r\n\r\n" + body);
                }
                return false;
            });

            java.util.List<Integer> statuses = new java.util.ArrayList<>();
            for (int i = 0; i < 5; i++) {
                statuses.add(f.put("c" + i).status());
                statuses.add(f.get().status());
            }

            assertThat(statuses).containsOnly(200);
            assertThat(f.spotCount("PUT")).isEqualTo(5);
            assertThat(f.spotCount("GET")).as("no read needed a retry").isEqualTo(5 + 5); // each PUT reads first
        }
    }
}
