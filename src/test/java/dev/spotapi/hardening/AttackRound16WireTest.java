package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.SpotApi;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Attack round 16 (report-only helper), the wire: what reaches spot-api before authentication, and Spot misbehaving
 * on the wire. Spot is a {@link RawSpot} that proxies to the simulator except where a test makes it misbehave.
 */
class AttackRound16WireTest {
    static final SpotClientSettings SETTINGS = new SpotClientSettings(2_000, 1_500, 5_000, 3, 20, 200, 0, 100, 300);
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    @RegisterExtension
    static final SimulatorPerClass SIM = new SimulatorPerClass();

    /** Proxies every request; the first GET of a group ({@code /aws/ec2/group/sig-...}) {@code bad} answers. */
    static RawSpot.Script onceOnGroupRead(RawSpot.Script bad) {
        AtomicBoolean done = new AtomicBoolean();
        return (r, out, s) -> {
            if (r.is("GET") && r.path().matches(".*/aws/ec2/group/sig-[^/]+") && done.compareAndSet(false, true)) {
                return bad.answer(r, out, s);
            }
            return SIM.proxy().answer(r, out, s);
        };
    }

    static Reply call(SpotApi api, String method, String path, String body) {
        return ClientWireAttackTest.call(api, method, path, body);
    }

    static long retryAfterSeconds(Reply r) {
        List<String> v = r.headers().get("retry-after");
        return v == null || v.isEmpty() ? -1 : Long.parseLong(v.get(0).strip());
    }

    /** A service whose Spot is a {@link RawSpot} (proxying to the simulator), with one group made. */
    record Fixture(RawSpot raw, SpotApi api, String id) implements AutoCloseable {
        static Fixture start() throws Exception {
            RawSpot raw = new RawSpot(SIM.proxy());
            SpotApi api = SpotApi.start(TestService.config(raw.endpoint(), SETTINGS));
            Reply created = call(api, "POST", "/main/elastigroups",
                    Harness.groupBody(Harness.uniqueName("wire16")).toString());
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            raw.clear();
            return new Fixture(raw, api, created.json().path("id").asText());
        }

        Reply get() {
            return call(api, "GET", "/main/elastigroups/" + id, null);
        }

        @Override
        public void close() {
            TestService.closeAll(raw, api); // Spot's side first: no exchange left for the stop to wait for
        }
    }

    static String httpDate(ZonedDateTime t) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(t.withZoneSameInstant(ZoneOffset.UTC));
    }

    /**
     * Attack: one Spot reply (or a proxy in front of Spot) with a {@code Retry-After} in its HTTP-date form far in
     * the future: a 429 with a date one day, 100 years and 7,973 years ahead (year 9999), and a 200 with
     * {@code X-RateLimit-Remaining: 0} and such a date. Spot is healthy again right after that one reply.
     *
     * Also "retry now": a 429 once with {@code Retry-After: 0} or a date 5 s past, then Spot healthy.
     *
     * <p>Expected: the date form is bounded like the seconds form ({@code EnvelopeDecoder.retryAfter} caps seconds at
     * 3,600): the caller gets 429 (or the 200 of the read), never a 500, and the route is held at most an hour: the
     * next reads' {@code Retry-After} is at most 3,600 s. Anything longer holds the route (in Redis: for every replica,
     * across restarts) until a person notices. "Retry now" is retried like a 429 without the header: 200.
     */
    @Test
    void aRetryAfterDateFarInTheFutureHoldsARouteNoLongerThanTheSecondsFormAllows() throws Exception {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        Map<String, RawSpot.Script> cases = new LinkedHashMap<>();
        for (Map.Entry<String, ZonedDateTime> at : Map.of("+1 day", now.plusDays(1), "+100 years", now.plusYears(100),
                "year 9999", ZonedDateTime.of(9999, 12, 31, 23, 59, 59, 0, ZoneOffset.UTC)).entrySet()) {
            String date = httpDate(at.getValue());
            cases.put("429, Retry-After " + at.getKey() + " (" + date + ")", (r, out, s) -> {
                RawSpot.write(out, RawSpot.reply(429, "Too Many Requests",
                        "{\"response\":{\"errors\":[{\"code\":\"RATE_LIMIT\",\"message\":\"slow down\"}]}}",
                        "Retry-After: " + date));
                return true;
            });
            cases.put("200 + X-RateLimit-Remaining: 0, Retry-After " + at.getKey() + " (" + date + ")",
                    (r, out, s) -> {
                        String real = RawSpot.forward(SIM.baseUrl(), r);
                        int split = real.indexOf("\r\n");
                        RawSpot.write(out, real.substring(0, split + 2) + "X-RateLimit-Remaining: 0\r\nRetry-After: "
                                + date + "\r\n" + real.substring(split + 2));
                        return true;
                    });
        }
        SoftAssertions soft = new SoftAssertions();
        for (Map.Entry<String, RawSpot.Script> c : cases.entrySet()) {
            try (Fixture f = Fixture.start()) {
                f.raw.script(onceOnGroupRead(c.getValue()));
                Reply first = f.get();
                soft.assertThat(first.status()).as("%s: first read: %s", c.getKey(), first.body()).isIn(200, 429);
                Reply next = f.get();
                soft.assertThat(next.status()).as("%s: next read (Spot healthy): %s", c.getKey(), next.body())
                        .isIn(200, 429);
                if (next.status() == 429) {
                    soft.assertThat(retryAfterSeconds(next)).as("%s: next read's Retry-After (s)", c.getKey())
                            .isBetween(1L, 3_600L);
                }
                System.out.printf("[round16] %s: first %d %s RA=%d; next %d RA=%d%n", c.getKey(), first.status(),
                        first.body().length() > 200 ? first.body().substring(0, 200) : first.body(),
                        retryAfterSeconds(first), next.status(), retryAfterSeconds(next));
            }
        }
        // "retry now": Spot's 429 once with Retry-After 0, or a date just past; a 429 without the header is retried
        // after the route's hold and answered 200
        for (String value : List.of("0", httpDate(now.minusSeconds(5)), "(none)")) {
            try (Fixture f = Fixture.start()) {
                f.raw.script(onceOnGroupRead((r, out, s) -> {
                    RawSpot.write(out, RawSpot.reply(429, "Too Many Requests",
                            "{\"response\":{\"errors\":[{\"code\":\"RATE_LIMIT\",\"message\":\"slow down\"}]}}",
                            value.equals("(none)") ? "X-Note: none" : "Retry-After: " + value));
                    return true;
                }));
                Reply first = f.get();
                long gets = f.raw.count("GET");
                System.out.printf("[round16] 429 once, Retry-After %s: %d RA=%d, %d GETs reached Spot: %s%n", value,
                        first.status(), retryAfterSeconds(first), gets,
                        first.body().length() > 200 ? first.body().substring(0, 200) : first.body());
                soft.assertThat(first.status()).as("429 once with Retry-After %s, then Spot healthy: %s", value,
                        first.body()).isEqualTo(200);
            }
        }
        soft.assertAll();
    }

    /**
     * (held) Attack: Spot's 429 once, with odd {@code Retry-After} values in the seconds form: {@code -1},
     * {@code 1.5}, {@code 99999999999999999999} (beyond a long), {@code 86400}, {@code 2147483648}, empty, two
     * headers; then Spot healthy.
     *
     * <p>Expected: never a 5xx; the caller's {@code Retry-After} is between 1 s and an hour (the seconds cap), and the
     * route is held no longer than that.
     */
    @Test
    void heldOddRetryAfterSecondsAreBoundedAndNeverA5xx() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        for (String value : List.of("-1", "1.5", "99999999999999999999", "86400", "2147483648", "",
                "5\r\nRetry-After: 99999")) {
            try (Fixture f = Fixture.start()) { // a service of its own: a route held by one value never meets the next
                f.raw.script(onceOnGroupRead((r, out, s) -> {
                    RawSpot.write(out, RawSpot.reply(429, "Too Many Requests",
                            "{\"response\":{\"errors\":[{\"code\":\"RATE_LIMIT\",\"message\":\"slow down\"}]}}",
                            "Retry-After: " + value));
                    return true;
                }));
                f.raw.clear();
                Reply first = call(f.api, "GET", "/main/elastigroups/" + f.id, null);
                long gets = f.raw.count("GET");
                soft.assertThat(first.status()).as("Retry-After '%s': %s", value, first.body()).isIn(200, 429);
                if (first.status() == 429) {
                    soft.assertThat(retryAfterSeconds(first)).as("Retry-After '%s': the caller's", value)
                            .isBetween(1L, 3_600L);
                }
                System.out.printf("[round16] Retry-After '%s': %d RA=%d, %d GETs reached Spot: %s%n",
                        value.replace("\r\n", "\\r\\n"), first.status(), retryAfterSeconds(first), gets,
                        first.body().length() > 160 ? first.body().substring(0, 160) : first.body());
            }
        }
        soft.assertAll();
    }

    /** Proxies every request; a PUT or DELETE of a group goes to Spot and its real reply gets {@code extra} headers. */
    static RawSpot.Script writesWithHeaders(String extra) {
        return (r, out, s) -> {
            String real = RawSpot.forward(SIM.baseUrl(), r);
            if (r.is("PUT") || r.is("DELETE")) {
                int split = real.indexOf("\r\n");
                real = real.substring(0, split + 2) + extra + real.substring(split + 2);
            }
            RawSpot.write(out, real);
            return true;
        };
    }

    /**
     * (held) Attack: Spot applies a write and answers it 200 with its envelope, and with {@code X-RateLimit-Remaining: 0} and
     * a {@code Retry-After} date spot-api cannot hold (year 9999, 2400, 2330: beyond the ~292 years a
     * {@code Duration} holds in nanoseconds); a PUT (description) and a DELETE of a group.
     *
     * <p>Expected: the caller learns the change was applied: 200 (Spot's own answer), or at worst a 502 that says it
     * may have been applied; never "Spot is unreachable", which tells the caller nothing was sent, while the change is
     * in Spot.
     */
    @Test
    void heldAWriteSpotAppliedIsNeverAnsweredSpotIsUnreachableBecauseOfItsRetryAfterDate() throws Exception {
        SoftAssertions soft = new SoftAssertions();
        for (int year : new int[] {9999, 2400, 2330}) {
            String extra = "X-RateLimit-Remaining: 0\r\nRetry-After: "
                    + httpDate(ZonedDateTime.of(year, 6, 1, 12, 0, 0, 0, ZoneOffset.UTC)) + "\r\n";
            try (Fixture f = Fixture.start()) {
                f.raw.script(writesWithHeaders(extra));
                String description = "applied-" + year;
                Reply put = call(f.api, "PUT", "/main/elastigroups/" + f.id, "{\"description\":\"" + description + "\"}");
                Reply read = call(f.api, "GET", "/main/elastigroups/" + f.id, null);
                System.out.printf("[round16] PUT, Retry-After year %d: %d %s; read %d (description in read: %s)%n", year,
                        put.status(), put.body(), read.status(), read.body().contains(description));
                soft.assertThat(put.body()).as("PUT applied by Spot, Retry-After year %d: %d", year, put.status())
                        .doesNotContain("unreachable");
                soft.assertThat(put.status() == 200 || put.body().contains("may have been applied"))
                        .as("PUT applied by Spot (Retry-After year %d) answered 200 or 'may have been applied': %d %s",
                                year, put.status(), put.body()).isTrue();
                Reply delete = call(f.api, "DELETE", "/main/elastigroups/" + f.id, null);
                System.out.printf("[round16] DELETE, Retry-After year %d: %d %s%n", year, delete.status(), delete.body());
                soft.assertThat(delete.body()).as("DELETE applied by Spot, Retry-After year %d: %d", year,
                        delete.status()).doesNotContain("unreachable");
                soft.assertThat(delete.status() == 200 || delete.body().contains("may have been applied"))
                        .as("DELETE applied by Spot (Retry-After year %d) answered 200 or 'may have been applied': %d %s",
                                year, delete.status(), delete.body()).isTrue();
            }
        }
        soft.assertAll();
    }

    /** {@code n} groups of the main account made through spot-api (capacity 0), 8 at a time; their ids. */
    static List<String> groups(SpotApi api, int n) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<String>> made = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                made.add(pool.submit(() -> {
                    com.fasterxml.jackson.databind.node.ObjectNode body = Harness.groupBody(Harness.uniqueName("hung"));
                    body.putObject("capacity").put("minimum", 0).put("maximum", 0).put("target", 0).put("unit", "instance");
                    Reply r = call(api, "POST", "/main/elastigroups", body.toString());
                    assertThat(r.status()).as(r.body()).isEqualTo(200);
                    return r.json().path("id").asText();
                }));
            }
            List<String> ids = new java.util.ArrayList<>();
            for (java.util.concurrent.Future<String> f : made) {
                ids.add(f.get());
            }
            return ids;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Attack: Spot (or the network before it: a NAT or load balancer that drops a connection's state silently) never
     * answers writes that are in flight, and never closes their connections: 200 PUTs to 200 distinct groups of the
     * main account, a third each: no byte ever; an interim {@code 100 Continue}, then nothing; a 200's head and its
     * body one byte a second (each caller answered 504 at its attempt timeout, as documented). Then Spot is healthy again
     * for every new connection. The dropped connections stay open (nothing ever arrives on them, as with a silent
     * drop).
     *
     * <p>Expected: a write stuck on one object holds that object (the documented write fence) and nothing else: 5 s
     * after Spot is healthy, a PUT to another group of the same account is 200, and so is a read. Before: the hung
     * writes keep their route's places ({@code RouteShare}, 192 per route) with no time limit (a write's exchange has
     * no timeout and no idle timeout), so every later group write of the account waits its whole deadline and is
     * refused, for good (until a restart).
     */
    @Test
    void writesThatSpotNeverAnswersDoNotBlockWritesToOtherObjectsForGood() throws Exception {
        try (Fixture f = Fixture.start()) {
            List<String> ids = groups(f.api, 201);
            String fresh = ids.remove(ids.size() - 1);
            java.util.concurrent.atomic.AtomicInteger nth = new java.util.concurrent.atomic.AtomicInteger();
            f.raw.script((r, out, s) -> {
                if (!r.is("PUT")) {
                    return SIM.proxy().answer(r, out, s);
                }
                switch (nth.getAndIncrement() % 3) {
                    case 0 -> { // never a byte
                        return RawSpot.hold(s);
                    }
                    case 1 -> { // an interim 100, then nothing
                        RawSpot.write(out, "HTTP/1.1 100 Continue\r\n\r\n");
                        return RawSpot.hold(s);
                    }
                    default -> { // the reply's head, then its body one byte a second
                        RawSpot.write(out, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n");
                        while (true) {
                            RawSpot.write(out, " ");
                            Thread.sleep(1_000);
                        }
                    }
                }
            });
            List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> hung = new java.util.ArrayList<>();
            for (String id : ids) {
                hung.add(HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + f.api.port()
                                + "/v1/spot/main/elastigroups/" + id)).timeout(Duration.ofSeconds(30))
                        .header("X-Auth-Token", TestService.TOKEN).header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"description\":\"hung\"}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            long tHung = System.nanoTime();
            Map<Integer, Integer> statuses = new java.util.TreeMap<>();
            for (java.util.concurrent.CompletableFuture<HttpResponse<String>> h : hung) {
                statuses.merge(h.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode(), 1, Integer::sum);
            }
            long putsAtSpot = f.raw.count("PUT");
            System.out.printf("[round16] hung PUTs all answered in %d ms%n", (System.nanoTime() - tHung) / 1_000_000);
            f.raw.script(SIM.proxy()); // Spot healthy again for every new connection
            Thread.sleep(5_000);
            long t0 = System.nanoTime();
            Reply put = call(f.api, "PUT", "/main/elastigroups/" + fresh, "{\"description\":\"after\"}");
            long putMs = (System.nanoTime() - t0) / 1_000_000;
            t0 = System.nanoTime();
            Reply read = call(f.api, "GET", "/main/elastigroups/" + fresh, null);
            long readMs = (System.nanoTime() - t0) / 1_000_000;
            System.out.printf("[round16] %d hung PUTs answered %s (%d reached Spot); 5 s after Spot is healthy: PUT of"
                    + " another group %d in %d ms %s; GET %d in %d ms%n", ids.size(), statuses, putsAtSpot,
                    put.status(), putMs, put.body(), read.status(), readMs);
            SoftAssertions soft = new SoftAssertions();
            soft.assertThat(put.status()).as("PUT of another group 5 s after Spot is healthy (%d ms): %s", putMs,
                    put.body()).isEqualTo(200);
            soft.assertThat(read.status()).as("GET of that group: %s", read.body()).isEqualTo(200);
            soft.assertAll();
        }
    }

    /** spot-api in a JVM of its own with the launcher's flags (64 MiB heap, exit on OOM), its Spot {@code raw}. */
    record Child(Process process, int port, java.nio.file.Path log) implements AutoCloseable {
        static Child start(java.nio.file.Path dir, RawSpot raw) throws Exception {
            int port;
            try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
                port = s.getLocalPort();
            }
            java.nio.file.Path config = dir.resolve("config.json");
            java.nio.file.Files.writeString(config, """
                    {"listenAddress": "127.0.0.1:%d", "token": "%s", "logLevel": "info", "org": "testorg",
                     "shutdownDelayMs": 0,
                     "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token",
                                           "defaultVPC": "vpc-default0001", "endpoint": "%s"}}}"""
                    .formatted(port, TestService.KEY, TestService.MAIN_ID, raw.endpoint()));
            java.nio.file.Path log = dir.resolve("spot-api.log");
            List<String> command = new java.util.ArrayList<>();
            List<String> base = dev.spotapi.support.ChildJvm.command("64m");
            command.add(base.get(0));
            command.addAll(ServiceJvm.LAUNCHER_FLAGS);
            base.stream().skip(1).filter(a -> !a.startsWith("-Xmx") && !a.startsWith("-XX:TieredStopAtLevel")
                    && !a.equals("-XX:+UseSerialGC")).forEach(command::add);
            command.addAll(List.of("dev.spotapi.cli.Main", "-config", config.toString()));
            Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            Child c = new Child(process, port, log);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < deadline && process.isAlive()) {
                try {
                    if (c.call("GET", "/ping", null).status() == 200) {
                        return c;
                    }
                } catch (IllegalStateException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
            c.close();
            throw new AssertionError("spot-api did not start");
        }

        Reply call(String method, String path, String body) {
            return ClientWireAttackTest.call(port, method, path, body);
        }

        long logBytes() {
            try {
                return java.nio.file.Files.size(log);
            } catch (java.io.IOException e) {
                return -1;
            }
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }

    static String big(int n, char c) {
        return String.valueOf(c).repeat(n);
    }

    /**
     * Attack: Spot replies under spot-api's 32 MiB reply limit ({@code BoundedBody.MAX_REPLY_BYTES}), to a read of a
     * group, against the service in a JVM with the launcher's and the image's flags (64 MiB heap, exit on
     * OutOfMemoryError): a 400 whose {@code errors[0].message} is 4 MB, then 12 MB; a 200 with the group and a 12 MB
     * {@code description}; the group's own 200 reply after 24 MB of JSON whitespace. A new process after one ends.
     *
     * <p>Expected: the service stays up (the process alive, {@code /ping} 200 after each): what spot-api accepts
     * from Spot must fit its heap. A Spot error message is passed on and logged clipped (the caller's body and the log
     * grow by at most 64 KiB for one failed read), as spot-api clips every other text it echoes.
     */
    @Test
    void largeSpotRepliesUnderTheReplyLimitNeitherEndTheProcessNorFloodTheLogAndTheCaller(
            @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        int n = 12_000_000;
        Map<String, java.util.function.UnaryOperator<String>> bodies = new LinkedHashMap<>();
        bodies.put("400, errors[0].message of 4 MB", real -> "{\"request\":{\"id\":\"r0\"},\"response\":{\"status\":"
                + "{\"code\":400,\"message\":\"Bad Request\"},\"errors\":[{\"code\":\"GENERAL_ERROR\",\"message\":\""
                + big(4_000_000, 'm') + "\"}]}}");
        bodies.put("400, errors[0].message of 12 MB", real -> "{\"request\":{\"id\":\"r1\"},\"response\":{\"status\":"
                + "{\"code\":400,\"message\":\"Bad Request\"},\"errors\":[{\"code\":\"GENERAL_ERROR\",\"message\":\""
                + big(n, 'm') + "\"}]}}");
        bodies.put("200, the group with a 12 MB description", real -> real.replaceFirst("\"name\":",
                java.util.regex.Matcher.quoteReplacement("\"description\":\"" + big(n, 'd') + "\",\"name\":")));
        bodies.put("200, the group's own reply after 24 MB of JSON whitespace", real -> big(24_000_000, ' ') + real);
        SoftAssertions soft = new SoftAssertions();
        int k = 0;
        RawSpot raw = null;
        Child c = null;
        String id = null;
        try {
        for (Map.Entry<String, java.util.function.UnaryOperator<String>> b : bodies.entrySet()) {
            if (c == null || !c.process.isAlive()) { // one child while it lives: a new one after it ended
                TestService.closeAll(c, raw);
                raw = new RawSpot(SIM.proxy());
                c = Child.start(java.nio.file.Files.createDirectory(dir.resolve("child" + k++)), raw);
                Reply created = c.call("POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("big")).toString());
                assertThat(created.status()).as(created.body()).isEqualTo(200);
                id = created.json().path("id").asText();
            }
            {
                String gid = id;
                String real = RawSpot.forward(SIM.baseUrl(), new RawSpot.Request("GET", "/aws/ec2/group/" + gid,
                        "/aws/ec2/group/" + gid + "?accountId=" + TestService.MAIN_ID,
                        List.of("Authorization: Bearer main-spot-token"), new byte[0], 0));
                int status = b.getKey().startsWith("200") ? 200 : 400;
                byte[] bytes = b.getValue().apply(real.substring(real.indexOf("\r\n\r\n") + 4))
                        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
                raw.script((r, out, s) -> {
                    if (r.is("GET") && r.path().endsWith("/" + gid)) {
                        RawSpot.writeJson(out, status, bytes);
                        return true;
                    }
                    return SIM.proxy().answer(r, out, s);
                });
                Thread.sleep(500);
                long logBefore = c.logBytes();
                long t0 = System.nanoTime();
                Reply read;
                try {
                    read = c.call("GET", "/main/elastigroups/" + gid, null);
                } catch (IllegalStateException e) {
                    read = new Reply(-1, String.valueOf(e.getCause()), Map.of());
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                Thread.sleep(1_000); // the child's log buffer is flushed every 200 ms
                boolean alive = c.process.isAlive();
                int ping = -1;
                if (alive) {
                    try {
                        ping = c.call("GET", "/ping", null).status();
                    } catch (IllegalStateException e) {
                        ping = -2;
                    }
                }
                long logGrew = c.logBytes() - logBefore;
                String lastLine = tail(c.log).strip();
                lastLine = lastLine.substring(Math.max(0, lastLine.lastIndexOf('\n') + 1));
                System.out.printf("[round16] %s (%d bytes): caller %d in %d ms, body %d chars; log +%d bytes; alive %s,"
                        + " ping %d; last log line: %s%n", b.getKey(), bytes.length, read.status(), ms,
                        read.body().length(), logGrew, alive, ping, lastLine.length() > 200 ? lastLine.substring(0, 200) : lastLine);
                soft.assertThat(alive).as("%s: the process is alive (last log line: %s)", b.getKey(), lastLine).isTrue();
                soft.assertThat(ping).as("%s: /ping after it", b.getKey()).isEqualTo(200);
                if (status == 400 && alive) {
                    soft.assertThat(read.body().length()).as("%s: the caller's error body (status %d)", b.getKey(),
                            read.status()).isLessThan(64 * 1024);
                    soft.assertThat(logGrew).as("%s: bytes the one failed read added to the log", b.getKey())
                            .isLessThan(64 * 1024);
                }
            }
        }
        } finally {
            TestService.closeAll(c, raw);
        }
        soft.assertAll();
    }

    static String tail(java.nio.file.Path log) {
        try {
            String all = java.nio.file.Files.readString(log, java.nio.charset.StandardCharsets.ISO_8859_1);
            return all.substring(Math.max(0, all.length() - 1500));
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /**
     * (held) Attack: token-less requests whose unread body is itself a request (smuggling through an answer given
     * before the body is read): a CORS preflight {@code OPTIONS} with a Content-Length body, the same chunked, and with
     * {@code Expect: 100-continue}; a token-less {@code POST} with such a body. The inner request is
     * {@code GET /v1/spot/ping}; the connection is then read for 1.5 s.
     *
     * <p>Expected: exactly one answer per request the client sent (the body is never taken for a request); the
     * service answers {@code /ping} afterwards.
     */
    @Test
    void heldAnUnreadBodyIsNeverTakenForTheNextRequest() throws Exception {
        try (Fixture f = Fixture.start()) {
            String inner = "GET /v1/spot/ping HTTP/1.1\r\nHost: x\r\n\r\n";
            String chunked = Integer.toHexString(inner.length()) + "\r\n" + inner + "\r\n0\r\n\r\n";
            Map<String, String> cases = new LinkedHashMap<>();
            cases.put("OPTIONS, Content-Length", "OPTIONS /v1/spot/main/instances HTTP/1.1\r\nHost: x\r\nOrigin: http://a\r\n"
                    + "Access-Control-Request-Method: POST\r\nContent-Length: " + inner.length() + "\r\n\r\n" + inner);
            cases.put("OPTIONS, chunked", "OPTIONS /v1/spot/main/instances HTTP/1.1\r\nHost: x\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + chunked);
            cases.put("OPTIONS, Expect: 100-continue", "OPTIONS /v1/spot/ping HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                    + "Content-Length: " + inner.length() + "\r\n\r\n" + inner);
            cases.put("POST without a token, Content-Length", "POST /v1/spot/main/instances HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + inner.length() + "\r\n\r\n" + inner);
            cases.put("POST without a token, chunked", "POST /v1/spot/main/instances HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked);
            SoftAssertions soft = new SoftAssertions();
            for (Map.Entry<String, String> c : cases.entrySet()) {
                String got;
                try (java.net.Socket sock = new java.net.Socket("127.0.0.1", f.api.port())) {
                    sock.setSoTimeout(1_500);
                    sock.getOutputStream().write(c.getValue().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
                    sock.getOutputStream().flush();
                    java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
                    byte[] buf = new byte[8192];
                    try {
                        for (int n; (n = sock.getInputStream().read(buf)) > 0; ) {
                            all.write(buf, 0, n);
                        }
                    } catch (java.net.SocketTimeoutException | java.net.SocketException end) {
                        // read what came
                    }
                    got = all.toString(java.nio.charset.StandardCharsets.ISO_8859_1);
                }
                int finals = 0;
                for (java.util.regex.Matcher m = java.util.regex.Pattern.compile("HTTP/1\\.1 ([0-9]{3})").matcher(got); m.find(); ) {
                    if (!m.group(1).startsWith("1")) {
                        finals++;
                    }
                }
                String statusLines = got.lines().filter(l -> l.startsWith("HTTP/")).toList().toString();
                System.out.printf("[round16] %s: %s%n", c.getKey(), statusLines);
                soft.assertThat(finals).as("%s: final answers on the connection %s", c.getKey(), statusLines).isEqualTo(1);
            }
            soft.assertThat(call(f.api, "GET", "/ping", null).status()).as("/ping afterwards").isEqualTo(200);
            soft.assertAll();
        }
    }
}
