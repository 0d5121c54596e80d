package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * Attack round 7 on spot-api's own HTTP layer (api.http: ApiHandler's answer writer and its gzip, Router,
 * Endpoint, WorkerDispatch, HeadAsGet, BodyGate) from outside, over raw loopback sockets: every answer is parsed
 * byte by byte here (status line, headers, Content-Length or chunked body), so that a wrong framing, a body
 * where HTTP allows none, a compressed answer the caller refused or a cache-unsafe answer shows. Each test
 * asserts what a user of an HTTP service expects; a failing one is a finding (see the round's report).
 */
class AttackRound7HttpTest extends HarnessPerClass {
    private static final String P = "/v1/spot";

    /** One parsed answer. */
    record Answer(int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> v = headers.get(name.toLowerCase(Locale.ROOT));
            return v == null ? null : String.join(", ", v);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        byte[] decoded() throws IOException {
            if ("gzip".equalsIgnoreCase(header("Content-Encoding"))) {
                try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(body))) {
                    return in.readAllBytes();
                }
            }
            return body;
        }
    }

    /** A raw HTTP/1.1 connection to spot-api. */
    final class Raw implements AutoCloseable {
        final Socket socket = new Socket();
        final InputStream in;
        final OutputStream out;

        Raw() throws IOException {
            socket.connect(new InetSocketAddress("127.0.0.1", h.port()), 5_000);
            socket.setSoTimeout(10_000);
            in = new java.io.BufferedInputStream(socket.getInputStream());
            out = socket.getOutputStream();
        }

        Raw send(String head) throws IOException {
            return send(head.getBytes(StandardCharsets.ISO_8859_1));
        }

        Raw send(byte[] bytes) throws IOException {
            out.write(bytes);
            out.flush();
            return this;
        }

        /** Reads one answer; {@code head}: it answers a HEAD (no body follows whatever the headers say). */
        Answer read(boolean head) throws IOException {
            String status = line();
            if (status == null) {
                throw new IOException("connection closed before an answer");
            }
            assertThat(status).as("status line").startsWith("HTTP/1.1 ");
            int code = Integer.parseInt(status.substring(9, 12));
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (String l = line(); l != null && !l.isEmpty(); l = line()) {
                int colon = l.indexOf(':');
                headers.computeIfAbsent(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), k -> new ArrayList<>())
                        .add(l.substring(colon + 1).trim());
            }
            Answer a = new Answer(code, headers, new byte[0]);
            if (head || code == 204 || code == 304 || code / 100 == 1) {
                return a;
            }
            String te = a.header("Transfer-Encoding");
            String cl = a.header("Content-Length");
            byte[] body;
            if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                while (true) {
                    String size = line();
                    int n = Integer.parseInt(size.split(";")[0].trim(), 16);
                    if (n == 0) {
                        for (String t = line(); t != null && !t.isEmpty(); t = line()) {
                            // trailers
                        }
                        break;
                    }
                    b.write(in.readNBytes(n));
                    line();
                }
                body = b.toByteArray();
            } else if (cl != null) {
                body = in.readNBytes(Integer.parseInt(cl));
            } else {
                body = in.readAllBytes(); // close-delimited
            }
            return new Answer(code, headers, body);
        }

        Answer read() throws IOException {
            return read(false);
        }

        /** Whatever arrives within {@code millis} (nothing: empty). */
        byte[] extra(int millis) throws IOException {
            socket.setSoTimeout(millis);
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            try {
                int c;
                while ((c = in.read()) >= 0) {
                    b.write(c);
                }
            } catch (java.net.SocketTimeoutException e) {
                // nothing more
            } finally {
                socket.setSoTimeout(10_000);
            }
            return b.toByteArray();
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    byte[] bytes = b.toByteArray();
                    int len = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                    return new String(bytes, 0, len, StandardCharsets.ISO_8859_1);
                }
                b.write(c);
            }
            return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private static String get(String path, String... headers) {
        return request("GET", path, headers);
    }

    private static String request(String method, String path, String... headers) {
        StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: localhost\r\n");
        for (String hd : headers) {
            b.append(hd).append("\r\n");
        }
        return b.append("\r\n").toString();
    }

    private static final String TOKEN = "X-Auth-Token: " + TestService.TOKEN;

    /** A group whose answer (GET of it) is well over the 1,500 bytes the writer starts compressing at. */
    private String bigAnswerPath() {
        com.fasterxml.jackson.databind.node.ObjectNode body = Harness.groupBody(Harness.uniqueName("big"));
        var tags = ((com.fasterxml.jackson.databind.node.ObjectNode) body.path("compute").path("launchSpecification"))
                .putArray("tags");
        for (int i = 0; i < 30; i++) {
            tags.addObject().put("tagKey", "k" + i).put("tagValue", "value-" + i + "-" + "x".repeat(40));
        }
        TestService.Reply r = h.call("POST", "/main/elastigroups", body);
        assertThat(r.status()).as("create: %s", r.body()).isEqualTo(200);
        return P + "/main/elastigroups/" + r.json().path("id").asText();
    }

    private Answer one(String request) throws IOException {
        try (Raw r = new Raw()) {
            return r.send(request).read(request.startsWith("HEAD "));
        }
    }

    // ---- the gzip writer ----------------------------------------------------------------------------------

    @Test
    void aCompressedAnswerIsWellFormedAndMatchesTheIdentityOne() throws IOException {
        String path = bigAnswerPath();
        Answer plain = one(get(path, TOKEN));
        Answer gz = one(get(path, TOKEN, "Accept-Encoding: gzip"));
        assertThat(plain.status()).isEqualTo(200);
        assertThat(plain.body().length).as(plain.text()).isGreaterThan(1500);
        assertThat(plain.header("Content-Encoding")).isNull();
        assertThat(gz.status()).isEqualTo(200);
        assertThat(gz.header("Content-Encoding")).isEqualTo("gzip");
        JsonNode a = TestService.JSON.readTree(plain.body());
        JsonNode b = TestService.JSON.readTree(gz.decoded());
        assertThat(b).isEqualTo(a);
    }

    /**
     * RFC 9110 §12.5.3: {@code gzip;q=0} says the caller does NOT accept gzip ("not acceptable"); the answer must
     * then be sent without that coding.
     */
    @Test
    void gzipIsNotSentToACallerThatRefusesItWithQZero() throws IOException {
        String path = bigAnswerPath();
        for (String accept : List.of("gzip;q=0", "gzip;q=0, identity", "identity, gzip;q=0.0", "GZIP; Q=0",
                "br, gzip;q=0")) {
            Answer a = one(get(path, TOKEN, "Accept-Encoding: " + accept));
            assertThat(a.status()).isEqualTo(200);
            assertThat(a.header("Content-Encoding")).as("Accept-Encoding: %s", accept).isNull();
        }
    }

    /**
     * RFC 9110 §12.5.5: an answer whose coding depends on Accept-Encoding names it in {@code Vary}; without it a
     * shared cache (a corporate proxy, a CDN in front of the portal) hands a gzip body to a caller that cannot
     * read it, or the identity one to every caller.
     */
    @Test
    void anAnswerWhoseCodingDependsOnAcceptEncodingSaysSoInVary() throws IOException {
        String path = bigAnswerPath();
        Answer gz = one(get(path, TOKEN, "Accept-Encoding: gzip"));
        assertThat(gz.header("Content-Encoding")).isEqualTo("gzip");
        assertThat(gz.header("Vary")).as("Vary of a gzip answer").isNotNull();
        assertThat(gz.header("Vary").toLowerCase(Locale.ROOT)).contains("accept-encoding");
        Answer plain = one(get(path, TOKEN));
        assertThat(plain.header("Vary")).as("Vary of the identity answer of the same resource").isNotNull();
        assertThat(plain.header("Vary").toLowerCase(Locale.ROOT)).contains("accept-encoding");
    }

    // ---- HEAD -----------------------------------------------------------------------------------------------

    /** HEAD gets GET's status and headers and no body; the next request on the connection is answered as itself. */
    @Test
    void headAnswersCarryNoBodyAndLeaveTheConnectionInStep() throws IOException {
        String list = bigAnswerPath();
        for (String[] c : new String[][] {
                {P + "/ping"}, {P + "/version"}, {P + "/ready"}, {P + "/openapi.json"}, {P + "/metrics"},
                {P + "/docs"}, {list, TOKEN}, {list, TOKEN, "Accept-Encoding: gzip"}, {P + "/main/nothing", TOKEN},
                {P + "/main/elastigroups"}}) {
            String path = c[0];
            String[] headers = java.util.Arrays.copyOfRange(c, 1, c.length);
            Answer g = one(get(path, headers));
            try (Raw r = new Raw()) {
                r.send(request("HEAD", path, headers) + get(P + "/ping", "X-Request-Id: after-head"));
                Answer head = r.read(true);
                Answer next = r.read();
                assertThat(head.status()).as("HEAD %s", path).isEqualTo(g.status());
                assertThat(head.header("Content-Type")).as("HEAD %s", path).isEqualTo(g.header("Content-Type"));
                assertThat(head.header("Content-Encoding")).as("HEAD %s", path).isEqualTo(g.header("Content-Encoding"));
                if (head.header("Content-Length") != null && g.header("Content-Length") != null
                        && !path.endsWith("/metrics")) { // the scrape changes between two requests
                    assertThat(head.header("Content-Length")).as("HEAD %s", path).isEqualTo(g.header("Content-Length"));
                }
                assertThat(next.status()).as("the request after HEAD %s", path).isEqualTo(200);
                assertThat(next.text()).as("the request after HEAD %s", path).isEqualTo("pong");
                assertThat(next.header("X-Request-Id")).isEqualTo("after-head");
            }
        }
    }

    // ---- pipelining and connection reuse after errors -------------------------------------------------------

    /** Errors of every layer on one connection, pipelined: each answered in order, to its own request. */
    @Test
    void pipelinedRequestsAfterErrorsAreEachAnsweredInOrder() throws IOException {
        String body = "{\"group\": ";
        String bad = "POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN
                + "\r\nContent-Type: application/json\r\nX-Request-Id: r2\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body;
        String chunkedBad = "POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN
                + "\r\nContent-Type: application/json\r\nX-Request-Id: r5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\r\n{}x\r\n0\r\n\r\n";
        String all = get(P + "/main/no-such-route/x/y", TOKEN, "X-Request-Id: r1")
                + bad
                + request("PATCH", P + "/ping", TOKEN, "X-Request-Id: r3")
                + get(P + "/main/elastigroups/sig-00000000", TOKEN, "X-Request-Id: r4")
                + chunkedBad
                + request("GET", P + "/ping?_method=DELETE", "X-Request-Id: r6")
                + get(P + "/ping", "X-Request-Id: r7");
        try (Raw r = new Raw()) {
            r.send(all);
            int[] expected = {404, 400, 405, 404, 400, 400, 200};
            for (int i = 0; i < expected.length; i++) {
                Answer a = r.read();
                assertThat(a.header("X-Request-Id")).as("answer %d", i + 1).isEqualTo("r" + (i + 1));
                assertThat(a.status()).as("answer %d: %s", i + 1, a.text()).isEqualTo(expected[i]);
            }
            assertThat(r.extra(300)).as("nothing after the seventh answer").isEmpty();
        }
    }

    // ---- request bodies -------------------------------------------------------------------------------------

    /**
     * A request body declared {@code Content-Encoding: gzip} (or any coding) that spot-api does not decode must
     * not be read as if it were plain JSON: RFC 9110 §8.4 / §15.5.16, 415 Unsupported Media Type (naming the
     * codings accepted). Today the declared coding is ignored: plain JSON labelled gzip is decoded as JSON and the
     * group is created in Spot.
     */
    @Test
    void aBodyInAContentCodingThatIsNotDecodedIsNotReadAsPlainJson() throws IOException {
        String name = Harness.uniqueName("coded");
        byte[] json = Harness.groupBody(name).toString().getBytes(StandardCharsets.UTF_8);
        for (String coding : List.of("gzip", "deflate", "br")) {
            String head = "POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN
                    + "\r\nContent-Type: application/json\r\nContent-Encoding: " + coding + "\r\nContent-Length: "
                    + json.length + "\r\n\r\n";
            try (Raw r = new Raw()) {
                r.send(head.getBytes(StandardCharsets.ISO_8859_1)).send(json);
                Answer a = r.read();
                assertThat(a.status()).as("plain JSON sent as Content-Encoding %s: %s", coding, a.text()).isEqualTo(415);
            }
        }
        assertThat(h.storedAll(Harness.GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).count())
                .as("groups created from a body whose coding was ignored").isZero();
    }

    /** A gzip body (what a compressing proxy or client sends) is decoded, or refused as 415; never a UTF-8 error. */
    @Test
    void aGzipBodyIsDecodedOrRefusedAs415NotMisreadAsBadUtf8() throws IOException {
        byte[] json = Harness.groupBody(Harness.uniqueName("gz")).toString().getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(z)) {
            g.write(json);
        }
        byte[] gz = z.toByteArray();
        String head = "POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN
                + "\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: " + gz.length
                + "\r\n\r\n";
        try (Raw r = new Raw()) {
            r.send(head.getBytes(StandardCharsets.ISO_8859_1)).send(gz);
            Answer a = r.read();
            assertThat(a.status()).as("gzip body: %s", a.text()).isIn(200, 415);
        }
    }

    // ---- path forms: a token route is never served without the token --------------------------------------

    /**
     * Path forms the router and Jetty might read differently (dot segments, encoded slashes and dots, `;`
     * parameters, double and trailing slashes, case, absolute-form targets, overlong UTF-8, a public route's
     * name in another segment): without a token none is ever answered 2xx or 5xx, and none reaches Spot.
     */
    @Test
    void tokenRoutesInOddPathFormsAreNeverServedWithoutTheToken() throws IOException {
        String id = h.createGroup();
        h.clearRequestLog();
        List<String> targets = List.of(
                P + "/main/elastigroups", P + "/main/elastigroups/", P + "/main/elastigroups//",
                P + "//main/elastigroups", P + "/./main/elastigroups", P + "/ping/../main/elastigroups",
                P + "/ping/..%2Fmain/elastigroups", P + "/ping%2F..%2Fmain%2Felastigroups", P + "/%2e/main/elastigroups",
                P + "/ping;/../main/elastigroups", P + "/main;x=1/elastigroups", P + "/main/elastigroups;ping",
                P + "/main/elastigroups/" + id + ";/ping", P + "/MAIN/elastigroups", P + "/main/Elastigroups",
                P + "/docs/../main/elastigroups/" + id, P + "/docs/assets/..%2F..%2Fmain%2Felastigroups",
                P + "/%6dain/elastigroups/%73ig-" + id.substring(4), P + "/main/elastigroups/" + id + "%00",
                P + "/main/elastigroups/" + id + "%2F", P + "/main/%c0%ae%c0%ae/elastigroups",
                "http://localhost" + P + "/main/elastigroups", "http://localhost:1" + P + "/ping/../main/elastigroups",
                P + "/main/elastigroups?x=" + P + "/ping",
                P + "/main/instances", P + "/main/elastigroups/" + id + "/status");
        for (String method : List.of("GET", "HEAD", "DELETE", "PUT")) {
            for (String t : targets) {
                try (Raw r = new Raw()) {
                    r.send(request(method, t, "Connection: close"));
                    Answer a;
                    try {
                        a = r.read(method.equals("HEAD"));
                    } catch (IOException e) {
                        continue; // closed without an answer: not served
                    }
                    assertThat(a.status()).as("%s %s without a token: %s", method, t, a.text()).isBetween(400, 499);
                }
            }
        }
        assertThat(h.spotRequests()).as("Spot requests made for token-less callers").isEmpty();
    }

    // ---- transfer codings -----------------------------------------------------------------------------------

    /**
     * RFC 9112 §6.1: a request with a transfer coding the server does not understand is refused (501), never
     * read as if the coding were not there. {@code Transfer-Encoding: gzip, chunked} with a plain chunked JSON
     * body must not create a group.
     */
    @Test
    void aTransferCodingSpotApiDoesNotDecodeIsNotIgnored() throws IOException {
        String name = Harness.uniqueName("te");
        byte[] json = Harness.groupBody(name).toString().getBytes(StandardCharsets.UTF_8);
        for (String te : List.of("gzip, chunked", "deflate, chunked", "x-custom, chunked")) {
            String head = "POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN
                    + "\r\nContent-Type: application/json\r\nTransfer-Encoding: " + te + "\r\n\r\n"
                    + Integer.toHexString(json.length) + "\r\n";
            try (Raw r = new Raw()) {
                r.send(head).send(json).send("\r\n0\r\n\r\n");
                Answer a;
                try {
                    a = r.read();
                } catch (IOException e) {
                    continue; // refused by closing: nothing created (checked below)
                }
                assertThat(a.status()).as("Transfer-Encoding: %s: %s", te, a.text()).isIn(400, 501);
            }
        }
        assertThat(h.storedAll(Harness.GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g))).count())
                .as("groups created from a body whose transfer coding was ignored").isZero();
    }

    /** Content-Length with Transfer-Encoding (a smuggling shape): refused, the connection closed, nothing hidden answered. */
    @Test
    void contentLengthWithTransferEncodingIsRefusedAndHidesNoRequest() throws IOException {
        String hidden = "GET " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN + "\r\nX-Request-Id: hidden\r\n\r\n";
        String chunked = "0\r\n\r\n" + hidden;
        String req = "POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN
                + "\r\nContent-Type: application/json\r\nX-Request-Id: outer\r\nContent-Length: " + chunked.length()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked;
        try (Raw r = new Raw()) {
            r.send(req);
            Answer a = r.read();
            assertThat(a.status()).as(a.text()).isEqualTo(400);
            assertThat(new String(r.extra(500), StandardCharsets.ISO_8859_1)).as("a second answer").doesNotContain("HTTP/1.1");
        }
    }

    // ---- nothing held after the attackers go ----------------------------------------------------------------

    /** Server-side sockets of spot-api's port in CLOSE_WAIT (the peer closed, the server never did). */
    private long closeWaitOnServer() {
        String hexPort = String.format(":%04X", h.port());
        long n = 0;
        for (String file : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of(file))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 3 && f[1].endsWith(hexPort) && "08".equals(f[3])) {
                        n++;
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        return n;
    }

    /**
     * 150 verified callers start a body (chunked: each reserves the largest body of the process-wide body
     * budget; or a Content-Length body, or Expect: 100-continue with no byte) and go away mid-way (FIN or RST).
     * Afterwards the budget is whole again (a create is 200, not 503 "too many request bodies"), and no socket of
     * theirs is left open on the server.
     */
    @Test
    void bodiesAbandonedMidWayGiveBackTheirBudgetAndTheirConnections() throws Exception {
        List<Raw> raws = new ArrayList<>();
        for (int i = 0; i < 150; i++) {
            Raw r = new Raw();
            raws.add(r);
            String base = "POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN
                    + "\r\nContent-Type: application/json\r\n";
            switch (i % 3) {
                case 0 -> r.send(base + "Transfer-Encoding: chunked\r\n\r\n10\r\n{\"name\": \"abcde");
                case 1 -> r.send(base + "Content-Length: 500000\r\n\r\n{\"name\": ");
                default -> r.send(base + "Content-Length: 400\r\nExpect: 100-continue\r\n\r\n");
            }
        }
        Thread.sleep(300);
        for (int i = 0; i < raws.size(); i++) {
            if (i % 2 == 0) {
                raws.get(i).socket.setSoLinger(true, 0); // RST
            }
            raws.get(i).close();
        }
        long end = System.nanoTime() + 10_000_000_000L;
        TestService.Reply created;
        do {
            created = h.call("POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("after")));
            if (created.status() == 200 && closeWaitOnServer() == 0) {
                break;
            }
            Thread.sleep(100);
        } while (System.nanoTime() < end);
        assertThat(created.status()).as("a create after the abandoned bodies: %s", created.body()).isEqualTo(200);
        assertThat(closeWaitOnServer()).as("server sockets left in CLOSE_WAIT").isZero();
    }

    // ---- answers cut short by a stop --------------------------------------------------------------------------

    /**
     * ShutdownPastStopTimeoutTest's promise (every request still waiting when the stop timeout ends is answered
     * 503 JSON with its request id) for the answers that are 204 No Content: a group power stop whose capacity
     * write Spot holds (8 s) while the service stops with a 1.5 s stop timeout.
     */
    @Test
    void aNoContentActionStillWaitingAtTheStopTimeoutGetsA503WithItsRequestId() throws Exception {
        try (Harness own = Harness.start(new dev.spotapi.config.SpotClientSettings(2_000, 20_000, 30_000, 1, 20, 200, 0),
                c -> c.withLimits(dev.spotapi.config.AuthSettings.DEFAULTS,
                        new dev.spotapi.config.HttpSettings(0, 0, 0, 0, 1_500)))) {
            String group = own.createGroup();
            own.fault("{\"method\":\"PUT\",\"path\":\"/aws/ec2/group/**\",\"action\":\"delay\",\"delayMs\":8000}");
            own.clearRequestLog();
            byte[] body = "{\"state\":\"stop\"}".getBytes(StandardCharsets.UTF_8);
            Socket s = new Socket();
            s.connect(new InetSocketAddress("127.0.0.1", own.port()), 5_000);
            s.setSoTimeout(20_000);
            try (s) {
                s.getOutputStream().write(("PUT " + P + "/main/elastigroups/" + group + "/power HTTP/1.1\r\nHost: x\r\n"
                        + TOKEN + "\r\nX-Request-Id: power-at-stop\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                s.getOutputStream().write(body);
                long end = System.nanoTime() + 10_000_000_000L;
                while (own.spotRequests("PUT", Harness.GROUPS + "/" + group).isEmpty() && System.nanoTime() < end) {
                    Thread.sleep(20);
                }
                assertThat(own.spotRequests("PUT", Harness.GROUPS + "/" + group)).as("the capacity write reached Spot")
                        .isNotEmpty();
                long start = System.nanoTime();
                own.svc.api.close();
                long stopMillis = Harness.millisSince(start);
                byte[] all = s.getInputStream().readAllBytes();
                String text = new String(all, StandardCharsets.ISO_8859_1);
                assertThat(text).as("the answer to the power stop cut short by the stop (stop took %d ms)", stopMillis)
                        .startsWith("HTTP/1.1 503").contains("power-at-stop").contains("may or may not");
            }
        }
    }

    // ---- conditional requests and method metadata -------------------------------------------------------------

    /**
     * RFC 9110 §13.1.1: a server that receives {@code If-Match} MUST evaluate it before performing the method; a
     * list of entity-tags none of which is the current one's (spot-api sends none) is false: 412, nothing written.
     * A client using If-Match for optimistic concurrency otherwise overwrites a change it never saw. Today the
     * condition is ignored and the update is applied.
     */
    @Test
    void anUpdateWhosePreconditionFailsIsRefused412AndNotWritten() throws IOException {
        String id = h.createGroup();
        h.clearRequestLog();
        byte[] body = "{\"capacity\":{\"minimum\":0,\"maximum\":3,\"target\":1}}".getBytes(StandardCharsets.UTF_8);
        for (String condition : List.of("If-Match: \"an-etag-spot-api-never-sent\"",
                "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT")) {
            String head = "PUT " + P + "/main/elastigroups/" + id + " HTTP/1.1\r\nHost: x\r\n" + TOKEN
                    + "\r\nContent-Type: application/json\r\n" + condition + "\r\nContent-Length: " + body.length + "\r\n\r\n";
            try (Raw r = new Raw()) {
                r.send(head).send(body);
                Answer a = r.read();
                assertThat(a.status()).as("%s: %s", condition, a.text()).isEqualTo(412);
            }
        }
        assertThat(h.spotRequests("PUT", Harness.GROUPS + "/" + id)).as("writes sent to Spot").isEmpty();
    }

    /** RFC 9110 §10.2.1 / §9.3.2: a 405's Allow lists what the resource supports; HEAD is served wherever GET is. */
    @Test
    void a405sAllowNamesHeadWhereGetIsServed() throws IOException {
        for (String path : List.of(P + "/ping", P + "/version", P + "/main/elastigroups")) {
            Answer a = one(request("PATCH", path, TOKEN));
            assertThat(a.status()).isEqualTo(405);
            assertThat(a.header("Allow")).as("Allow of PATCH %s", path).contains("GET");
            Answer head = one(request("HEAD", path, TOKEN));
            assertThat(head.status()).as("HEAD %s", path).isEqualTo(200);
            assertThat(a.header("Allow")).as("Allow of PATCH %s (HEAD is answered 200)", path).contains("HEAD");
        }
    }

    /** A body refused before it is read (no token, Expect: 100-continue): no 100 Continue, a 403, the connection closed. */
    @Test
    void anExpectContinueBodyWithoutATokenGetsNo100AndTheConnectionCloses() throws IOException {
        try (Raw r = new Raw()) {
            r.send("POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Expect: 100-continue\r\nContent-Length: 100000\r\n\r\n");
            Answer a = r.read();
            assertThat(a.status()).as(a.text()).isEqualTo(403);
            assertThat(r.extra(500)).as("after the 403 (the connection should be closed)").isEmpty();
        }
    }

    /** After a 413 (chunked, over maxBodyBytes) nothing of the body is ever parsed as a next request. */
    @Test
    void theRestOfAnOversizedChunkedBodyIsNeverAnsweredAsARequest() throws IOException {
        String inner = "GET " + P + "/ping HTTP/1.1\r\nHost: x\r\nX-Request-Id: smuggled\r\n\r\n";
        StringBuilder chunk = new StringBuilder();
        while (chunk.length() < 1_100_000) {
            chunk.append(inner);
        }
        try (Raw r = new Raw()) {
            r.send("POST " + P + "/main/elastigroups HTTP/1.1\r\nHost: x\r\n" + TOKEN + "\r\nX-Request-Id: big\r\n"
                    + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + Integer.toHexString(chunk.length()) + "\r\n");
            try {
                r.send(chunk.toString());
                r.send("\r\n0\r\n\r\n" + inner.replace("smuggled", "after-the-body"));
            } catch (IOException closed) {
                // the server closed while we wrote: fine
            }
            Answer a = r.read();
            assertThat(a.status()).as(a.text()).isEqualTo(413);
            String rest = new String(r.extra(800), StandardCharsets.ISO_8859_1);
            assertThat(rest).as("answers after the 413").doesNotContain("X-Request-Id: smuggled");
        }
    }

    // ---- query parameters that do not decode ------------------------------------------------------------------

    /**
     * A query parameter whose name or value is not valid percent-encoding ({@code keep=volumes%ZZ},
     * {@code detach=true%}) is silently left out (Exchange#parseQuery): a delete that asked to keep the volumes,
     * or to only detach the instance, then terminates it and deletes everything. What the caller asked cannot be
     * read, so the request must be refused (400) before anything is sent to Spot.
     */
    @Test
    void aDeleteWhoseKeepOrDetachCannotBeDecodedIsRefusedNotRunWithoutThem() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (String query : List.of("keep=volumes%ZZ", "keep=volumes%2", "detach=true%", "detach=tr%Gue",
                "de%tach=true", "keep=snapshots,volumes%")) {
            String id = h.createInstance();
            h.clearRequestLog();
            Answer a = one(request("DELETE", P + "/main/instances/" + id + "?" + query, TOKEN));
            List<JsonNode> changes = h.spotRequests().stream()
                    .filter(e -> !"GET".equals(e.path("method").asText())).toList();
            if (a.status() != 400 || !changes.isEmpty()) {
                wrong.add("DELETE ?" + query + " -> " + a.status() + " " + a.text() + "; Spot got "
                        + changes.stream().map(c -> c.path("method").asText() + " " + c.path("path").asText() + " "
                                + c.path("body")).toList());
            }
        }
        assertThat(wrong).as("deletes run although their keep/detach could not be read").isEmpty();
    }

    /** The same kind on a read: {@code ?space=} that does not decode is dropped and the whole org's list answered. */
    @Test
    void aListWhoseSpaceFilterCannotBeDecodedIsRefusedNotAnsweredUnfiltered() throws IOException {
        h.createGroup();
        Answer filtered = one(get(P + "/main/elastigroups?space=space-that-has-nothing", TOKEN));
        Answer broken = one(get(P + "/main/elastigroups?space=space-that-has-nothing%ZZ", TOKEN));
        assertThat(filtered.status()).as(filtered.text()).isEqualTo(200);
        assertThat(broken.status()).as("?space=...%%ZZ answered: %s (with a readable space: %s)", broken.text(),
                filtered.text()).isEqualTo(400);
    }

    // ---- 204 answers ------------------------------------------------------------------------------------------

    /**
     * RFC 9110 §8.6 / §15.3.5: a 204 carries no content and a server MUST NOT send Content-Length in it; nor is
     * there a representation to give a Content-Type. The next request on the connection is answered as itself.
     */
    @Test
    void a204HasNoBodyNoContentLengthAndLeavesTheConnectionInStep() throws IOException {
        String id = h.createGroup();
        byte[] body = "{\"state\":\"start\"}".getBytes(StandardCharsets.UTF_8);
        try (Raw r = new Raw()) {
            r.send("PUT " + P + "/main/elastigroups/" + id + "/power HTTP/1.1\r\nHost: x\r\n" + TOKEN
                    + "\r\nContent-Type: application/json\r\nAccept-Encoding: gzip\r\nContent-Length: " + body.length
                    + "\r\n\r\n").send(body).send(get(P + "/ping", "X-Request-Id: after-204"));
            Answer a = r.read();
            Answer next = r.read();
            assertThat(a.status()).isEqualTo(204);
            assertThat(next.header("X-Request-Id")).isEqualTo("after-204");
            assertThat(next.text()).isEqualTo("pong");
            assertThat(a.header("Content-Length")).as("Content-Length of a 204").isNull();
            assertThat(a.header("Transfer-Encoding")).as("Transfer-Encoding of a 204").isNull();
            assertThat(a.header("Content-Type")).as("Content-Type of a 204 (no content)").isNull();
        }
    }

    /** Path segments that are not valid percent-encoding, with a valid token: a 4xx, never a 500, nothing sent to Spot. */
    @Test
    void aPathParameterThatDoesNotDecodeIsA4xxWithTheToken() throws IOException {
        String id = h.createGroup();
        h.clearRequestLog();
        List<String> wrong = new ArrayList<>();
        for (String method : List.of("GET", "PUT", "DELETE")) {
            for (String path : List.of(P + "/ma%ZZin/elastigroups", P + "/main%/elastigroups", P + "/main/elastigroups/"
                    + id + "%ZZ", P + "/main/elastigroups/%" + id, P + "/main/instances/smi-1234567%", P + "/main%G1/instances",
                    P + "/main/elastigroups/" + id + "/rolls/sbgd-%Z1", P + "/main/" + id + "%/tags")) {
                Answer a = one(request(method, path, TOKEN, "Content-Length: 2", "Content-Type: application/json") + "{}");
                if (a.status() < 400 || a.status() > 499) {
                    wrong.add(method + " " + path + " -> " + a.status() + " " + a.text());
                }
            }
        }
        assertThat(wrong).as("answers that are not 4xx").isEmpty();
        assertThat(h.spotRequests().stream().filter(e -> !"GET".equals(e.path("method").asText())).toList())
                .as("changes sent to Spot").isEmpty();
    }

    /**
     * Answers Jetty writes itself to a HEAD (431, 413: through the service's error handler) carry no body either.
     * Requests Jetty's parser refuses before a request exists (a bad URI, a control byte in the request line) are
     * answered through {@code ErrorHandler.badMessageError}, which is not told the method: their JSON body follows
     * even a HEAD's answer (left: RFC 9110 §9.3.2), and the connection is closed after it, so no later request on it
     * can be answered out of step.
     */
    @Test
    void headAnswersWrittenByJettyCarryNoBody() throws IOException {
        List<String> heads = List.of(
                request("HEAD", P + "/ping", "X-Big: " + "a".repeat(70_000)),
                request("HEAD", P + "/main/elastigroups", TOKEN, "Content-Length: 10000000"));
        List<String> wrong = new ArrayList<>();
        for (String req : heads) {
            try (Raw r = new Raw()) {
                r.send(req.getBytes(StandardCharsets.ISO_8859_1));
                Answer a;
                try {
                    a = r.read(true);
                } catch (IOException e) {
                    continue;
                }
                String rest = new String(r.extra(500), StandardCharsets.ISO_8859_1);
                if (!rest.isEmpty()) {
                    wrong.add(req.substring(0, Math.min(40, req.length())) + " -> " + a.status() + " then " + rest);
                }
            }
        }
        assertThat(wrong).as("bodies sent after a HEAD's answer").isEmpty();
        for (String req : List.of(request("HEAD", P + "/ping%", TOKEN), request("HEAD", P + "/ping\u0001x"))) {
            try (Raw r = new Raw()) {
                r.send((req + request("GET", P + "/ping")).getBytes(StandardCharsets.ISO_8859_1));
                Answer a = r.read(true);
                assertThat(a.status()).isEqualTo(400);
                assertThat(new String(r.extra(1_000), StandardCharsets.ISO_8859_1))
                        .as("after the parser's 400 to a HEAD: its body at most, never the pipelined GET's answer")
                        .doesNotContain("HTTP/1.1").doesNotContain("pong");
            }
        }
    }
}
