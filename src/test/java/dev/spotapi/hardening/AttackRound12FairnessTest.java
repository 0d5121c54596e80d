package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.config.TaskConfig;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.support.TestService;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * Attack round 12 (report-only): fairness between callers and orgs sharing one spot-api and one Spot account.
 * A caller or org doing legal things at a high rate must not make another's unrelated request wait far longer than
 * its own work needs, nor fail, for the length of its burst.
 */
class AttackRound12FairnessTest {

    /** Spot's hold of one cost call in these tests (the simulator's delay fault on every cost call). */
    private static final long COST_CALL_MS = 300;

    /** Org beta's deployment: its account {@code betaacct} is the same Spot account as alpha's {@code main}. */
    private static TestService beta(SpotSimulator sim, String redisUrl) {
        return TestService.replica(sim, TestService.fastSettings(), c -> {
            Map<String, AccountConfig> accounts = new LinkedHashMap<>();
            accounts.put("betaacct", new AccountConfig("us-east-1", TestService.MAIN_ID, "main-spot-token",
                    TestService.DEFAULT_VPC, sim.baseUrl()));
            return ConfigLoader.validate(new ServiceConfig("127.0.0.1:0", accounts, TestService.KEY, "info", "text",
                    "beta", 0, TestService.fastSettings())).withSharedState(new SharedStateConfig(redisUrl, 2_000))
                    .withTasks(TaskConfig.DEFAULTS);
        });
    }

    private static TestService alpha(SpotSimulator sim, String redisUrl) {
        return TestService.replica(sim, TestService.fastSettings(), c -> c.withOrg("alpha")
                .withSharedState(new SharedStateConfig(redisUrl, 2_000)));
    }

    private static String create(TestService svc, String account) {
        TestService.Reply r = svc.call("POST", "/" + account + "/instances", Harness.instanceBody(Harness.uniqueName("fair")));
        assertThat(r.status()).as("%s", r).isEqualTo(200);
        return r.json().asText();
    }

    /** One timed call without the openapi.json check: {@code [status, millis]}; the last refusal's body in {@link #LAST}. */
    private static long[] timed(TestService svc, String method, String path) {
        long start = System.nanoTime();
        TestService.Reply r = Harness.unchecked(svc.base, method, path, null, Harness.withToken(), Duration.ofSeconds(60));
        if (r.status() >= 400) {
            LAST.put(path, r.status() + " Retry-After=" + r.header("Retry-After") + " " + r.body());
        }
        return new long[] {r.status(), Harness.millisSince(start)};
    }

    private static final Map<String, String> LAST = new java.util.concurrent.ConcurrentHashMap<>();

    private static String window() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return "start=" + today + "&end=" + today.plusDays(1);
    }

    /**
     * Two orgs' deployments (alpha, beta) on one Redis and one Spot account: alpha's expiry service deletes 24 of its
     * instances at once (each delete first reads the instance's costs through the account's cost fence, ~300 ms in
     * Spot each: ~7 s of fence time). Beta's user asks for one instance's costs 300 ms into the burst. Its own work is
     * one cost call (~300 ms); a fair fence lets it in after at most a few of alpha's calls. Expected: 200 within
     * max(2 s, 4x its quiet latency).
     */
    @Test
    void anotherOrgsBurstOfDeletesDoesNotStarveThisOrgsCostReadOnTheSharedCostFence() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(TestService.MAIN_ID, "main-spot-token").start();
                TestService a = alpha(sim, redis.url());
                TestService b = beta(sim, redis.url())) {
            List<String> alphas = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                alphas.add(create(a, "main"));
            }
            String mine = create(b, "betaacct");
            String costs = "/betaacct/instances/" + mine + "/costs?" + window();
            a.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/costs\","
                    + "\"action\":\"delay\",\"delayMs\":" + COST_CALL_MS + "}");
            long quiet = 0;
            for (int i = 0; i < 3; i++) {
                long[] q = timed(b, "GET", costs);
                assertThat(q[0]).as("quiet cost read").isEqualTo(200);
                quiet = Math.max(quiet, q[1]);
            }
            ExecutorService pool = Executors.newFixedThreadPool(24);
            try {
                long burstStart = System.nanoTime();
                List<CompletableFuture<long[]>> deletes = new ArrayList<>();
                for (String id : alphas) {
                    deletes.add(CompletableFuture.supplyAsync(() -> timed(a, "DELETE", "/main/instances/" + id), pool));
                }
                Harness.pause(300);
                long[] during = timed(b, "GET", costs);
                long burstMs = 0;
                for (CompletableFuture<long[]> d : deletes) {
                    long[] r = d.join();
                    assertThat(r[0]).as("alpha's delete").isEqualTo(200);
                }
                burstMs = Harness.millisSince(burstStart);
                long[] after = timed(b, "GET", costs);
                String figures = String.format("beta's cost read: quiet max %d ms, during alpha's burst %d ms (status %d),"
                        + " after %d ms (status %d); alpha's 24 deletes took %d ms; refusal: %s", quiet, during[1], during[0],
                        after[1], after[0], burstMs, LAST.get(costs));
                System.out.println("[round12] " + figures);
                assertThat(after[0]).as(figures).isEqualTo(200);
                assertThat(during[0]).as("beta's read must not fail for alpha's burst: " + figures).isEqualTo(200);
                assertThat(during[1]).as("beta waits a few of alpha's cost calls, not alpha's whole burst: " + figures)
                        .isLessThanOrEqualTo(Math.max(2_000, 4 * quiet));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Creates {@code n} instances on {@code main}, then starts deleting them all at once on {@code pool}. */
    private static List<CompletableFuture<long[]>> deleteBurst(Harness h, ExecutorService pool, int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(h.createInstance());
        }
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/costs\",\"action\":\"delay\",\"delayMs\":"
                + COST_CALL_MS + "}");
        List<CompletableFuture<long[]>> deletes = new ArrayList<>();
        for (String id : ids) {
            deletes.add(CompletableFuture.supplyAsync(() -> timed(h.svc, "DELETE", "/main/instances/" + id), pool));
        }
        return deletes;
    }

    /**
     * One deployment: the portal's expiry service deletes 30 instances at once (each delete reads the instance's costs
     * first, ~300 ms each in Spot, through the account's one cost fence, waiting up to 60 s for it). A user's page asks
     * for one other instance's costs 300 ms later: its work is one ~300 ms cost call. The fence is first come, first
     * served, so the user waits behind every queued delete, and past {@code spot.deadlineMs} (8 s here) is refused.
     * Expected: the user's read served within max(2 s, 4x its quiet latency), as an interleaving of callers would.
     */
    @Test
    void aBurstOfDeletesInOneDeploymentDoesNotStarveAUsersCostRead() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(30);
        try (Harness h = Harness.start(Harness.quick())) {
            String mine = h.createInstance();
            String costs = "/main/instances/" + mine + "/costs?" + window();
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/costs\",\"action\":\"delay\",\"delayMs\":"
                    + COST_CALL_MS + "}");
            long quiet = 0;
            for (int i = 0; i < 3; i++) {
                long[] q = timed(h.svc, "GET", costs);
                assertThat(q[0]).as("quiet cost read").isEqualTo(200);
                quiet = Math.max(quiet, q[1]);
            }
            long burstStart = System.nanoTime();
            List<CompletableFuture<long[]>> deletes = deleteBurst(h, pool, 30);
            Harness.pause(300);
            long[] during = timed(h.svc, "GET", costs);
            for (CompletableFuture<long[]> d : deletes) {
                assertThat(d.join()[0]).as("the expiry service's delete").isEqualTo(200);
            }
            long burstMs = Harness.millisSince(burstStart);
            long[] after = timed(h.svc, "GET", costs);
            String figures = String.format("user's cost read: quiet max %d ms, during the 30-delete burst %d ms (status %d),"
                    + " after %d ms (status %d); the burst took %d ms; refusal: %s", quiet, during[1], during[0], after[1],
                    after[0], burstMs, LAST.get(costs));
            System.out.println("[round12] " + figures);
            assertThat(after[0]).as(figures).isEqualTo(200);
            assertThat(during[0]).as("the user's read must not fail for the burst: " + figures).isEqualTo(200);
            assertThat(during[1]).as("the user waits a few of the burst's cost calls, not all of them: " + figures)
                    .isLessThanOrEqualTo(Math.max(2_000, 4 * quiet));
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The refusal a cost read gets when the account's cost fence stays busy past its deadline (a burst of deletes did
     * that before the deletes took their turns one at a time; here one cost call Spot holds 8 s, past the 5 s
     * deadline, three of them queued ahead): it is a read waiting for other cost calls, so the answer must say so (not "an earlier change to the
     * same object has not been answered by Spot yet; this change was not sent"), carry {@code Retry-After}, and be a
     * status openapi.json declares for the route (TestService checks every reply against it).
     */
    @Test
    void aCostReadRefusedForABusyCostFenceSaysWhyAndIsInTheContract() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (Harness h = Harness.start(TestService.fastSettings())) {
            String mine = h.createInstance();
            String other = h.createInstance();
            String costs = "/main/instances/" + mine + "/costs?" + window();
            for (int round = 0; round < 2; round++) {
                h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/" + other + "/costs\","
                        + "\"action\":\"delay\",\"delayMs\":8000,\"count\":30}");
                // three slow cost calls ahead of it: each holds the fence until its own deadline
                List<CompletableFuture<TestService.Reply>> holders = new java.util.ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    holders.add(CompletableFuture.supplyAsync(() -> Harness.unchecked(h.svc.base, "GET",
                            "/main/instances/" + other + "/costs?" + window(), null, Harness.withToken(),
                            Duration.ofSeconds(60)), pool));
                    Harness.pause(150);
                }
                if (round == 0) {
                    TestService.Reply r = Harness.unchecked(h.svc.base, "GET", costs, null, Harness.withToken(),
                            Duration.ofSeconds(60));
                    System.out.println("[round12] refused cost read: " + r.status() + " Retry-After="
                            + r.header("Retry-After") + " " + r.body());
                    assertThat(r.status()).as("precondition: the fence stayed busy past the deadline: %s", r).isEqualTo(409);
                    assertThat(r.header("Retry-After")).as("%s", r).isNotNull();
                    assertThat(r.body()).as("a read is not a change; the message must name the busy cost calls")
                            .doesNotContain("change").contains("cost calls");
                } else {
                    // the same refusal through the contract-checked client: its status must be one openapi.json declares
                    assertThat(h.svc.call("GET", costs, null).status()).isEqualTo(409);
                }
                for (CompletableFuture<TestService.Reply> holder : holders) {
                    holder.get(60, java.util.concurrent.TimeUnit.SECONDS);
                }
                h.svc.sim("DELETE", "/_sim/faults", null);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A chunked request (no Content-Length: what streaming HTTP clients send) with the valid token; its status. */
    private static int chunked(java.net.http.HttpClient client, String url, String method, String body) {
        java.net.http.HttpResponse<String> r = chunkedReply(client, url, method, body);
        return r == null ? -1 : r.statusCode();
    }

    /** {@link #chunked}, the whole reply (null when the exchange failed). */
    private static java.net.http.HttpResponse<String> chunkedReply(java.net.http.HttpClient client, String url,
            String method, String body) {
        try {
            var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(60))
                    .header("X-Auth-Token", TestService.TOKEN).header("Content-Type", "application/json")
                    .method(method, java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                            () -> new java.io.ByteArrayInputStream(body.getBytes(java.nio.charset.StandardCharsets.UTF_8))))
                    .build();
            return client.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * One caller sends ordinary instance creates (~300-byte bodies) with chunked transfer encoding, which streaming
     * HTTP clients use (Java's {@code BodyPublishers.ofInputStream}, Go's {@code io.Pipe}, Node streams), while Spot
     * takes 4 s over each create: 70 of them at once, ~20 KB of bodies in all. Another caller whose client also sends
     * chunked bodies creates an elastigroup (another route and object). Each chunked body reserves the largest body
     * (1 MiB) of the process's body budget (64 MiB with the test JVM's heap) for its whole request, Spot's time
     * included, so 63 such requests in flight refuse every other chunked request. Expected: the other caller's create
     * served (200) in about its quiet time, since the bytes actually held are a three-thousandth of the budget.
     */
    @Test
    void chunkedCreatesWaitingOnASlowSpotDoNotUseUpTheBodyBudgetOfEveryOtherCaller() throws Exception {
        SpotClientSettings slowOk = new SpotClientSettings(2_000, 10_000, 15_000, 3, 20, 200, 0, 100, 300);
        long maxBody = 1_048_576;
        long capacity = Math.max(maxBody + 1, Math.min(64L << 20, Runtime.getRuntime().maxMemory() / 8));
        int noisy = 70;
        ExecutorService pool = Executors.newFixedThreadPool(noisy);
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build(); // its own executor: send blocks ours
        try (Harness h = Harness.start(slowOk)) {
            long quiet = 0;
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                var q = chunkedReply(client, h.svc.base + "/main/elastigroups", "POST",
                        Harness.groupBody(Harness.uniqueName("quiet")).toString());
                assertThat(q.statusCode()).as("quiet chunked create: %s", q.body()).isEqualTo(200);
                quiet = Math.max(quiet, Harness.millisSince(start));
            }
            h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"delay\",\"delayMs\":4000,"
                    + "\"count\":" + noisy + "}");
            List<CompletableFuture<Integer>> burst = new ArrayList<>();
            int bodyBytes = 0;
            for (int i = 0; i < noisy; i++) {
                String body = Harness.instanceBody(Harness.uniqueName("chunk")).toString();
                bodyBytes += body.length();
                burst.add(CompletableFuture.supplyAsync(() -> chunked(client, h.svc.base + "/main/instances", "POST", body), pool));
            }
            Harness.pause(1_500);
            long start = System.nanoTime();
            var during = chunkedReply(client, h.svc.base + "/main/elastigroups", "POST",
                    Harness.groupBody(Harness.uniqueName("victim")).toString());
            long duringMs = Harness.millisSince(start);
            List<Integer> statuses = burst.stream().map(CompletableFuture::join).toList();
            var after = chunkedReply(client, h.svc.base + "/main/elastigroups", "POST",
                    Harness.groupBody(Harness.uniqueName("after")).toString());
            String figures = String.format("victim's group create: quiet max %d ms; during %d chunked creates (%d body bytes"
                    + " in all, budget %d bytes) %d ms status %d Retry-After %s body %s; after: %d; the burst's statuses %s",
                    quiet, noisy, bodyBytes, capacity, duringMs, during.statusCode(),
                    during.headers().firstValue("Retry-After").orElse(null), during.body(), after.statusCode(), statuses.stream().collect(java.util.stream.Collectors.groupingBy(x -> x,
                            java.util.stream.Collectors.counting())));
            System.out.println("[round12] " + figures);
            assertThat(after.statusCode()).as(figures).isEqualTo(200);
            assertThat(during.statusCode()).as("20 KB of bodies must not fill a 64 MiB body budget: " + figures)
                    .isEqualTo(200);
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * (Held, expected to pass) Two orgs' deployments on one Redis and one Spot account: Spot throttles alpha's status
     * reads ({@code 429}, {@code Retry-After: 30}). Beta's reads of another route (its instance, its list) and alpha's
     * own other routes go on at once; only the throttled route waits, and it says for how long.
     */
    @Test
    void oneOrgsSpotHoldOnOneRouteDoesNotHoldAnotherOrgsOtherRoutes() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(TestService.MAIN_ID, "main-spot-token").start();
                TestService a = alpha(sim, redis.url());
                TestService b = beta(sim, redis.url())) {
            String alphas = create(a, "main");
            String betas = create(b, "betaacct");
            a.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\","
                    + "\"action\":\"status\",\"status\":429,\"retryAfter\":30,\"count\":1}");
            long[] held = timed(a, "GET", "/main/instances/" + alphas + "/status");
            assertThat(held[0]).as("alpha's status route is throttled").isEqualTo(429);
            String refusal = LAST.get("/main/instances/" + alphas + "/status");
            long[] betaRead = timed(b, "GET", "/betaacct/instances/" + betas);
            long[] betaList = timed(b, "GET", "/betaacct/instances");
            long[] alphaRead = timed(a, "GET", "/main/instances/" + alphas);
            String figures = String.format("alpha's status read %d in %d ms (%s); beta's read %d in %d ms, beta's list %d in"
                    + " %d ms, alpha's read %d in %d ms", held[0], held[1], refusal, betaRead[0], betaRead[1], betaList[0],
                    betaList[1], alphaRead[0], alphaRead[1]);
            System.out.println("[round12] " + figures);
            assertThat(refusal).as(figures).containsPattern("Retry-After=([1-9]|[12][0-9]|30) ");
            assertThat(new long[] {betaRead[0], betaList[0], alphaRead[0]}).as(figures).containsOnly(200L);
            assertThat(Math.max(betaRead[1], Math.max(betaList[1], alphaRead[1]))).as(figures).isLessThan(2_000);
        }
    }

    /**
     * The same two orgs and burst as {@link #anotherOrgsBurstOfDeletesDoesNotStarveThisOrgsCostReadOnTheSharedCostFence},
     * with beta's portal cost service asking for the roll-up of a space holding one of beta's instances (one cost call
     * of its own). Expected: a complete roll-up (200, no {@code X-Cost-Partial}/{@code X-Cost-Missing}) within
     * max(2 s, 4x its quiet latency).
     */
    @Test
    void anotherOrgsBurstOfDeletesDoesNotStarveThisOrgsSpaceRollUp() throws Exception {
        try (RedisProcess redis = RedisProcess.start();
                SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(Duration.ZERO)
                        .account(TestService.MAIN_ID, "main-spot-token").start();
                TestService a = alpha(sim, redis.url());
                TestService b = beta(sim, redis.url())) {
            List<String> alphas = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                alphas.add(create(a, "main"));
            }
            String space = "space-" + System.nanoTime();
            TestService.Reply made = b.call("POST", "/betaacct/instances",
                    Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")), "spinup:spaceid", space));
            assertThat(made.status()).as("%s", made).isEqualTo(200);
            String rollUp = "/betaacct/costs?" + window() + "&space=" + space + "&groupBy=resource";
            a.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/costs\","
                    + "\"action\":\"delay\",\"delayMs\":" + COST_CALL_MS + "}");
            long quiet = 0;
            for (int i = 0; i < 3; i++) {
                long start = System.nanoTime();
                TestService.Reply q = Harness.unchecked(b.base, "GET", rollUp, null, Harness.withToken(), Duration.ofSeconds(60));
                assertThat(q.status()).as("quiet roll-up: %s", q).isEqualTo(200);
                assertThat(q.header("X-Cost-Partial")).as("quiet roll-up: %s", q).isNull();
                quiet = Math.max(quiet, Harness.millisSince(start));
            }
            ExecutorService pool = Executors.newFixedThreadPool(24);
            try {
                long burstStart = System.nanoTime();
                List<CompletableFuture<long[]>> deletes = new ArrayList<>();
                for (String id : alphas) {
                    deletes.add(CompletableFuture.supplyAsync(() -> timed(a, "DELETE", "/main/instances/" + id), pool));
                }
                Harness.pause(300);
                long start = System.nanoTime();
                TestService.Reply during = Harness.unchecked(b.base, "GET", rollUp, null, Harness.withToken(),
                        Duration.ofSeconds(60));
                long duringMs = Harness.millisSince(start);
                deletes.forEach(CompletableFuture::join);
                long burstMs = Harness.millisSince(burstStart);
                TestService.Reply after = Harness.unchecked(b.base, "GET", rollUp, null, Harness.withToken(),
                        Duration.ofSeconds(60));
                String figures = String.format("beta's space roll-up: quiet max %d ms; during alpha's 24 deletes %d ms,"
                        + " status %d, X-Cost-Partial %s, X-Cost-Missing %s, body %.300s; after: %d partial %s; burst %d ms",
                        quiet, duringMs, during.status(), during.header("X-Cost-Partial"), during.header("X-Cost-Missing"),
                        during.body(), after.status(), after.header("X-Cost-Partial"), burstMs);
                System.out.println("[round12] " + figures);
                assertThat(after.status()).as(figures).isEqualTo(200);
                assertThat(during.status()).as(figures).isEqualTo(200);
                assertThat(during.header("X-Cost-Partial")).as("complete, not partial: " + figures).isNull();
                assertThat(during.header("X-Cost-Missing")).as("complete, not missing: " + figures).isNull();
                assertThat(duringMs).as(figures).isLessThanOrEqualTo(Math.max(2_000, 4 * quiet));
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /**
     * (Held, expected to pass) One caller fills its org's {@code tasks.maxQueue} (3 here) with async creates whose
     * tasks stay open (each instance's status read held 3 s in Spot). Another caller's async create is refused at once
     * (503) with a {@code Retry-After} and a way out (the same request without {@code Prefer: respond-async}, which is
     * served); once the first caller's tasks end, the other's async create is accepted again (202) within a second.
     */
    @Test
    void aBurstOfAsyncTasksFillingMaxQueueRefusesOthersClearlyAndOnlyWhileItLasts() throws Exception {
        TaskConfig tasks = TaskConfig.DEFAULTS.with(20, 10, 3, 2, 120, Map.of());
        try (Harness h = Harness.start(Harness.quick(), c -> c.withTasks(tasks))) {
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*/status\",\"action\":\"delay\","
                    + "\"delayMs\":3000,\"count\":3}");
            Map<String, String> async = Harness.withToken("Prefer", "respond-async");
            List<String> noisy = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                TestService.Reply r = Harness.unchecked(h.svc.base, "POST", "/main/instances",
                        Harness.instanceBody(Harness.uniqueName("noisy")).toString(), async, Duration.ofSeconds(30));
                assertThat(r.status()).as("the noisy caller's task %d: %s", i, r).isEqualTo(202);
                noisy.add(r.header("X-Flywheel-Task"));
            }
            TestService.Reply refused = Harness.unchecked(h.svc.base, "POST", "/main/instances",
                    Harness.instanceBody(Harness.uniqueName("victim")).toString(), async, Duration.ofSeconds(30));
            long syncStart = System.nanoTime();
            TestService.Reply sync = Harness.unchecked(h.svc.base, "POST", "/main/instances",
                    Harness.instanceBody(Harness.uniqueName("victim")).toString(), Harness.withToken(), Duration.ofSeconds(30));
            long syncMs = Harness.millisSince(syncStart);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
            long endedAt = 0;
            while (System.nanoTime() < deadline) {
                boolean open = false;
                for (String t : noisy) {
                    String st = h.svc.call("GET", "/flywheel?task=" + t, null).json().path(t).path("status").asText();
                    open |= !st.matches("completed|failed");
                }
                if (!open) {
                    endedAt = System.nanoTime();
                    break;
                }
                Harness.pause(50);
            }
            assertThat(endedAt).as("the noisy tasks ended").isPositive();
            TestService.Reply again = null;
            long acceptedMs = -1;
            while (Harness.millisSince(endedAt) < 5_000) {
                again = Harness.unchecked(h.svc.base, "POST", "/main/instances",
                        Harness.instanceBody(Harness.uniqueName("again")).toString(), async, Duration.ofSeconds(30));
                if (again.status() == 202) {
                    acceptedMs = Harness.millisSince(endedAt);
                    break;
                }
                Harness.pause(100);
            }
            String figures = String.format("victim's async create during the burst %d Retry-After %s (%s); its sync create"
                    + " %d in %d ms; accepted again %d ms after the noisy tasks ended (%s)", refused.status(),
                    refused.header("Retry-After"), refused.body(), sync.status(), syncMs, acceptedMs, again);
            System.out.println("[round12] " + figures);
            assertThat(refused.status()).as(figures).isEqualTo(503);
            assertThat(refused.header("Retry-After")).as(figures).isNotNull();
            assertThat(sync.status()).as(figures).isEqualTo(200);
            assertThat(acceptedMs).as(figures).isBetween(0L, 1_000L);
        }
    }

    /**
     * One caller keeps 320 reads of distinct instance ids in flight while Spot takes 2.5 s over each of them (a slow
     * Spot route; distinct ids, so no read sharing). Another caller lists its account's elastigroups (another Spot
     * route, ~20 ms). Expected: the list within max(1 s, 4x its quiet latency); the same list sent straight to the
     * simulator at the same time is the control (the simulator itself is not the bottleneck).
     */
    @Test
    void manySlowReadsOfOneCallerDoNotHoldAnotherCallersFastRoute() throws Exception {
        try (Harness h = Harness.start(Harness.quick())) {
            h.createGroup();
            long quiet = 0;
            for (int i = 0; i < 5; i++) {
                long[] q = timed(h.svc, "GET", "/main/elastigroups");
                assertThat(q[0]).isEqualTo(200);
                quiet = Math.max(quiet, q[1]);
            }
            h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"delay\",\"delayMs\":2500,"
                    + "\"count\":320}");
            java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                    .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
            List<CompletableFuture<Integer>> burst = new ArrayList<>();
            java.util.Random random = new java.util.Random(12);
            for (int i = 0; i < 320; i++) {
                String id = String.format("smi-%08x", random.nextInt());
                var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create(h.svc.base + "/main/instances/" + id))
                        .timeout(Duration.ofSeconds(60)).header("X-Auth-Token", TestService.TOKEN).GET().build();
                burst.add(client.sendAsync(req, java.net.http.HttpResponse.BodyHandlers.discarding())
                        .thenApply(java.net.http.HttpResponse::statusCode).exceptionally(t -> -1));
            }
            Harness.pause(700);
            long rawStart = System.nanoTime();
            TestService.Reply raw = h.svc.sim("GET", "/aws/ec2/group?accountId=" + TestService.MAIN_ID, null);
            long rawMs = Harness.millisSince(rawStart);
            long[] during = timed(h.svc, "GET", "/main/elastigroups");
            List<Integer> statuses = burst.stream().map(CompletableFuture::join).toList();
            long[] after = timed(h.svc, "GET", "/main/elastigroups");
            String figures = String.format("victim's group list: quiet max %d ms; during 320 slow reads %d ms (status %d),"
                    + " the same list straight to the simulator %d ms (status %d); after %d ms; the burst's statuses %s",
                    quiet, during[1], during[0], rawMs, raw.status(), after[1], statuses.stream().collect(
                            java.util.stream.Collectors.groupingBy(x -> x, java.util.stream.Collectors.counting())));
            System.out.println("[round12] " + figures);
            assertThat(during[0]).as(figures).isEqualTo(200);
            // against the simulator's own answer at the same moment too: on a loaded machine (a fresh-clone run beside
            // other work) the direct list took 573 ms and ours 1,131 (owner's change); before the fix: 2.1 s against 30-85
            assertThat(during[1]).as(figures).isLessThanOrEqualTo(Math.max(1_000, Math.max(4 * quiet, 2 * rawMs + 200)));
        }
    }
}
