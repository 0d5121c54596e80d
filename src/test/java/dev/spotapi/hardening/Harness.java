package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hardening tests' own simulator + spot-api pair (never {@link TestService#shared()}: these tests
 * inject faults), with helpers to inject faults, read the simulator's request log, create objects
 * through spot-api and check spot-api's error bodies.
 */
final class Harness implements AutoCloseable {
    static final String MAIN_ID = TestService.MAIN_ID;
    static final String GROUPS = "/aws/ec2/group";
    static final String INSTANCES = "/aws/ec2/managedInstance";
    private static final AtomicLong NAMES = new AtomicLong();

    final TestService svc;
    final SpotClientSettings settings;

    private Harness(TestService svc, SpotClientSettings settings) {
        this.svc = svc;
        this.settings = settings;
    }

    static Harness start(SpotClientSettings settings) {
        return new Harness(TestService.start(settings), settings);
    }

    /** A pair whose spot-api config is changed by {@code adjust} (auth and HTTP limits, shared state, idempotency). */
    static Harness start(SpotClientSettings settings, java.util.function.UnaryOperator<dev.spotapi.config.ServiceConfig> adjust) {
        return new Harness(TestService.start(settings, adjust), settings);
    }

    /** Fast task settings: 20 ms polls, 50 running, 100 open, lease 2 s, stale 300 s, default deadlines. */
    static dev.spotapi.config.TaskConfig fastTasks() {
        return dev.spotapi.config.TaskConfig.DEFAULTS.with(20, 50, 100, 2, 300, Map.of());
    }

    /** A harness around an existing service (e.g. a replica). */
    static Harness of(TestService svc, SpotClientSettings settings) {
        return new Harness(svc, settings);
    }

    /**
     * Small timeouts and backoffs: connect 2 s, attempt 3 s, deadline 8 s, 3 attempts, backoff 20..200 ms,
     * no rate budget, a 100 ms Spot rate window (the hold after a Spot 429 without Retry-After), and a
     * 300 ms orphan search (two looks for the correlation tag: OrphanRecoveryTest covers the search itself,
     * these tests only the answer after it).
     */
    static SpotClientSettings quick() {
        return new SpotClientSettings(2_000, 3_000, 8_000, 3, 20, 200, 0, 100, 300);
    }

    @Override
    public void close() {
        svc.close();
    }

    int port() {
        return svc.api.port();
    }

    // ---- calls to spot-api ------------------------------------------------------------------------

    Reply call(String method, String path, Object body) {
        return svc.call(method, path, body);
    }

    Reply get(String path) {
        return svc.call("GET", path, null);
    }

    /** A call with the valid token and a chosen X-Request-Id. */
    Reply callWithRequestId(String method, String path, Object body, String requestId) {
        return svc.call(method, path, body, Map.of("X-Auth-Token", TestService.TOKEN, "X-Request-Id", requestId));
    }

    // ---- the simulator ----------------------------------------------------------------------------

    void reset() {
        svc.resetSimulator();
    }

    void fault(String json) {
        Reply r = svc.sim("POST", "/_sim/faults", json);
        assertThat(r.status()).as("adding fault %s: %s", json, r.body()).isEqualTo(200);
    }

    void clearFaults() {
        assertThat(svc.sim("DELETE", "/_sim/faults", null).status()).isEqualTo(200);
    }

    /**
     * Waits (at most 30 s) until the simulator handles no request but this one: e.g. requests a delay
     * fault still holds have finished, so what they change in Spot is in the stored state.
     */
    void awaitSimulatorIdle() throws InterruptedException {
        long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        int active;
        do {
            Reply r = svc.sim("GET", "/_sim/requests?limit=1", null);
            assertThat(r.status()).as("GET /_sim/requests: %s", r.body()).isEqualTo(200);
            active = r.json().path("inProgress").asInt(-1);
            assertThat(active).as("inProgress in %s", r.body()).isNotNegative();
            if (active == 0) {
                return;
            }
            Thread.sleep(20);
        } while (System.nanoTime() < end);
        throw new AssertionError(active + " simulator requests still in progress after 30 s");
    }

    void clearRequestLog() {
        assertThat(svc.sim("DELETE", "/_sim/requests", null).status()).isEqualTo(200);
    }

    /** Every Spot API request the simulator received (oldest first; the log keeps the last 1000). */
    List<JsonNode> spotRequests() {
        Reply r = svc.sim("GET", "/_sim/requests?limit=1000", null);
        assertThat(r.status()).as("GET /_sim/requests: %s", r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().path("requests").forEach(out::add);
        return out;
    }

    /** The requests with this method and exactly this path. */
    List<JsonNode> spotRequests(String method, String exactPath) {
        return spotRequests().stream()
                .filter(e -> method.equals(e.path("method").asText()) && exactPath.equals(e.path("path").asText()))
                .toList();
    }

    int countSpotRequests(String method, String exactPath) {
        return spotRequests(method, exactPath).size();
    }

    static Instant time(JsonNode logEntry) {
        return Instant.parse(logEntry.path("time").asText());
    }

    /** The simulator's stored object (null when it does not exist), read straight from its Spot API. */
    JsonNode stored(String basePath, String id) {
        Reply r = svc.sim("GET", basePath + "/" + id + "?accountId=" + MAIN_ID, null);
        if (r.status() == 404 || r.status() == 400) {
            return null;
        }
        assertThat(r.status()).as("simulator read of %s: %s", id, r.body()).isEqualTo(200);
        JsonNode item = r.json().path("response").path("items").path(0);
        return item.isMissingNode() ? null : item;
    }

    /** Everything of one kind the simulator holds for account main, read straight from its Spot API. */
    List<JsonNode> storedAll(String basePath) {
        Reply r = svc.sim("GET", basePath + "?accountId=" + MAIN_ID, null);
        assertThat(r.status()).as("simulator list of %s: %s", basePath, r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.json().path("response").path("items").forEach(out::add);
        return out;
    }

    /** The name of a listed item, flat or {@code config}-wrapped. */
    static String nameOf(JsonNode item) {
        JsonNode config = item.get("config");
        return (config != null && config.has("name") ? config : item).path("name").asText(null);
    }

    // ---- creating through spot-api ----------------------------------------------------------------

    static String uniqueName(String prefix) {
        return prefix + "-" + System.nanoTime() % 1_000_000 + "-" + NAMES.incrementAndGet();
    }

    private static final java.net.http.HttpClient UNCHECKED = java.net.http.HttpClient.newHttpClient();

    /**
     * A call to spot-api at {@code base} ({@code http://127.0.0.1:PORT/v1/spot}) without TestService's openapi.json
     * check, every header kept (a JSON body gets its Content-Type); waits at most {@code timeout}.
     */
    static Reply unchecked(String base, String method, String path, String body, Map<String, String> headers,
            java.time.Duration timeout) {
        try {
            var b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + path)).timeout(timeout)
                    .method(method, body == null ? java.net.http.HttpRequest.BodyPublishers.noBody()
                            : java.net.http.HttpRequest.BodyPublishers.ofString(body));
            headers.forEach(b::header);
            if (body != null) {
                b.header("Content-Type", "application/json");
            }
            var r = UNCHECKED.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers().map());
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@link #unchecked(String, String, String, String, Map, java.time.Duration)} on {@code port}, 30 s. */
    static Reply unchecked(int port, String method, String path, String body, Map<String, String> headers) {
        return unchecked("http://127.0.0.1:" + port + "/v1/spot", method, path, body, headers,
                java.time.Duration.ofSeconds(30));
    }

    /** The token's header and {@code pairs} (name, value, name, value...). */
    static Map<String, String> withToken(String... pairs) {
        Map<String, String> m = new java.util.HashMap<>();
        m.put("X-Auth-Token", TestService.TOKEN);
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    /** Sleeps {@code ms}; an interrupt ends it early (and stays set). */
    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An admin call to {@code svc}'s simulator that must answer 200. */
    static void simOk(TestService svc, String method, String path, String body) {
        Reply r = svc.sim(method, path, body);
        assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isEqualTo(200);
    }

    /** Freezes {@code svc}'s simulator clock; its UTC day. */
    static java.time.LocalDate frozenToday(TestService svc) {
        simOk(svc, "POST", "/_sim/clock/set", "{\"frozen\": true}");
        return Instant.parse(svc.sim("GET", "/_sim/clock", null).json().path("now").asText())
                .atZone(java.time.ZoneOffset.UTC).toLocalDate();
    }

    /** {@code body} with one more tag in {@code compute.launchSpecification.tags} (changed in place). */
    static ObjectNode tagged(ObjectNode body, String key, String value) {
        ((ObjectNode) body.path("compute").path("launchSpecification")).withArray("tags")
                .addObject().put("tagKey", key).put("tagValue", value);
        return body;
    }

    /** PUT of a group's capacity target alone ({@code {"capacity": {"target": N}}}) through this harness's service. */
    TestService.Reply setTarget(String id, int target) {
        return call("PUT", "/main/elastigroups/" + id, TestService.json("{\"capacity\": {\"target\": " + target + "}}"));
    }

    /** Waits (at most 5 s) until the simulator has seen {@code count} {@code method path} requests; fails otherwise. */
    void awaitSpotRequests(String method, String path, int count) throws InterruptedException {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (countSpotRequests(method, path) < count && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertThat(countSpotRequests(method, path)).isGreaterThanOrEqualTo(count);
    }

    /**
     * A replica of the service on {@code sim} sharing the Redis at {@code redisUrl} (timeout 2 s), with tasks polled
     * every 50 ms (10 running, 100 open, lease 2 s) and an instance power task's deadline of 12 s.
     */
    static TestService taskReplica(dev.spotapi.sim.SpotSimulator sim, String redisUrl) {
        dev.spotapi.config.TaskConfig tasks = dev.spotapi.config.TaskConfig.DEFAULTS.with(50, 10, 100, 2, 120,
                Map.of("instancePower", 12L));
        dev.spotapi.config.SharedStateConfig shared = new dev.spotapi.config.SharedStateConfig(redisUrl, 2_000);
        return TestService.replica(sim, TestService.fastSettings(), c -> c.withSharedState(shared).withTasks(tasks));
    }

    /** A step of a test scenario that may throw. */
    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /**
     * Two replicas' writes to one group: A's PUT (target 3) held {@code delayMs} by Spot, then {@code between} (Redis
     * losing the lease), then B's PUT (target 1). The fence's promise: B's is answered 200 and is the last, or 409 and
     * not sent. Answers the group's id.
     */
    static String olderWriteAgainstNewer(Harness a, Harness b, int delayMs, Step between) throws Exception {
        String id = a.createGroup(); // target 2
        a.clearRequestLog();
        a.fault("{\"method\":\"PUT\",\"path\":\"" + GROUPS + "/*\",\"action\":\"delay\",\"delayMs\":" + delayMs
                + ",\"count\":1}");
        java.util.concurrent.CompletableFuture<Reply> first = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> a.setTarget(id, 3));
        a.awaitSpotRequests("PUT", GROUPS + "/" + id, 1);
        between.run();
        Reply second = b.setTarget(id, 1);
        Reply older = first.get(15, java.util.concurrent.TimeUnit.SECONDS);
        a.awaitSimulatorIdle();
        if (second.status() == 200) {
            assertThat(a.stored(GROUPS, id).path("capacity").path("target").asInt())
                    .as("B's PUT was answered 200 while A's (answered %d) was still in Spot: B's must be the last",
                            older.status())
                    .isEqualTo(1);
        } else {
            assertThat(second.status()).as(second.body()).isEqualTo(409);
            assertThat(a.countSpotRequests("PUT", GROUPS + "/" + id)).as("B's 409 not sent").isEqualTo(1);
        }
        return id;
    }

    /** Waits (at most 15 s) until {@code svc}'s health says its shared state (Redis) is up; fails otherwise. */
    static void awaitSharedStateUp(TestService svc) throws InterruptedException {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < until) {
            TestService.Reply health = svc.call("GET", "/health", null, java.util.Map.of());
            if ("UP".equals(health.json().path("components").path("sharedState").path("status").asText())) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the shared state did not come back up");
    }

    /**
     * {@code send}'s reply once it is not a 503 (at most 10 s, every 250 ms): for a keyed request right after Redis lost
     * its data, while the replicas write back what they held ({@code RedisSharedState.RECOVERY_MS}).
     */
    static TestService.Reply untilNot503(java.util.function.Supplier<TestService.Reply> send) {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
        TestService.Reply r = send.get();
        while (r.status() == 503 && System.nanoTime() < until) {
            pause(250);
            r = send.get();
        }
        return r;
    }

    /**
     * A managed instance of {@code space} (in account {@code main}) that ran 20 h of the simulator's clock, then,
     * after {@code beforeDelete}, deleted: answers its cost from the first day {@code first}, checked positive before
     * the delete and counted by a roll-up of a new window after it (the cost ledger).
     */
    static java.math.BigDecimal deletedAfterRunning(Harness h, java.time.LocalDate first, String space,
            Runnable beforeDelete) {
        ObjectNode body = instanceBody(uniqueName("mi"));
        tagged(body, "spinup:spaceid", space);
        Reply made = h.call("POST", "/main/instances", body);
        assertThat(made.status()).as(made.body()).isEqualTo(200);
        String instance = made.json().isTextual() ? made.json().asText() : made.json().path("id").asText();
        simOk(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 20}");
        Reply before = h.get("/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space);
        java.math.BigDecimal cost = costTotal(before.json());
        assertThat(cost).as(before.body()).isPositive();
        beforeDelete.run();
        Reply deleted = h.call("DELETE", "/main/instances/" + instance, null);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        Reply afterDelete = h.get("/main/costs?start=" + first + "&end=" + first.plusDays(4) + "&space="
                + space);
        assertThat(costTotal(afterDelete.json())).as("counted after the delete: %s",
                afterDelete.body()).isEqualByComparingTo(cost);
        return cost;
    }

    /** The sum of {@code Total.UnblendedCost.Amount} over a cost roll-up's periods (USD). */
    static java.math.BigDecimal costTotal(JsonNode periods) {
        java.math.BigDecimal sum = java.math.BigDecimal.ZERO;
        for (JsonNode p : periods) {
            sum = sum.add(new java.math.BigDecimal(p.path("Total").path("UnblendedCost").path("Amount").asText("0")));
        }
        return sum;
    }

    static ObjectNode groupBody(String name) {
        ObjectNode body = TestService.json("""
                {"name": "x", "region": "us-east-1",
                 "capacity": {"minimum": 1, "maximum": 3, "target": 2, "unit": "instance"},
                 "strategy": {"risk": 100, "availabilityVsCost": "balanced"},
                 "compute": {"product": "Linux/UNIX",
                   "instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro"]},
                   "availabilityZones": [{"name": "us-east-1a", "subnetId": "subnet-0123"}],
                   "launchSpecification": {"imageId": "ami-0123", "securityGroupIds": ["sg-0123"]}}}""");
        body.put("name", name);
        return body;
    }

    static ObjectNode instanceBody(String name) {
        ObjectNode body = TestService.json("""
                {"name": "x", "region": "us-east-1",
                 "compute": {"product": "Linux/UNIX", "subnetIds": ["subnet-0123"], "vpcId": "vpc-0123",
                   "launchSpecification": {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro"]},
                     "imageId": "ami-0123", "tags": [{"tagKey": "CreatedBy", "tagValue": "hardening"}]}}}""");
        body.put("name", name);
        return body;
    }

    String createGroup() {
        Reply r = call("POST", "/main/elastigroups", groupBody(uniqueName("grp")));
        assertThat(r.status()).as("create elastigroup: %s", r.body()).isEqualTo(200);
        return r.json().path("id").asText();
    }

    /** A running EC2 instance the simulator holds for the main account (to import); its id. */
    String ec2Instance() {
        Reply ec2 = svc.sim("POST", "/_sim/ec2Instances", "{\"accountId\": \"" + MAIN_ID + "\", \"region\": \"us-east-1\"}");
        org.assertj.core.api.Assertions.assertThat(ec2.status()).as(ec2.body()).isEqualTo(200);
        return ec2.json().path("id").asText();
    }

    String createInstance() {
        Reply r = call("POST", "/main/instances", instanceBody(uniqueName("mi")));
        assertThat(r.status()).as("create instance: %s", r.body()).isEqualTo(200);
        return r.json().asText();
    }

    // ---- metrics ----------------------------------------------------------------------------------

    /** The sum of a Prometheus sample over all series whose labels contain every given label pair. */
    double metric(String name, String... labelPairs) {
        Reply r = svc.call("GET", "/metrics", null, Map.of());
        assertThat(r.status()).isEqualTo(200);
        double sum = 0;
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*\\})?\\s+(\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(r.body());
        while (m.find()) {
            String labels = m.group(1) == null ? "" : m.group(1);
            boolean all = true;
            for (int i = 0; i + 1 < labelPairs.length; i += 2) {
                all &= labels.contains(labelPairs[i] + "=\"" + labelPairs[i + 1] + "\"");
            }
            if (all) {
                sum += Double.parseDouble(m.group(2));
            }
        }
        return sum;
    }

    // ---- assertions -------------------------------------------------------------------------------

    /** Markers of a Java stack trace or exception dump that must never reach a caller. */
    static final List<String> STACK_MARKERS = List.of("\tat ", "at dev.spotapi", "at io.javalin", "at org.eclipse",
            "at java.", "Exception:", "Caused by", ".java:");

    /** The reply is spot-api's JSON error body with this status; returns its message. */
    static String assertJsonError(Reply r, int status) {
        assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).as("content type of %s", r.body()).startsWith("application/json");
        JsonNode body = r.json();
        assertThat(body.isObject()).as("error body is an object: %s", r.body()).isTrue();
        assertThat(body.path("status").asInt()).as("status field of %s", r.body()).isEqualTo(status);
        assertThat(body.path("message").asText()).as("message of %s", r.body()).isNotBlank();
        assertThat(body.path("requestId").asText()).as("requestId of %s", r.body()).isNotBlank();
        assertThat(r.header("X-Request-Id")).as("X-Request-Id header").isEqualTo(body.path("requestId").asText());
        assertNoStackTrace(r.body());
        return body.path("message").asText();
    }

    static void assertNoStackTrace(String body) {
        for (String marker : STACK_MARKERS) {
            assertThat(body).as("reply body must not carry a stack trace").doesNotContain(marker);
        }
    }

    static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }
}
