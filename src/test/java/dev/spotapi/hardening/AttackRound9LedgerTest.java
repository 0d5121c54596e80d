package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Attack round 9 on the cost ledger as redesigned in round 8 ({@code cost.CostLedger}: pieces by space and month,
 * an index of spaces per month, a pending queue per replica, a 120 s wait for the cost fence). Each test asserts
 * the right behaviour: a failing one is a finding.
 */
class AttackRound9LedgerTest extends HarnessPerClass {
    private static final Map<String, String> TOKEN = Map.of("X-Auth-Token", TestService.TOKEN);

    private Reply call(String method, String path, Object body) {
        return h.svc.call(method, path, body, TOKEN);
    }

    private static void sim(TestService svc, String method, String path, String body) {
        Harness.simOk(svc, method, path, body);
    }

    private static LocalDate frozenToday(TestService svc) {
        return Harness.frozenToday(svc);
    }

    private static ObjectNode tagged(ObjectNode body, String key, String value) {
        return Harness.tagged(body, key, value);
    }

    private static String create(TestService svc, String path, ObjectNode body) {
        Reply r = svc.call("POST", path, body, TOKEN);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().isTextual() ? r.json().asText() : r.json().path("id").asText();
    }

    private static BigDecimal total(JsonNode periods) {
        return Harness.costTotal(periods);
    }

    private static void fault(TestService svc, String method, String path, String rest) {
        sim(svc, "POST", "/_sim/faults", "{\"method\":\"" + method + "\",\"path\":\"" + path + "\"," + rest + "}");
    }


    /** A DELETE to spot-api that waits up to 5 minutes for its answer (TestService's client gives up at 30 s). */
    private static Reply longDelete(TestService svc, String path, Map<String, String> headers) {
        return Harness.unchecked(svc.base, "DELETE", path, null, headers, java.time.Duration.ofMinutes(5));
    }

    private static void pause(long ms) {
        Harness.pause(ms);
    }

    // ---- the bucket and index names: a space named like the index, a space named like an entry id ---------------

    /**
     * The index of a month's spaces is the ledger named {@code costs\n<account>\n<org>\n<month>\nspaces}: exactly the
     * bucket of a space named {@code spaces}. Its pieces (field {@code <kind>:<id>}) and the index's entries (field =
     * the space's name) share one hash, so a space named {@code elastigroup:<id of a group deleted in space
     * "spaces">} overwrites that group's piece with its own name when one of its resources is deleted: the group's
     * costs vanish from the roll-up of space {@code spaces} and from the all-spaces roll-up, which answer complete.
     * Space names are the portal's (any string). Right: both roll-ups the same after the deletes as before.
     */
    @Test
    void aSpaceNamedLikeTheIndexSharesItsLedgerAndLosesADeletedGroupsCosts() {
        LocalDate first = frozenToday(h.svc);
        String group = create(h.svc, "/main/elastigroups", tagged(Harness.groupBody(Harness.uniqueName("grp")),
                "spinup:spaceid", "spaces"));
        String instance = create(h.svc, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", "elastigroup:" + group));
        sim(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String window = "start=" + first + "&end=" + first.plusDays(3);
        Reply spaceBefore = call("GET", "/main/costs?" + window + "&space=spaces", null);
        Reply allBefore = call("GET", "/main/costs?" + window + "&groupBy=space", null);
        assertThat(total(spaceBefore.json())).as(spaceBefore.body()).isPositive();

        Reply groupGone;
        try (LogCapture logs = LogCapture.start()) {
            assertThat(call("DELETE", "/main/elastigroups/" + group, null).status()).isEqualTo(200);
            groupGone = call("GET", "/main/costs?" + window + "&space=spaces", null);
            Reply allGone = call("GET", "/main/costs?" + window + "&groupBy=space", null);
            System.out.println("space 'spaces' after its group's delete: " + groupGone.body() + "; all spaces "
                    + allGone.body());
            logs.events().stream().filter(e -> e.getLoggerName().startsWith("dev.spotapi.cost"))
                    .forEach(e -> System.out.println("LOG " + LogCapture.everything(e)));
        }
        // (held) the group's delete alone: space 'spaces' still counts it
        assertThat(total(groupGone.json())).as("space 'spaces' after its group's delete: %s", groupGone.body())
                .isEqualByComparingTo(total(spaceBefore.json()));
        assertThat(call("DELETE", "/main/instances/" + instance, null).status()).isEqualTo(200);

        Reply spaceAfter = call("GET", "/main/costs?" + window + "&space=spaces", null);
        Reply allAfter = call("GET", "/main/costs?" + window + "&groupBy=space", null);
        assertThat(spaceAfter.status()).isEqualTo(200);
        if (!"true".equals(spaceAfter.header("X-Cost-Partial"))) {
            assertThat(total(spaceAfter.json())).as("space 'spaces' after the delete in space 'elastigroup:<its group>'"
                    + " (before %s): %s",
                    spaceBefore.body(), spaceAfter.body()).isEqualByComparingTo(total(spaceBefore.json()));
        }
        if (!"true".equals(allAfter.header("X-Cost-Partial"))) {
            assertThat(total(allAfter.json())).as("all spaces after both deletes (before %s): %s", allBefore.body(),
                    allAfter.body()).isEqualByComparingTo(total(allBefore.json()));
        }
    }

    /** The same collision with Redis as the shared state (a hash per ledger name): the group's costs vanish too. */
    @Test
    void aSpaceNamedLikeTheIndexLosesADeletedGroupsCostsInRedisToo() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService svc = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000)))) {
            LocalDate first = frozenToday(svc);
            String group = create(svc, "/main/elastigroups", tagged(Harness.groupBody(Harness.uniqueName("grp")),
                    "spinup:spaceid", "spaces"));
            String instance = create(svc, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", "elastigroup:" + group));
            sim(svc, "POST", "/_sim/clock/advance", "{\"hours\": 30}");
            String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=spaces";
            BigDecimal before = total(svc.call("GET", window, null, TOKEN).json());
            assertThat(before).isPositive();
            assertThat(svc.call("DELETE", "/main/elastigroups/" + group, null, TOKEN).status()).isEqualTo(200);
            assertThat(svc.call("DELETE", "/main/instances/" + instance, null, TOKEN).status()).isEqualTo(200);
            Reply after = svc.call("GET", window, null, TOKEN);
            assertThat(after.status()).isEqualTo(200);
            if (!"true".equals(after.header("X-Cost-Partial"))) {
                assertThat(total(after.json())).as("space 'spaces' (Redis) after the delete in space"
                        + " 'elastigroup:<its group>': %s", after.body()).isEqualByComparingTo(before);
            }
        }
    }

    /** (held, the control of the test above) A group of an ordinary space: its costs count after its delete. */
    @Test
    void aDeletedGroupOfAnOrdinarySpaceStillCounts() {
        LocalDate first = frozenToday(h.svc);
        String space = "space-" + System.nanoTime();
        String group = create(h.svc, "/main/elastigroups", tagged(Harness.groupBody(Harness.uniqueName("grp")),
                "spinup:spaceid", space));
        sim(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String window = "start=" + first + "&end=" + first.plusDays(3);
        Reply before = call("GET", "/main/costs?" + window + "&space=" + space, null);
        assertThat(total(before.json())).as(before.body()).isPositive();
        assertThat(call("DELETE", "/main/elastigroups/" + group, null).status()).isEqualTo(200);
        Reply after = call("GET", "/main/costs?" + window + "&space=" + space, null);
        assertThat(total(after.json())).as("space %s after its group's delete: %s", space, after.body())
                .isEqualByComparingTo(total(before.json()));
    }

    /**
     * (held) A deleted instance's costs in windows whose edges fall on month starts and that span a month and a year
     * boundary (the ledger reads one index and bucket per month of the window): each window counts the instance
     * once, monthly and daily alike, as before its delete; a window that ends on the first day of the instance's
     * month counts nothing.
     */
    @Test
    void aDeletedInstanceCountsOnceInWindowsAcrossMonthAndYearBoundaries() {
        LocalDate first = frozenToday(h.svc);
        String space = "space-" + System.nanoTime();
        String instance = create(h.svc, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 30}");
        LocalDate monthStart = first.withDayOfMonth(1);
        List<String> windows = List.of(
                "start=" + first + "&end=" + first.plusDays(3),
                "start=" + monthStart + "&end=" + monthStart.plusMonths(1),
                "start=" + monthStart.minusMonths(1) + "&end=" + monthStart.plusMonths(1) + "&granularity=daily",
                "start=" + first.minusDays(360) + "&end=" + first.plusDays(5),
                "start=" + first.withDayOfYear(1).minusDays(10) + "&end=" + first.plusDays(3) + "&groupBy=space");
        List<BigDecimal> before = new ArrayList<>();
        for (String w : windows) {
            Reply r = call("GET", "/main/costs?" + w + "&space=" + space, null);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            before.add(total(r.json()));
        }
        assertThat(before.get(0)).isPositive();
        assertThat(call("DELETE", "/main/instances/" + instance, null).status()).isEqualTo(200);
        for (int i = 0; i < windows.size(); i++) {
            Reply r = call("GET", "/main/costs?" + windows.get(i) + "&space=" + space, null);
            assertThat(r.header("X-Cost-Partial")).as(r.body()).isNotEqualTo("true");
            assertThat(total(r.json())).as("%s after the delete: %s", windows.get(i), r.body())
                    .isEqualByComparingTo(before.get(i)).isEqualByComparingTo(before.get(0));
        }
        Reply earlier = call("GET", "/main/costs?start=" + monthStart.minusMonths(1) + "&end=" + monthStart
                + "&space=" + space, null);
        assertThat(total(earlier.json())).as(earlier.body()).isEqualByComparingTo(BigDecimal.ZERO);
    }

    /**
     * (held) An instance that ran without a space, then was put into one (the tag route sets
     * {@code spot-api:space-since}, spot-api's UTC day), then deleted: the roll-up of the space and the all-spaces
     * roll-up by resource are the same after the delete as before, for a window that starts the month before.
     */
    @Test
    void aSpaceSetMidLifeThenDeletedKeepsItsSplitBetweenNoSpaceAndTheSpace() {
        LocalDate first = frozenToday(h.svc);
        String space = "space-" + System.nanoTime();
        String instance = create(h.svc, "/main/instances", Harness.instanceBody(Harness.uniqueName("mi")));
        sim(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 30}");
        Reply tagged = call("PUT", "/main/instances/" + instance + "/tags", Map.of("tags", Map.of("spinup:spaceid", space)));
        assertThat(tagged.status()).as(tagged.body()).isLessThan(300);
        sim(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String window = "start=" + first.withDayOfMonth(1).minusMonths(1) + "&end=" + first.plusDays(4)
                + "&granularity=daily";
        Reply inSpace = call("GET", "/main/costs?" + window + "&space=" + space, null);
        Reply bySpace = call("GET", "/main/costs?" + window + "&groupBy=resource", null);
        assertThat(total(inSpace.json())).as(inSpace.body()).isPositive();
        assertThat(call("DELETE", "/main/instances/" + instance, null).status()).isEqualTo(200);
        Reply inSpaceAfter = call("GET", "/main/costs?" + window + "&space=" + space, null);
        Reply bySpaceAfter = call("GET", "/main/costs?" + window + "&groupBy=resource", null);
        assertThat(total(inSpaceAfter.json())).as(inSpaceAfter.body()).isEqualByComparingTo(total(inSpace.json()));
        assertThat(total(bySpaceAfter.json())).as(bySpaceAfter.body()).isEqualByComparingTo(total(bySpace.json()));
    }

    // ---- the ledger entry of a resource that still exists ---------------------------------------------------

    /**
     * A delete whose outcome is unknown (Spot dropped the connection) is recorded in the ledger; the instance still
     * exists and keeps running. (held) Its roll-up is not inflated by the per-day maximum: 40 h cost twice 20 h.
     * Then the roll-up's own cost read of the instance fails (Spot 500): the instance is listed, so its id is
     * missing, but the ledger has an entry with days, so the roll-up takes the entry's days (up to the failed delete)
     * instead, drops the id from {@code X-Cost-Missing} and answers complete with half the instance's costs.
     * Right: partial naming the instance, or its whole cost.
     */
    @Test
    void aRunningInstanceWhoseDeleteFailedIsNotCountedFromItsStaleLedgerEntry() {
        LocalDate first = frozenToday(h.svc);
        String space = "space-" + System.nanoTime();
        String instance = create(h.svc, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 20}");
        String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space;
        BigDecimal twenty = total(call("GET", window, null).json());
        assertThat(twenty).isPositive();

        fault(h.svc, "DELETE", "/aws/ec2/managedInstance/" + instance, "\"action\":\"drop\"");
        Reply deleted = call("DELETE", "/main/instances/" + instance, null);
        assertThat(deleted.status()).as("a delete whose connection Spot dropped: %s", deleted.body())
                .isGreaterThanOrEqualTo(500);
        assertThat(h.svc.sim("DELETE", "/_sim/faults", null).status()).isEqualTo(200);
        assertThat(call("GET", "/main/instances/" + instance, null).status()).as("still exists").isEqualTo(200);
        sim(h.svc, "POST", "/_sim/clock/advance", "{\"hours\": 20}");
        Reply forty = call("GET", window, null);
        assertThat(forty.header("X-Cost-Partial")).isNotEqualTo("true");
        assertThat(total(forty.json())).as("40 h against 20 h (%s): %s", twenty, forty.body())
                .isEqualByComparingTo(twenty.multiply(BigDecimal.valueOf(2)));

        fault(h.svc, "GET", "/aws/ec2/managedInstance/" + instance + "/costs",
                "\"action\":\"status\",\"status\":500");
        Reply failing = call("GET", window, null);
        System.out.println("running instance, its cost read failing, a stale ledger entry: " + failing.status() + " "
                + failing.header("X-Cost-Missing") + " " + failing.body());
        assertThat(failing.status()).isEqualTo(200);
        if ("true".equals(failing.header("X-Cost-Partial"))) {
            assertThat(failing.header("X-Cost-Missing")).contains(instance);
        } else {
            assertThat(total(failing.json())).as("a complete roll-up of the running instance: %s", failing.body())
                    .isEqualByComparingTo(total(forty.json()));
        }
    }

    // ---- a delete retried while it waits for the cost fence -------------------------------------------------------

    /**
     * A delete's cost read waits its turn at the account's cost fence ({@code FENCE_WAIT}). The attack sent it with an
     * {@code Idempotency-Key} and retried it past the key's lease, expecting 409 then the replay; but a DELETE takes
     * no key (it is idempotent by itself, README): the retry is a delete of its own. Right, and held: the first
     * attempt answers 200, the retry and a later one 200 or 404 "already deleted by spot-api", nothing deleted twice.
     */
    @Test
    void aDeleteRetriedWhileItWaitsForTheCostFenceIsDeletedOnce() throws Exception {
        frozenToday(h.svc);
        List<String> blockers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            blockers.add(h.createInstance());
        }
        String target = h.createInstance();
        // every cost read is slower than the deadline: each holds the fence ~8 s (attempts until spot.deadlineMs)
        fault(h.svc, "GET", "/aws/ec2/managedInstance/*/costs", "\"action\":\"delay\",\"delayMs\":1500");
        List<CompletableFuture<Reply>> others = new ArrayList<>();
        for (String b : blockers) {
            others.add(CompletableFuture.supplyAsync(() -> longDelete(h.svc, "/main/instances/" + b, TOKEN)));
            pause(300);
        }
        String key = "del-" + System.nanoTime();
        Map<String, String> keyed = Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", key);
        long sent = System.nanoTime();
        CompletableFuture<Reply> first = CompletableFuture.supplyAsync(
                () -> longDelete(h.svc, "/main/instances/" + target, keyed));
        pause(1_000); // the first attempt waits behind the two others at the fence
        boolean firstStillRunning = !first.isDone();
        Reply retry = longDelete(h.svc, "/main/instances/" + target, keyed);
        long retried = (System.nanoTime() - sent) / 1_000_000;
        Reply original = first.get(200, TimeUnit.SECONDS);
        long answered = (System.nanoTime() - sent) / 1_000_000;
        for (CompletableFuture<Reply> o : others) {
            o.get(200, TimeUnit.SECONDS);
        }
        Reply later = h.svc.call("DELETE", "/main/instances/" + target, null, keyed);
        System.out.println("keyed delete behind the cost fence: first " + original.status() + " after "
                + answered + " ms; retry at " + retried + " ms: " + retry.status() + " "
                + retry.body() + "; later retry " + later.status() + " " + later.body());
        // a DELETE takes no Idempotency-Key (it is idempotent by itself; README): the retry is a delete of its own,
        // answered 200 or "already deleted by spot-api" (404), never a second deletion, never a 5xx
        assertThat(firstStillRunning).as("the first attempt still waits for the fence").isTrue();
        assertThat(original.status()).as(original.body()).isEqualTo(200);
        for (Reply r : List.of(retry, later)) {
            assertThat(r.status()).as(r.body()).isIn(200, 404);
            if (r.status() == 404) {
                assertThat(r.body()).contains("already deleted by spot-api");
            }
        }
    }

    /**
     * {@code Prefer: respond-async} on a delete (flywheel's protocol: a 202 and a task as soon as Spot accepted the
     * request): the 202 comes only after the delete's cost read had its turn at the account's cost fence, before
     * Spot is asked to delete. With three other deletes ahead at the fence (each cost read ~8 s, the client's
     * deadline), the async delete answered after ~25-31 s. Left (docs/api.md): the costs must be read before the
     * delete makes them unreadable, and the 202 means that Spot accepted the delete; the wait is bounded by
     * {@code CostLedger.FENCE_WAIT} and the deadline, and the answer is a 202 with its task.
     */
    @Test
    void anAsyncDeleteBehindTheCostFenceIsAcceptedWithinItsBound() throws Exception {
        frozenToday(h.svc);
        List<String> blockers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            blockers.add(h.createInstance());
        }
        String target = h.createInstance();
        fault(h.svc, "GET", "/aws/ec2/managedInstance/*/costs", "\"action\":\"delay\",\"delayMs\":1500");
        List<CompletableFuture<Reply>> others = new ArrayList<>();
        for (String b : blockers) {
            others.add(CompletableFuture.supplyAsync(() -> longDelete(h.svc, "/main/instances/" + b, TOKEN)));
            pause(300);
        }
        long sent = System.nanoTime();
        Reply async = longDelete(h.svc, "/main/instances/" + target,
                Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async"));
        long tookMs = (System.nanoTime() - sent) / 1_000_000;
        for (CompletableFuture<Reply> o : others) {
            o.get(200, TimeUnit.SECONDS);
        }
        System.out.println("async delete behind three deletes at the cost fence: " + async.status() + " after " + tookMs
                + " ms");
        assertThat(async.status()).as(async.body()).isEqualTo(202);
        assertThat(async.header("X-Flywheel-Task")).isNotBlank();
        assertThat(tookMs).as("ms before the async delete's answer (fence wait, then spot.deadlineMs 8 s)")
                .isLessThan(dev.spotapi.cost.CostLedger.FENCE_WAIT.toMillis() + 8_000 + 2_000);
    }

    // ---- the pending queue with Redis and two replicas ------------------------------------------------------

    /**
     * Replica A deletes an instance while Redis is down: its ledger entry waits in A's pending queue, written
     * again only before A's next roll-up or delete. Redis comes back; replica B's roll-ups (the portal's requests
     * land on any replica) answer complete, not partial, and without the instance's costs for as long as nobody
     * asks A for costs or a delete. Right: B's roll-up has the costs, or says it is partial.
     */
    @Test
    void anEntryPendingInOneReplicaIsNotSilentlyMissingFromTheOthersRollUps() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService a = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 1_000)));
                TestService b = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 1_000)))) {
            LocalDate first = frozenToday(a);
            String space = "space-" + System.nanoTime();
            String instance = create(a, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", space));
            sim(a, "POST", "/_sim/clock/advance", "{\"hours\": 20}");
            String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space;
            Reply before = b.call("GET", window, null, TOKEN);
            assertThat(before.status()).as(before.body()).isEqualTo(200);
            assertThat(total(before.json())).isPositive();

            redis.stop();
            Reply deleted = a.call("DELETE", "/main/instances/" + instance, null, TOKEN);
            redis.restart();
            if (deleted.status() == 503) {
                return; // refused while the store is down: held
            }
            assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
            Reply after = null;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline) { // B's breaker lets Redis back in after a while
                after = b.call("GET", window, null, TOKEN);
                if (after.status() == 200 && !"deleted-resources".equals(after.header("X-Cost-Missing"))) {
                    break;
                }
                pause(200);
            }
            assertThat(after.status()).as(after.body()).isEqualTo(200);
            BigDecimal onB = total(after.json());
            Reply onA = a.call("GET", window, null, TOKEN); // A's roll-up writes A's pending entry first
            Reply bAgain = b.call("GET", window, null, TOKEN);
            System.out.println("pending entry: B (Redis back) " + onB + " partial=" + after.header("X-Cost-Partial")
                    + "; then A " + total(onA.json()) + "; then B " + total(bAgain.json()) + " (before "
                    + total(before.json()) + ")");
            assertThat(total(bAgain.json())).as("B once A's roll-up flushed the entry").isEqualByComparingTo(
                    total(before.json()));
            if (!"true".equals(after.header("X-Cost-Partial"))) {
                assertThat(total(after.json())).as("replica B's complete roll-up after A deleted during the outage"
                        + " (before %s): %s", before.body(), after.body()).isEqualByComparingTo(total(before.json()));
            }
        }
    }

    /**
     * (held) Two orgs on one Redis and one Spot account, both deleting in spaces of their own: org B's all-spaces
     * roll-up by space names none of A's spaces (the index of spaces is per org) and counts none of A's costs.
     */
    @Test
    void anotherOrgsAllSpacesRollUpNamesNoneOfThisOrgsDeletedSpaces() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService orgA = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000)));
                TestService orgB = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000))
                                .withOrg("otherorg"))) {
            LocalDate first = frozenToday(orgA);
            String spaceA = "space-a-" + System.nanoTime();
            String spaceB = "space-b-" + System.nanoTime();
            String a = create(orgA, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", spaceA));
            String b = create(orgB, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", spaceB));
            sim(orgA, "POST", "/_sim/clock/advance", "{\"hours\": 20}");
            String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&groupBy=space";
            BigDecimal bBefore = total(orgB.call("GET", window, null, TOKEN).json());
            assertThat(orgA.call("DELETE", "/main/instances/" + a, null, TOKEN).status()).isEqualTo(200);
            assertThat(orgB.call("DELETE", "/main/instances/" + b, null, TOKEN).status()).isEqualTo(200);
            Reply rb = orgB.call("GET", window, null, TOKEN);
            Reply ra = orgA.call("GET", window, null, TOKEN);
            assertThat(rb.body()).contains(spaceB).doesNotContain(spaceA);
            assertThat(ra.body()).contains(spaceA).doesNotContain(spaceB);
            assertThat(total(rb.json())).as(rb.body()).isEqualByComparingTo(bBefore);
        }
    }

    /**
     * The same, but replica A is stopped (a rolling deploy) before any roll-up or delete reaches it after Redis is
     * back: its pending entry dies with it. Right: the entry is written before the replica stops (or a roll-up says
     * it is partial), never a silent undercount.
     */
    @Test
    void anEntryPendingInAReplicaThatStopsIsNotLost() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService b = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 1_000)))) {
            LocalDate first = frozenToday(b);
            String space = "space-" + System.nanoTime();
            String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space;
            Reply before;
            Reply deleted;
            try (TestService a = TestService.replica(simulator, settings,
                    c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 1_000)))) {
                String instance = create(a, "/main/instances", tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                        "spinup:spaceid", space));
                sim(a, "POST", "/_sim/clock/advance", "{\"hours\": 20}");
                before = b.call("GET", window, null, TOKEN);
                assertThat(total(before.json())).as(before.body()).isPositive();
                redis.stop();
                deleted = a.call("DELETE", "/main/instances/" + instance, null, TOKEN);
                redis.restart();
                pause(1_500);
            } // A stops
            if (deleted.status() == 503) {
                return;
            }
            assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
            Reply after = null;
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (System.nanoTime() < deadline) {
                after = b.call("GET", window, null, TOKEN);
                if (after.status() == 200 && !"deleted-resources".equals(after.header("X-Cost-Missing"))) {
                    break;
                }
                pause(200);
            }
            assertThat(after.status()).as(after.body()).isEqualTo(200);
            if (!"true".equals(after.header("X-Cost-Partial"))) {
                assertThat(total(after.json())).as("complete roll-up after the replica that kept the entry stopped"
                        + " (before %s): %s", before.body(), after.body()).isEqualByComparingTo(total(before.json()));
            }
        }
    }
}
