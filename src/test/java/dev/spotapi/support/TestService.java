package dev.spotapi.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.SpotApi;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.sim.SpotSimulator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The service under test, running for real: a {@link SpotSimulator} on an ephemeral loopback port and
 * spot-api in front of it, called over HTTP. One instance is shared by the whole test JVM
 * ({@link #shared()}); tests that need their own (restarts, other settings) build one with {@link #start}.
 *
 * <p>Accounts: {@code main} (Spot account {@value #MAIN_ID}, defaultVPC {@value #DEFAULT_VPC}),
 * {@code other} (a second Spot account, no defaultVPC), {@code badtoken} (the main Spot account with a
 * token Spot refuses), {@code down} (an endpoint where nothing listens), {@code throttled} (a third Spot account,
 * {@value #THROTTLED_ID}, for tests whose Spot 429s hold routes: Spot's holds are kept per Spot account, so they never
 * reach the other accounts) and {@code alias} (a second name for the second Spot account: what spot-api keeps of a
 * Spot account, its deleted resources' costs, deletes and Spot's holds, is the same under both names).
 */
public final class TestService implements AutoCloseable {
    public static final String KEY = "test-pre-shared-key";
    /** A cheap (cost 4) but valid bcrypt hash of {@link #KEY}. */
    public static final String TOKEN = TokenVerifier.hash(KEY, 4);
    public static final String MAIN_ID = "act-1111aaaa";
    public static final String OTHER_ID = "act-2222bbbb";
    public static final String THROTTLED_ID = "act-3333cccc";
    public static final String DEFAULT_VPC = "vpc-default0001";
    public static final String ORG = "testorg";
    public static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The {@code @ResourceLock} key of {@link #shared()}: test classes run concurrently in one JVM, and those
     * that use the shared service (they reset its simulator, inject faults) take this lock, one at a time.
     */
    public static final String SHARED = "dev.spotapi.support.TestService.shared";

    private static TestService shared;

    public final SpotSimulator simulator;
    public final SpotApi api;
    public final String base;
    public final String simBase;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final boolean ownsSimulator;

    private TestService(SpotSimulator simulator, SpotApi api) {
        this(simulator, api, true);
    }

    private TestService(SpotSimulator simulator, SpotApi api, boolean ownsSimulator) {
        this.simulator = simulator;
        this.api = api;
        this.ownsSimulator = ownsSimulator;
        this.base = "http://127.0.0.1:" + api.port() + "/v1/spot";
        this.simBase = simulator.baseUrl();
    }

    /** The JVM's one shared service; a class that uses it says {@code @ResourceLock(TestService.SHARED)}. */
    public static synchronized TestService shared() {
        if (shared == null) {
            shared = start(fastSettings());
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close));
        }
        return shared;
    }

    /**
     * Short deadlines and backoffs so that fault tests finish quickly, and a 100 ms Spot rate window:
     * a Spot 429 without Retry-After holds its route for that long, then the retry goes through.
     */
    public static SpotClientSettings fastSettings() {
        return new SpotClientSettings(2_000, 2_000, 5_000, 3, 20, 200, 0, 100);
    }

    public static TestService start(SpotClientSettings settings) {
        return start(settings, UnaryOperator.identity());
    }

    /** A service whose config is the usual test config changed by {@code adjust} (limits, timeouts, shared state). */
    public static TestService start(SpotClientSettings settings, UnaryOperator<ServiceConfig> adjust) {
        ChildJvm.prepare(); // the child-JVM tests find their class-data-sharing archive ready
        SpotSimulator sim = simulator();
        try {
            return new TestService(sim, SpotApi.start(ConfigLoader.validate(adjust.apply(config(sim.baseUrl(), settings)))));
        } catch (RuntimeException e) {
            sim.close();
            throw e;
        }
    }

    /** A simulator with the test accounts (state transitions take no simulated time). */
    public static SpotSimulator simulator() {
        return SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO)
                .account(MAIN_ID, "main-spot-token")
                .account(OTHER_ID, "other-spot-token")
                .account(THROTTLED_ID, "throttled-spot-token")
                .start();
    }

    /**
     * One more spot-api replica in front of an existing simulator (several replicas share one Spot);
     * closing it leaves the simulator running.
     */
    public static TestService replica(SpotSimulator sim, SpotClientSettings settings, UnaryOperator<ServiceConfig> tweak) {
        return new TestService(sim, SpotApi.start(tweak.apply(config(sim.baseUrl(), settings))), false);
    }

    public static ServiceConfig config(String simBaseUrl, SpotClientSettings settings) {
        Map<String, AccountConfig> accounts = new LinkedHashMap<>();
        accounts.put("main", new AccountConfig("us-east-1", MAIN_ID, "main-spot-token", DEFAULT_VPC, simBaseUrl));
        accounts.put("other", new AccountConfig("us-east-1", OTHER_ID, "other-spot-token", null, simBaseUrl));
        accounts.put("badtoken", new AccountConfig("us-east-1", MAIN_ID, "not-the-token", null, simBaseUrl));
        accounts.put("down", new AccountConfig("us-east-1", MAIN_ID, "main-spot-token", null, "http://127.0.0.1:9"));
        accounts.put("throttled", new AccountConfig("us-east-1", THROTTLED_ID, "throttled-spot-token", null, simBaseUrl));
        accounts.put("alias", new AccountConfig("us-east-1", OTHER_ID, "other-spot-token", null, simBaseUrl));
        return ConfigLoader.validate(new ServiceConfig("127.0.0.1:0", accounts, KEY, "info", "text", ORG, 0, settings));
    }

    /** A call with the valid token. */
    public Reply call(String method, String path, Object body) {
        return call(method, path, body, Map.of("X-Auth-Token", TOKEN));
    }

    /** A call to spot-api; the reply is checked against the OpenAPI document ({@link OpenApiContract}). */
    public Reply call(String method, String path, Object body, Map<String, String> headers) {
        return send(base + path, method, body, headers, true);
    }

    /** A call straight to the simulator (its Spot API or its /_sim admin API). */
    public Reply sim(String method, String path, Object body) {
        return send(simBase + path, method, body, Map.of("Authorization", "Bearer main-spot-token"), false);
    }

    public void resetSimulator() {
        Reply r = sim("POST", "/_sim/reset", null);
        if (r.status() != 200) {
            throw new IllegalStateException("simulator reset failed: " + r);
        }
    }

    private Reply send(String url, String method, Object body, Map<String, String> headers, boolean checkContract) {
        try {
            byte[] bytes;
            if (body == null) {
                bytes = null;
            } else if (body instanceof byte[] b) {
                bytes = b;
            } else if (body instanceof String s) {
                bytes = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            } else {
                bytes = JSON.writeValueAsBytes(body);
            }
            HttpRequest.BodyPublisher publisher = bytes == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofByteArray(bytes);
            URI uri = URI.create(url);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                    .method(method, publisher);
            headers.forEach(b::header);
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (checkContract) {
                OpenApiContract.get().check(method, uri, headers, bytes, r.statusCode(), r.headers().map(), r.body());
            }
            return new Reply(r.statusCode(), r.body(), r.headers().map());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static ObjectNode json(String text) {
        try {
            return (ObjectNode) JSON.readTree(text);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        api.close();
        if (ownsSimulator) {
            simulator.close();
        }
    }

    /** An HTTP reply, with its body parsed on demand. */
    public record Reply(int status, String body, Map<String, java.util.List<String>> headers) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    /** Closes each part that is not null, in order, best effort: a failing close does not stop the others. */
    public static void closeAll(AutoCloseable... parts) {
        for (AutoCloseable c : parts) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // best effort: the test is over
            }
        }
    }
}
