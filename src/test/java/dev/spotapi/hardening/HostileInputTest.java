package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.RawHttp.Answer;
import dev.spotapi.support.RawHttp;
import dev.spotapi.support.TestService;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 4, "Hostile input: each of these gets a clear 4xx quickly, with no Spot call, no stack trace in the
 * body and no thread stuck: bodies over a size limit (413); malformed JSON, JSON that is not an object,
 * deeply nested JSON; invalid UTF-8; ids that are not Spot ids (path tricks such as encoded slashes or dots
 * included); unknown accounts with odd characters; absurd query values; oversized headers; X-Auth-Token
 * values that are too long, not bcrypt, or of too high a cost (refused before any hashing); methods a route
 * does not have (405); unknown routes (still 403 without a token)."
 *
 * <p>Requests go over a raw socket ({@link RawHttp}) so that nothing is repaired on the way. "Quickly" is
 * under 2 s each; "no Spot call" is an empty simulator request log.
 */
class HostileInputTest extends HarnessPerClass {
    private static final long QUICK_MS = 2_000;
    private static final String TOKEN = TestService.TOKEN;
    private static final Map<String, String> AUTH = Map.of("X-Auth-Token", TOKEN);

    /** One hostile request and the statuses that count as its clear refusal. */
    record Hostile(String name, String method, byte[] target, Map<String, String> headers, byte[] body,
            Set<Integer> expected) {
        @Override
        public String toString() {
            return name;
        }

        Answer send(int port) {
            return RawHttp.send(port, method, target, headers, body, 15_000);
        }
    }

    // ---- the catalogue ----------------------------------------------------------------------------

    static List<Hostile> catalogue() {
        List<Hostile> all = new ArrayList<>();
        all.addAll(oversizedBodies());
        all.addAll(badJson());
        all.addAll(notSpotIds());
        all.addAll(oddAccounts());
        all.addAll(absurdQueries());
        all.addAll(oversizedHeaders());
        all.addAll(badTokens());
        all.addAll(missingMethods());
        all.addAll(unknownRoutes());
        return all;
    }

    static Stream<Arguments> cases() {
        return catalogue().stream().map(Arguments::of);
    }

    static List<Hostile> oversizedBodies() {
        byte[] twoMiB = jsonObjectOfSize(2 * 1024 * 1024);
        Map<String, String> chunked = with(AUTH, "Transfer-Encoding", "chunked", "Content-Type", "application/json");
        Map<String, String> lying = with(AUTH, "Content-Length", "10000000000", "Content-Type", "application/json");
        return List.of(
                new Hostile("body of 2 MiB with Content-Length", "POST", t("/v1/spot/main/instances"),
                        with(AUTH, "Content-Type", "application/json"), twoMiB, Set.of(413)),
                new Hostile("body of 2 MiB on PUT", "PUT", t("/v1/spot/main/elastigroups/sig-0000aaaa"),
                        with(AUTH, "Content-Type", "application/json"), twoMiB, Set.of(413)),
                new Hostile("chunked body of 2.5 MiB without Content-Length", "POST", t("/v1/spot/main/instances"),
                        chunked, chunk(jsonObjectOfSize(2_621_440)), Set.of(413)),
                new Hostile("Content-Length of 10 GB", "POST", t("/v1/spot/main/instances"), lying,
                        "{}".getBytes(StandardCharsets.UTF_8), Set.of(413)));
    }

    static List<Hostile> badJson() {
        Object[][] bodies = {
                {"malformed JSON", "{name: 'x'"},
                {"truncated JSON", "{\"name\": \"x\""},
                {"JSON array", "[{\"name\": \"x\"}]"},
                {"JSON string", "\"x\""},
                {"JSON number", "42"},
                {"JSON null", "null"},
                {"empty body", ""},
                {"two objects", "{}{}"},
                {"objects nested 100000 deep", "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000)},
                {"arrays nested 300000 deep", "{\"a\":" + "[".repeat(300_000) + "]".repeat(300_000) + "}"},
                {"unclosed nesting 500000 deep", "[".repeat(500_000)},
                {"number of 5000 digits", "{\"a\":" + "9".repeat(5_000) + "}"},
                {"invalid UTF-8 (C3 28)", new byte[] {'{', '"', 'n', '"', ':', '"', (byte) 0xC3, 0x28, '"', '}'}},
                {"invalid UTF-8 (overlong C0 AF)", new byte[] {'{', '"', 'n', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}},
                {"invalid UTF-8 (lone FF)", new byte[] {'{', '"', (byte) 0xFF, '"', ':', '1', '}'}},
                {"NUL bytes", new byte[] {0, 0, 0, 0}},
                {"binary garbage", garbage()},
        };
        List<Hostile> out = new ArrayList<>();
        String[][] routes = {{"POST", "/v1/spot/main/instances"}, {"PUT", "/v1/spot/main/elastigroups/sig-0000aaaa"}};
        for (String[] route : routes) {
            for (Object[] b : bodies) {
                byte[] bytes = b[1] instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) b[1];
                out.add(new Hostile(route[0] + " " + route[1] + ": " + b[0], route[0], t(route[1]),
                        with(AUTH, "Content-Type", "application/json"), bytes, Set.of(400)));
            }
        }
        return out;
    }

    static List<Hostile> notSpotIds() {
        String[] ids = {
                "..%2F..%2Fgroup", "smi-1234%2F..%2Fx", "%2e%2e", "%2E%2E%2F%2E%2E", "smi-..;x", "smi-ABCD1234",
                "smi-1234%00", "smi-%0d%0aX-Injected:1", "smi-12345678%20", "smi-%F0%9F%92%A9", "smi-" + "a".repeat(500),
                "sig-12345678", "smi-1234%3Fa=b", "smi-1234%23frag", "%20smi-12345678", "smi-12%2534",
        };
        String[][] routes = {{"GET", "/v1/spot/main/instances/%s"}, {"PUT", "/v1/spot/main/instances/%s"},
                {"DELETE", "/v1/spot/main/instances/%s"}, {"GET", "/v1/spot/main/instances/%s/costs"},
                {"GET", "/v1/spot/main/instances/%s/status"}};
        List<Hostile> out = new ArrayList<>();
        for (String id : ids) {
            for (String[] route : routes) {
                byte[] body = "PUT".equals(route[0]) ? "{}".getBytes(StandardCharsets.UTF_8) : null;
                out.add(new Hostile(route[0] + " instance id " + shorten(id) + " (" + route[1] + ")", route[0],
                        t(String.format(route[1], id)), AUTH, body, Set.of(400, 404)));
            }
            String groupId = id.replace("smi-", "sig-").replace("sig-12345678", "smi-12345678");
            for (String method : new String[] {"GET", "PUT", "DELETE"}) {
                byte[] body = "PUT".equals(method) ? "{}".getBytes(StandardCharsets.UTF_8) : null;
                out.add(new Hostile(method + " group id " + shorten(groupId), method,
                        t("/v1/spot/main/elastigroups/" + groupId), AUTH, body, Set.of(400, 404)));
            }
        }
        // raw bytes a client library would refuse to send
        out.add(new Hostile("raw control and Latin-1 bytes in an id", "GET",
                "/v1/spot/main/instances/smi-\u00ff\u0001x".getBytes(StandardCharsets.ISO_8859_1), AUTH, null,
                Set.of(400, 404)));
        out.add(new Hostile("raw UTF-8 in an id", "GET",
                "/v1/spot/main/instances/smi-\u00e9\u00e9\u00e9\u00e9".getBytes(StandardCharsets.UTF_8), AUTH, null,
                Set.of(400, 404)));
        return out;
    }

    static List<Hostile> oddAccounts() {
        String[] accounts = {
                "%00", "no%20such", "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "..%2F..%2Fetc", "%2e%2e", "%C3%28",
                "%E2%80%AEmain", "MAIN", "main%0d%0aX-Injected:%20yes", "a".repeat(3_000), "main%2F..%2Fother",
                "%25", "main;jsessionid=1", "%F0%9F%92%A9", "act-1111aaaa", "_sim", "%FF%FE",
        };
        List<Hostile> out = new ArrayList<>();
        for (String a : accounts) {
            out.add(new Hostile("account " + shorten(a) + " (instances)", "GET", t("/v1/spot/" + a + "/instances"), AUTH,
                    null, Set.of(400, 404)));
            out.add(new Hostile("account " + shorten(a) + " (create group)", "POST", t("/v1/spot/" + a + "/elastigroups"),
                    with(AUTH, "Content-Type", "application/json"),
                    "{\"name\":\"x\"}".getBytes(StandardCharsets.UTF_8), Set.of(400, 404)));
        }
        return out;
    }

    static List<Hostile> absurdQueries() {
        String base = "/v1/spot/main/instances/smi-00000001/costs?";
        String[] queries = {
                // (every valid yyyy-MM-dd date is accepted since issue 11 item 5: 1900-01-01 is not absurd)
                "start=2021-01-01&end=99999-12-31", "start=-1&end=0",
                "start=2021-02-30&end=2021-03-01", "start=2021-01-01", "end=2021-01-01",
                "start=2021-01-02&end=2021-01-01", "start=2021-01-01&end=2021-01-01",
                "start=%00&end=%FF", "start=9999999999&end=99999999999",
                "start=" + "9".repeat(5_000) + "&end=1", "start=2021-01-01T00:00:00Z&end=2021-02-01T00:00:00Z",
                "start=2021-1-1&end=2021-2-1", "start=%2e%2e%2F&end=%2e%2e", "start=2021-01-01%00&end=2021-02-01",
                "a=1&".repeat(1_500) + "start=x&end=y", "start=%E2%80%AE2021-01-01&end=2021-02-01",
        };
        List<Hostile> out = new ArrayList<>();
        for (String q : queries) {
            out.add(new Hostile("costs ?" + shorten(q), "GET", t(base + q), AUTH, null, Set.of(400)));
        }
        return out;
    }

    static List<Hostile> oversizedHeaders() {
        Map<String, String> many = new LinkedHashMap<>(AUTH);
        for (int i = 0; i < 2_000; i++) {
            many.put("X-H" + i, "v");
        }
        return List.of(
                new Hostile("one 64 KiB header", "GET", t("/v1/spot/main/instances"),
                        with(AUTH, "X-Junk", "x".repeat(64 * 1024)), null, Set.of(431)),
                new Hostile("one 1 MiB header", "GET", t("/v1/spot/main/instances"),
                        with(AUTH, "X-Junk", "x".repeat(1024 * 1024)), null, Set.of(431)),
                new Hostile("2000 headers", "GET", t("/v1/spot/main/instances"), many, null, Set.of(431)),
                new Hostile("64 KiB header without a token", "GET", t("/v1/spot/main/instances"),
                        Map.of("X-Junk", "x".repeat(64 * 1024)), null, Set.of(431)),
                new Hostile("64 KiB X-Auth-Token", "GET", t("/v1/spot/main/instances"),
                        Map.of("X-Auth-Token", "$2a$10$" + "a".repeat(64 * 1024)), null, Set.of(431)),
                new Hostile("64 KiB X-Request-Id", "GET", t("/v1/spot/main/instances"),
                        with(AUTH, "X-Request-Id", "r".repeat(64 * 1024)), null, Set.of(431)));
    }

    static List<Hostile> badTokens() {
        String saltAndHash = TOKEN.substring(7);
        String[] tokens = {
                "$2a$10$" + "a".repeat(6_000), // too long (but under the header limit)
                TOKEN + TOKEN, // two hashes glued
                "x".repeat(7_000),
                "hello", "Bearer " + TOKEN, TestService.KEY, // not bcrypt; the plain key itself
                "$1$abcdefgh$abcdefghijklmnopqrstuv", "$2a$" + saltAndHash, "$2a$10$short",
                "$2a$31$" + saltAndHash, "$2a$99$" + saltAndHash, "$2b$20$" + saltAndHash, // costs far too high
                "$2a$15$" + saltAndHash, // the key's own hash re-stamped at cost 15
                "$2a$03$" + saltAndHash, "$2a$00$" + saltAndHash, // costs below the minimum
                "$2a$1O$" + saltAndHash, "$2z$10$" + saltAndHash,
        };
        List<Hostile> out = new ArrayList<>();
        for (String token : tokens) {
            out.add(new Hostile("X-Auth-Token " + shorten(token), "GET", t("/v1/spot/main/instances"),
                    Map.of("X-Auth-Token", token), null, Set.of(403)));
        }
        out.add(new Hostile("X-Auth-Token with non-ASCII bytes", "GET", t("/v1/spot/main/instances"),
                Map.of("X-Auth-Token", "$2a$10$\u00e9\u00e9\u00e9" + saltAndHash.substring(3)), null, Set.of(403)));
        return out;
    }

    static List<Hostile> missingMethods() {
        String[][] cases = {
                {"PATCH", "/v1/spot/main/instances"}, {"DELETE", "/v1/spot/main/instances"},
                {"PUT", "/v1/spot/main/elastigroups"}, {"POST", "/v1/spot/main/instances/smi-00000001"},
                {"PATCH", "/v1/spot/main/elastigroups/sig-00000001"}, {"POST", "/v1/spot/main/instances/smi-00000001/costs"},
                {"DELETE", "/v1/spot/main/instances/smi-00000001/status"}, {"POST", "/v1/spot/ping"},
                {"DELETE", "/v1/spot/version"}, {"PUT", "/v1/spot/metrics"}, {"POST", "/v1/spot/main/volumes"},
                {"FOO", "/v1/spot/main/instances"}, {"TRACE", "/v1/spot/main/instances"},
                {"PROPFIND", "/v1/spot/main/elastigroups/sig-00000001"},
        };
        List<Hostile> out = new ArrayList<>();
        for (String[] c : cases) {
            out.add(new Hostile(c[0] + " " + c[1], c[0], t(c[1]), AUTH, null, Set.of(405)));
        }
        return out;
    }

    static List<Hostile> unknownRoutes() {
        // /v1/spot and /v1/spot/ are the account list (issue 23)
        String[] paths = {"/", "/.env", "/admin", "/v1", "/v1/spot/nothing/here",
                "/v1/spot/main", "/v1/spot/main/instances/smi-00000001/nothing", "/v1/spot/main/elastigroups/sig-00000001/x",
                "/v2/spot/ping", "/_sim/faults", "/v1/spot/main/volumes/x", "/v1/spot/main/instances/smi-00000001/costs/x",
                "/swagger", "/v1/spot/" + "x/".repeat(500)};
        List<Hostile> out = new ArrayList<>();
        for (String p : paths) {
            out.add(new Hostile("unknown route " + shorten(p) + " without a token", "GET", t(p), Map.of(), null,
                    Set.of(403)));
            out.add(new Hostile("unknown route " + shorten(p) + " with a wrong token", "DELETE", t(p),
                    Map.of("X-Auth-Token", "$2a$04$" + "a".repeat(53)), null, Set.of(403)));
            out.add(new Hostile("unknown route " + shorten(p) + " with the token", "GET", t(p), AUTH, null,
                    Set.of(404)));
        }
        return out;
    }

    // ---- the checks -------------------------------------------------------------------------------

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void aClear4xxQuicklyWithoutCallingSpotAndWithoutAStackTrace(Hostile c) {
        h.clearRequestLog();

        Answer a = c.send(h.port());

        assertThat(a.failure()).as("an HTTP answer: %s", a).isNull();
        assertThat(a.status()).as("status of %s", a).isIn(c.expected());
        assertThat(a.millis()).as("answered quickly: %s", a).isLessThan(QUICK_MS);
        Harness.assertNoStackTrace(a.body());
        assertThat(a.body()).as("no echo of the secret key").doesNotContain(TestService.KEY);
        assertThat(a.headers()).as("no header injected through the URL").doesNotContainKey("x-injected");
        assertThat(h.spotRequests()).as("no Spot call for %s", c.name()).isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void theRefusalIsTheJsonErrorBodyTheReadmePromises(Hostile c) {
        // docs/api.md "Errors": every error is JSON {"status", "message", "requestId"}
        Answer a = c.send(h.port());

        assertThat(a.status()).as("%s", a).isBetween(400, 499);
        assertThat(a.header("content-type")).as("content type of %s", a).startsWith("application/json");
        JsonNode body = json(a.body());
        assertThat(body.path("status").asInt()).as("%s", a).isEqualTo(a.status());
        assertThat(body.path("message").asText()).as("%s", a).isNotBlank();
        assertThat(body.path("requestId").asText()).as("%s", a).isNotBlank();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("methodCases")
    void a405NamesTheAllowedMethods(Hostile c) {
        Answer a = c.send(h.port());

        assertThat(a.status()).as("%s", a).isEqualTo(405);
        assertThat(a.header("allow")).as("Allow header of %s", a).isNotBlank().doesNotContain(c.method());
    }

    static Stream<Arguments> methodCases() {
        return missingMethods().stream().map(Arguments::of);
    }

    @Test
    void tooExpensiveTokensAreRefusedBeforeHashing() {
        // a cost-31 bcrypt would take days, cost 20 about a minute; the cache must not hide the cost either
        String saltAndHash = TOKEN.substring(7);
        for (String cost : new String[] {"31", "25", "20", "15"}) {
            for (int i = 0; i < 3; i++) {
                String token = "$2a$" + cost + "$" + saltAndHash.substring(0, 52) + "abcdefghi".charAt(i);
                long start = System.nanoTime();
                Answer a = RawHttp.send(h.port(), "GET", "/v1/spot/main/instances", Map.of("X-Auth-Token", token), null);
                assertThat(a.status()).as("cost %s: %s", cost, a).isEqualTo(403);
                assertThat(Harness.millisSince(start)).as("cost %s refused without hashing", cost).isLessThan(QUICK_MS);
            }
        }
    }

    // ---- helpers ----------------------------------------------------------------------------------

    private static byte[] t(String target) {
        return target.getBytes(StandardCharsets.UTF_8);
    }

    private static Map<String, String> with(Map<String, String> base, String... pairs) {
        Map<String, String> out = new LinkedHashMap<>(base);
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            out.put(pairs[i], pairs[i + 1]);
        }
        return out;
    }

    private static String shorten(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "...(" + s.length() + ")" : printable;
    }

    private static byte[] jsonObjectOfSize(int size) {
        byte[] b = new byte[size];
        Arrays.fill(b, (byte) ' ');
        byte[] head = "{\"name\":\"".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(head, 0, b, 0, head.length);
        Arrays.fill(b, head.length, size - 2, (byte) 'x');
        b[size - 2] = '"';
        b[size - 1] = '}';
        return b;
    }

    private static byte[] chunk(byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int chunk = 64 * 1024;
        for (int i = 0; i < body.length; i += chunk) {
            int n = Math.min(chunk, body.length - i);
            out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.write(body, i, n);
            out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        return out.toByteArray();
    }

    private static byte[] garbage() {
        byte[] b = new byte[512];
        new java.util.Random(42).nextBytes(b);
        b[0] = '~';
        return b;
    }

    private static JsonNode json(String body) {
        try {
            return TestService.JSON.readTree(body);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + body.substring(0, Math.min(200, body.length())), e);
        }
    }
}
