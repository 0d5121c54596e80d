package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.shared.EmbeddedSharedState;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Attack round 8 on costs per space: the cost ledger of deleted resources ({@code cost.CostLedger}) and
 * {@code spot-api:space-since}. Each test asserts the right behaviour: a failing one is a finding.
 */
class AttackRound8CostsTest extends CostHarnessPerClass {
    private void fault(String method, String path, String rest) {
        sim("POST", "/_sim/faults", "{\"method\":\"" + method + "\",\"path\":\"" + path + "\"," + rest + "}");
    }

    // ---- spot-api:space-since cannot be forged -------------------------------------------------------

    /**
     * A create that sends {@code spot-api:space-since} itself (a date far in the future) next to its space: the
     * roll-up then counts every day of the resource under no space, and the space's cost is deflated to zero.
     * Right: the create is refused (400, as the update and the tag route refuse the key), or the tag is not kept
     * and the resource's costs count in its space.
     */
    @Test
    void aCreateCannotForgeSpaceSinceToMoveItsCostsOutOfItsSpace() {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        ObjectNode body = Harness.tagged(Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")), "spinup:spaceid", space),
                "spot-api:space-since", "2999-12-31");
        Reply created = call("POST", "/main/instances", body);
        if (created.status() == 400) {
            return; // refused: held
        }
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        sim("POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String id = created.json().asText();
        Reply tags = call("GET", "/main/instances/" + id + "/tags", null);
        Reply inSpace = rollup("start=" + first + "&end=" + first.plusDays(3) + "&space=" + space);
        Reply bySpace = rollup("start=" + first + "&end=" + first.plusDays(3) + "&groupBy=space");
        assertThat(Harness.costTotal(inSpace.json())).as("space %s after 30 h of its instance (tags %s; by space %s): %s", space,
                tags.body(), bySpace.body(), inSpace.body()).isPositive();
    }

    /** The same forgery through an elastigroup create. */
    @Test
    void aGroupCreateCannotForgeSpaceSinceEither() {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        ObjectNode body = Harness.tagged(Harness.tagged(Harness.groupBody(Harness.uniqueName("grp")), "spinup:spaceid", space),
                "spot-api:space-since", "2999-12-31");
        Reply created = call("POST", "/main/elastigroups", body);
        if (created.status() == 400) {
            return;
        }
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        sim("POST", "/_sim/clock/advance", "{\"hours\": 30}");
        Reply inSpace = rollup("start=" + first + "&end=" + first.plusDays(3) + "&space=" + space);
        assertThat(Harness.costTotal(inSpace.json())).as("space %s after 30 h of its group: %s", space, inSpace.body()).isPositive();
    }

    /** (held) The tag route and the update refuse to set, change or remove the key. */
    @Test
    void theTagRouteAndTheUpdateRefuseSpaceSince() {
        String instance = h.createInstance();
        Reply set = call("PUT", "/main/instances/" + instance + "/tags",
                Map.of("tags", Map.of("spot-api:space-since", "2000-01-01")));
        assertThat(set.status()).as(set.body()).isEqualTo(400);
        java.util.Map<String, Object> removal = new java.util.HashMap<>();
        removal.put("spot-api:space-since", null);
        Reply removed = call("PUT", "/main/instances/" + instance + "/tags", Map.of("tags", removal));
        assertThat(removed.status()).as(removed.body()).isEqualTo(400);
        ObjectNode update = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        ArrayNode tags = update.putObject("compute").putObject("launchSpecification").putArray("tags");
        tags.addObject().put("tagKey", "spinup:spaceid").put("tagValue", "space-" + System.nanoTime());
        tags.addObject().put("tagKey", "spot-api:space-since").put("tagValue", "2999-12-31");
        Reply updated = call("PUT", "/main/instances/" + instance, update);
        assertThat(updated.status()).as(updated.body()).isEqualTo(400);
        Reply read = call("GET", "/main/instances/" + instance + "/tags", null);
        assertThat(read.json().path("tags").has("spot-api:space-since")).as(read.body()).isFalse();
    }

    // ---- the ledger and the roll-up ----------------------------------------------------------------

    /**
     * A roll-up running while one of its resources is deleted: the roll-up listed the instance (so it skips the
     * ledger's entry), the delete reads the costs and deletes, and the roll-up's own cost call of the instance comes
     * after the delete: Spot answers a deleted id's costs with zeros (contract §9.1). The roll-up answers complete
     * (no X-Cost-Partial) without the instance's costs. Right: the same total as before and after the delete, or a
     * partial answer naming the instance.
     */
    @Test
    void aRollUpRacingADeleteStillCountsTheDeletedResource() throws Exception {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        String group = create("/main/elastigroups", Harness.tagged(Harness.groupBody(Harness.uniqueName("grp")),
                "spinup:spaceid", space));
        String instance = create("/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String window = "start=" + first + "&end=" + first.plusDays(3) + "&space=" + space + "&groupBy=resource";
        BigDecimal before = Harness.costTotal(rollup(window).json());
        assertThat(before).isPositive();

        // the roll-up asks the group first (groups are listed first): Spot is slow on it
        fault("GET", "/aws/ec2/group/" + group + "/costs", "\"action\":\"delay\",\"delayMs\":2500,\"count\":1");
        // both cost reads of the instance (the delete's, then the roll-up's) are a little slow
        fault("GET", "/aws/ec2/managedInstance/" + instance + "/costs", "\"action\":\"delay\",\"delayMs\":700,\"count\":2");
        CompletableFuture<Reply> racing = CompletableFuture.supplyAsync(() -> call("GET", "/main/costs?" + window, null));
        Thread.sleep(600); // the roll-up is in the group's cost call
        Reply deleted = call("DELETE", "/main/instances/" + instance, null);
        assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
        Reply during = racing.get(30, TimeUnit.SECONDS);
        Reply after = rollup(window);

        assertThat(Harness.costTotal(after.json())).as("after the delete: %s", after.body()).isEqualByComparingTo(before);
        boolean partial = "true".equals(during.header("X-Cost-Partial"));
        if (!partial) {
            assertThat(Harness.costTotal(during.json())).as("the roll-up that ran with the delete (complete, not partial): %s",
                    during.body()).isEqualByComparingTo(before);
        } else {
            assertThat(during.header("X-Cost-Missing")).contains(instance);
        }
    }

    /**
     * The portal's expiry service deletes many resources at once. Every delete's cost read goes through the account's
     * one-at-a-time cost fence, so a burst of deletes queue behind each other: with Spot answering a cost call in 2 s,
     * the sixth delete waits over 10 s (READ_LIMIT) and goes ahead without its costs, recorded as unknown: every
     * roll-up of a window before it is partial for 400 days, and the deletes take up to 10 s more each. Right: a
     * delete's costs are not lost because other deletes ran at the same time (Spot itself answered each in 2 s).
     */
    @Test
    void aBurstOfDeletesDoesNotLoseTheirCostsInTheCostFence() throws Exception {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(create("/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", space)));
        }
        sim("POST", "/_sim/clock/advance", "{\"hours\": 20}");
        String window = "start=" + first + "&end=" + first.plusDays(3) + "&space=" + space;
        BigDecimal before = Harness.costTotal(rollup(window).json());
        assertThat(before).isPositive();
        fault("GET", "/aws/ec2/managedInstance/*/costs", "\"action\":\"delay\",\"delayMs\":2000,\"count\":6");

        long start = System.nanoTime();
        List<CompletableFuture<Reply>> deletes = new ArrayList<>();
        for (String id : ids) {
            deletes.add(CompletableFuture.supplyAsync(() -> call("DELETE", "/main/instances/" + id, null)));
        }
        for (CompletableFuture<Reply> d : deletes) {
            Reply r = d.get(60, TimeUnit.SECONDS);
            assertThat(r.status()).as(r.body()).isEqualTo(200);
        }
        long burstMs = Harness.millisSince(start);
        h.svc.sim("DELETE", "/_sim/faults", null);

        Reply after = rollup(window);
        assertThat(after.header("X-Cost-Missing")).as("6 deletes in %d ms; %s", burstMs, after.body()).isNull();
        assertThat(Harness.costTotal(after.json())).as(after.body()).isEqualByComparingTo(before);
    }

    /**
     * (held?) A delete whose answer is lost (Spot deleted it, the reply never came) and that the caller retries: the
     * instance is counted once, with its costs, and the roll-up is complete.
     */
    @Test
    void aDeleteWhoseAnswerWasLostAndRetriedCountsTheInstanceOnce() {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        String instance = create("/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 20}");
        String window = "start=" + first + "&end=" + first.plusDays(3) + "&space=" + space + "&groupBy=resource";
        BigDecimal before = Harness.costTotal(rollup(window).json());
        fault("DELETE", "/aws/ec2/managedInstance/" + instance, "\"action\":\"drop_reply\",\"count\":1");

        Reply firstDelete = call("DELETE", "/main/instances/" + instance, null);
        Reply retried = call("DELETE", "/main/instances/" + instance, null);
        Reply again = call("DELETE", "/main/instances/" + instance, null);

        Reply after = rollup(window);
        assertThat(after.header("X-Cost-Partial")).as("deletes %d %d %d; %s", firstDelete.status(), retried.status(),
                again.status(), after.body()).isNull();
        assertThat(Harness.costTotal(after.json())).as(after.body()).isEqualByComparingTo(before);
        int seen = 0;
        for (JsonNode g : after.json().path(0).path("Groups")) {
            seen += g.path("Keys").path(0).asText().equals(instance) ? 1 : 0;
        }
        assertThat(seen).as(after.body()).isEqualTo(1);
    }

    /**
     * The embedded store keeps every account's ledger in one bounded cache (a sixteenth of the heap, at most 8 MiB,
     * the least used first). Deletes in one account (another account of the same service) evict another account's
     * entries, and the roll-up of that account then answers complete and without the costs (nothing says they
     * were dropped). Right: an entry of one account is kept for its 400 days whatever the other accounts delete
     * (or, when it must go, its roll-ups say they are partial).
     */
    @Test
    void anotherAccountsDeletesDoNotEvictThisAccountsLedgerEntries() throws Exception {
        try (EmbeddedSharedState state = new EmbeddedSharedState()) {
            String mine = "costs\nmain\norg-a";
            String theirs = "costs\nother\norg-a";
            state.putLedgerEntry(mine, "managed instance:smi-00000001",
                    "{\"kind\":\"managed instance\",\"id\":\"smi-00000001\",\"space\":\"s\",\"deletedAt\":\"2026-12-01T00:00:00Z\","
                            + "\"days\":{\"2026-11-30\":[12.5,30.0,24.0]}}", Duration.ofDays(400));
            // a year-old resource's lifetime of daily costs: ~365 days of [actual, potential, hours]
            StringBuilder days = new StringBuilder();
            LocalDate d = LocalDate.of(2025, 12, 1);
            for (int i = 0; i < 365; i++, d = d.plusDays(1)) {
                days.append(i == 0 ? "" : ",").append('"').append(d).append("\":[0.0123,0.0456,24.0]");
            }
            for (int i = 0; i < 600; i++) {
                String id = String.format("smi-%08x", i + 2);
                state.putLedgerEntry(theirs, "managed instance:" + id, "{\"kind\":\"managed instance\",\"id\":\"" + id
                        + "\",\"space\":\"t\",\"deletedAt\":\"2026-12-01T00:00:00Z\",\"days\":{" + days + "}}",
                        Duration.ofDays(400));
            }
            Thread.sleep(50); // Caffeine's maintenance runs on the common pool
            assertThat(state.ledgerEntries(mine)).as("account main's deleted instance after 600 deletes in account other")
                    .hasSize(1);
        }
    }

    /**
     * A delete whose cost read failed is recorded without costs, and the roll-up then makes every window that starts
     * before the delete partial, even a window that ended a month before the instance was created (its
     * {@code createdAt} was read before the delete): such a window is complete, and the portal's question about
     * last month is "Estimated" for 400 days because of an instance created and deleted today. Right: a window that
     * ends before the resource's creation is not partial.
     */
    @Test
    void aDeleteWithoutCostsDoesNotMakeWindowsBeforeTheResourceExistedPartial() {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        String instance = create("/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 5}");
        fault("GET", "/aws/ec2/managedInstance/" + instance + "/costs", "\"action\":\"status\",\"status\":500,\"count\":100");
        assertThat(call("DELETE", "/main/instances/" + instance, null).status()).isEqualTo(200);
        h.svc.sim("DELETE", "/_sim/faults", null);

        Reply lastMonth = rollup("start=" + first.minusDays(60) + "&end=" + first.minusDays(30) + "&space=" + space);
        assertThat(lastMonth.header("X-Cost-Partial")).as("a window that ended 30 days before %s was created: %s",
                instance, lastMonth.body()).isNull();
    }

    /**
     * (held) The ledger is per account: an instance of a space deleted in account main does not show in account
     * other's roll-up of the same space.
     */
    @Test
    void anotherAccountsRollUpDoesNotSeeThisAccountsDeletedCosts() {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        String instance = create("/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 10}");
        assertThat(call("DELETE", "/main/instances/" + instance, null).status()).isEqualTo(200);
        Reply other = call("GET", "/other/costs?start=" + first + "&end=" + first.plusDays(2) + "&space=" + space
                + "&groupBy=resource", null);
        assertThat(other.status()).as(other.body()).isEqualTo(200);
        assertThat(other.body()).doesNotContain(instance);
        assertThat(Harness.costTotal(other.json())).isEqualByComparingTo(BigDecimal.ZERO);
    }

    /**
     * With Redis as the shared state, a delete while Redis cannot be reached: the instance is deleted (200) but its
     * ledger entry is dropped (SharedState.putLedgerEntry "never throws: the entry is lost"); once Redis is back the
     * roll-up answers complete (no X-Cost-Partial, not Estimated for that reason) and without the instance's costs.
     * Right: either the delete is refused (503, nothing deleted: as keyed requests are when the store is down) or
     * the roll-up says it is partial, never a silent undercount.
     */
    @Test
    void aDeleteWhileRedisIsDownDoesNotSilentlyDropItsCosts() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService svc = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 1_000)))) {
            Harness r = Harness.of(svc, settings);
            Reply frozen = svc.sim("POST", "/_sim/clock/set", "{\"frozen\": true}");
            assertThat(frozen.status()).isEqualTo(200);
            LocalDate first = Instant.parse(svc.sim("GET", "/_sim/clock", null).json().path("now").asText())
                    .atZone(ZoneOffset.UTC).toLocalDate();
            String space = "space-" + System.nanoTime();
            Reply created = svc.call("POST", "/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", space), TOKEN);
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            String instance = created.json().asText();
            svc.sim("POST", "/_sim/clock/advance", "{\"hours\": 20}");
            String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space;
            Reply before = svc.call("GET", window, null, TOKEN);
            assertThat(before.status()).as(before.body()).isEqualTo(200);
            assertThat(Harness.costTotal(before.json())).isPositive();

            redis.stop();
            Reply deleted = svc.call("DELETE", "/main/instances/" + instance, null, TOKEN);
            redis.restart();
            if (deleted.status() == 503) {
                return; // refused while the store is down: held
            }
            assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
            Reply after = null;
            long deadline = System.nanoTime() + 15_000_000_000L;
            while (System.nanoTime() < deadline) { // the breaker lets Redis back in after a while
                after = svc.call("GET", window, null, TOKEN);
                if (after.status() == 200 && !"deleted-resources".equals(after.header("X-Cost-Missing"))) {
                    break;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            assertThat(after.status()).as(after.body()).isEqualTo(200);
            boolean partial = "true".equals(after.header("X-Cost-Partial"));
            if (!partial) {
                assertThat(Harness.costTotal(after.json())).as("complete roll-up after the delete during the outage: %s",
                        after.body()).isEqualByComparingTo(Harness.costTotal(before.json()));
            }
            assertThat(r).isNotNull();
        }
    }

    /**
     * The one-at-a-time cost fence exists because Spot answers 400 to concurrent cost calls of one account. A delete
     * gives up on its cost read after 10 s ({@code CostLedger.READ_LIMIT}, an {@code orTimeout} on the fenced
     * future) while Spot's attempt timeout is 30 s by default: the fence is released at 10 s though the read is
     * still in flight at Spot, and the next cost call of the account (here the per-resource costs route of another
     * instance) is sent beside it. Right: no cost call of the account reaches Spot before the one in flight was
     * answered.
     */
    @Test
    void aDeleteThatGivesUpOnItsCostReadDoesNotOpenTheCostFenceWhileTheReadIsInFlight() throws Exception {
        dev.spotapi.config.SpotClientSettings settings = new dev.spotapi.config.SpotClientSettings(2_000, 20_000, 30_000,
                1, 20, 200, 0, 100, 300);
        try (dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService svc = TestService.replica(simulator, settings, c -> c)) {
            Harness r = Harness.of(svc, settings);
            String a = r.createInstance();
            String b = r.createInstance();
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            Reply f = svc.sim("POST", "/_sim/faults", "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/" + a
                    + "/costs\",\"action\":\"delay\",\"delayMs\":13000,\"count\":1}");
            assertThat(f.status()).as(f.body()).isEqualTo(200);
            svc.sim("DELETE", "/_sim/requests", null);

            CompletableFuture<Reply> delete = CompletableFuture.supplyAsync(
                    () -> svc.call("DELETE", "/main/instances/" + a, null, TOKEN));
            Thread.sleep(700);
            Reply other = svc.call("GET", "/main/instances/" + b + "/costs?start=" + today + "&end=" + today.plusDays(1),
                    null, TOKEN);
            assertThat(other.status()).as(other.body()).isEqualTo(200);
            assertThat(delete.get(40, TimeUnit.SECONDS).status()).isEqualTo(200);

            Instant slowSent = null;
            Instant otherSent = null;
            for (JsonNode e : r.spotRequests()) {
                String path = e.path("path").asText();
                if ("GET".equals(e.path("method").asText()) && path.equals("/aws/ec2/managedInstance/" + a + "/costs")) {
                    slowSent = Harness.time(e);
                }
                if ("GET".equals(e.path("method").asText()) && path.equals("/aws/ec2/managedInstance/" + b + "/costs")) {
                    otherSent = Harness.time(e);
                }
            }
            assertThat(slowSent).isNotNull();
            assertThat(otherSent).isNotNull();
            assertThat(Duration.between(slowSent, otherSent).toMillis())
                    .as("instance %s's cost call reached Spot while %s's (answered after 13 s) was in flight", b, a)
                    .isGreaterThanOrEqualTo(12_500);
        }
    }

    /**
     * (held) An async delete ({@code Prefer: respond-async}) keeps the instance's costs as the synchronous one does,
     * and a delete repeated after it (404) leaves them once.
     */
    @Test
    void anAsyncDeleteKeepsTheCostsAndARepeatedDeleteDoesNotCountThemTwice() throws Exception {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        String instance = create("/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 15}");
        String window = "start=" + first + "&end=" + first.plusDays(3) + "&space=" + space + "&groupBy=resource";
        BigDecimal before = Harness.costTotal(rollup(window).json());
        assertThat(before).isPositive();

        Reply r = h.svc.call("DELETE", "/main/instances/" + instance, null,
                Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String task = r.header("X-Flywheel-Task");
        long deadline = System.nanoTime() + 20_000_000_000L;
        String status = "";
        while (!status.matches("completed|failed") && System.nanoTime() < deadline) {
            Thread.sleep(50);
            status = call("GET", "/flywheel?task=" + task, null).json().path(task).path("status").asText();
        }
        assertThat(status).isEqualTo("completed");
        Reply again = call("DELETE", "/main/instances/" + instance, null);
        assertThat(again.status()).as(again.body()).isEqualTo(404);

        Reply after = rollup(window);
        assertThat(after.header("X-Cost-Partial")).as(after.body()).isNull();
        assertThat(Harness.costTotal(after.json())).as(after.body()).isEqualByComparingTo(before);
    }

    /**
     * The Redis ledger is one hash per account and org that every roll-up reads whole (HGETALL) and decodes, whatever
     * its window and space: 400 days of deletes (here 3,000 resources that ran a year, as the expiry service leaves
     * them) make a one-day roll-up of a space without any deleted resource read ~50 MB from Redis and decode it.
     * Right: the cost of a roll-up does not grow with the deletes of other spaces and other days (measured here:
     * within 1 s, and at most 5 times what it took with an empty ledger).
     */
    @Test
    void aRollUpDoesNotReadEveryDeleteOfFourHundredDays() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService svc = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 5_000)))) {
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            String window = "/main/costs?start=" + today + "&end=" + today.plusDays(1) + "&space=space-without-deletes";
            long baseline = Long.MAX_VALUE;
            for (int i = 0; i < 5; i++) {
                long t = System.nanoTime();
                Reply r = svc.call("GET", window, null, TOKEN);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                baseline = Math.min(baseline, Harness.millisSince(t));
            }
            fillRedisLedger(redis, 3_000);
            long worst = 0;
            long best = Long.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t = System.nanoTime();
                Reply r = svc.call("GET", window, null, TOKEN);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                long ms = Harness.millisSince(t);
                worst = Math.max(worst, ms);
                best = Math.min(best, ms);
            }
            System.out.println("one-day roll-up of a space without deletes: empty ledger " + baseline
                    + " ms; 3,000 year-long entries best " + best + " ms, worst " + worst + " ms");
            assertThat(best).as("empty ledger: %d ms; 3,000 entries of other spaces: best %d ms", baseline, best)
                    .isLessThan(Math.max(1_000, 5 * baseline));
        }
    }

    /**
     * Writes {@code count} entries of resources that ran a year (50 other spaces) into the Redis ledger of main, as
     * {@code CostLedger} keeps them: one piece per space and month ({@code CostLedger.bucket}), the spaces of each
     * month in its index.
     */
    private static void fillRedisLedger(dev.spotapi.support.RedisProcess redis, int count) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        long until = System.currentTimeMillis() + Duration.ofDays(399).toMillis();
        Map<String, Map<String, String>> buckets = new java.util.HashMap<>();
        for (int i = 0; i < count; i++) {
            String id = String.format("smi-%08x", i);
            String space = "space-" + (i % 50);
            Map<java.time.YearMonth, StringBuilder> byMonth = new java.util.TreeMap<>();
            LocalDate d = today.minusDays(366);
            for (int n = 0; n < 365; n++, d = d.plusDays(1)) {
                StringBuilder b = byMonth.computeIfAbsent(java.time.YearMonth.from(d), m -> new StringBuilder());
                b.append(b.length() == 0 ? "" : ",").append('"').append(d).append("\":[0.0123,0.0456,24.0]");
            }
            byMonth.forEach((month, days) -> {
                buckets.computeIfAbsent(dev.spotapi.cost.CostLedger.bucket("spot:" + TestService.MAIN_ID, TestService.ORG, space, month),
                        k -> new java.util.HashMap<>()).put("managed instance:" + id, until + " {\"kind\":\"managed instance\","
                        + "\"id\":\"" + id + "\",\"space\":\"" + space + "\",\"deletedAt\":\"" + today.minusDays(1)
                        + "T12:00:00Z\",\"days\":{" + days + "}}");
                buckets.computeIfAbsent(dev.spotapi.cost.CostLedger.index("spot:" + TestService.MAIN_ID, TestService.ORG, month),
                        k -> new java.util.HashMap<>()).put(space, until + " " + space);
            });
        }
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(redis.url());
        try (var c = client.connect()) {
            long bytes = 0;
            for (var b : buckets.entrySet()) {
                String key = "spot-api:ledger:" + dev.spotapi.shared.Hashes.sha256Hex(b.getKey());
                Map<String, String> batch = new java.util.HashMap<>();
                for (var e : b.getValue().entrySet()) {
                    batch.put(e.getKey(), e.getValue());
                    if (batch.size() == 500) {
                        c.sync().hset(key, batch);
                        batch.clear();
                    }
                }
                if (!batch.isEmpty()) {
                    c.sync().hset(key, batch);
                }
                Long used = c.sync().memoryUsage(key);
                bytes += used == null ? 0 : used;
            }
            System.out.println("ledger bytes in Redis (" + count + " year-long entries, " + buckets.size() + " keys): "
                    + bytes);
        } finally {
            client.shutdown();
        }
    }

    /**
     * With the default Redis timeout (1 s), the roll-up's HGETALL of a big ledger (10,000 resources that ran a year:
     * the deletes of 400 days at 25 a day; ~144 MB in Redis) does not answer in time: a roll-up of one day of a space
     * without any deleted resource is partial ({@code X-Cost-Missing: deleted-resources}) although nothing of it is
     * missing, and each such read counts as a Redis failure in the breaker every keyed request shares. Measured on
     * this machine: 3 of 6 roll-ups partial; the breaker did not open, and a keyed create afterwards answered 200
     * (timing-dependent). Right: a roll-up's answer does not depend on how many other resources were deleted. Since
     * the ledger is kept by space and month, 6 of 6 complete with 10,000 entries (163 MB in Redis); the suite fills
     * 3,000 (the same reads for this roll-up).
     */
    @Test
    void aBigLedgerDoesNotMakeRollUpsOfOtherSpacesPartial() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService svc = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 0)))) {
            fillRedisLedger(redis, 3_000); // 10,000 in the attack; the ledger is read by space and month since
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            String window = "/main/costs?start=" + today + "&end=" + today.plusDays(1) + "&space=space-without-deletes";
            List<String> answers = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                Reply r = svc.call("GET", window, null, TOKEN);
                answers.add(r.status() + " missing=" + r.header("X-Cost-Missing"));
            }
            Map<String, String> keyed = Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key",
                    java.util.UUID.randomUUID().toString());
            Reply create = svc.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("mi")), keyed);
            System.out.println("roll-ups over a 3,000-entry ledger (default Redis timeout): " + answers
                    + "; then a keyed create: " + create.status());
            assertThat(create.status()).as("keyed create after roll-ups %s: %s", answers, create.body()).isEqualTo(200);
            assertThat(answers).as("roll-ups of a space without deletes").allMatch(a -> a.equals("200 missing=null"));
        }
    }

    /**
     * (held) Two orgs' services on one Redis and one Spot account: org A's deleted instance counts in A's roll-up of
     * its space and never in B's; B's delete of A's instance is a 404 that neither deletes it nor writes a ledger
     * entry (A's roll-up unchanged, B's still empty).
     */
    @Test
    void anotherOrgCannotSeeOrMoveThisOrgsDeletedCosts() {
        dev.spotapi.config.SpotClientSettings settings = Harness.quick();
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator simulator = TestService.simulator();
                TestService orgA = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000)));
                TestService orgB = TestService.replica(simulator, settings,
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000))
                                .withOrg("otherorg"))) {
            assertThat(orgA.sim("POST", "/_sim/clock/set", "{\"frozen\": true}").status()).isEqualTo(200);
            LocalDate first = Instant.parse(orgA.sim("GET", "/_sim/clock", null).json().path("now").asText())
                    .atZone(ZoneOffset.UTC).toLocalDate();
            String space = "space-" + System.nanoTime();
            Reply created = orgA.call("POST", "/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", space), TOKEN);
            assertThat(created.status()).as(created.body()).isEqualTo(200);
            String instance = created.json().asText();
            Reply other = orgA.call("POST", "/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", space), TOKEN);
            String second = other.json().asText();
            orgA.sim("POST", "/_sim/clock/advance", "{\"hours\": 20}");
            String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space
                    + "&groupBy=resource";
            BigDecimal before = Harness.costTotal(orgA.call("GET", window, null, TOKEN).json());
            assertThat(before).isPositive();

            assertThat(orgB.call("DELETE", "/main/instances/" + second, null, TOKEN).status()).isEqualTo(404);
            assertThat(orgA.call("DELETE", "/main/instances/" + instance, null, TOKEN).status()).isEqualTo(200);

            Reply a = orgA.call("GET", window, null, TOKEN);
            Reply b = orgB.call("GET", window, null, TOKEN);
            assertThat(Harness.costTotal(a.json())).as(a.body()).isEqualByComparingTo(before);
            assertThat(a.body()).contains(instance, second);
            assertThat(b.status()).isEqualTo(200);
            assertThat(Harness.costTotal(b.json())).as(b.body()).isEqualByComparingTo(BigDecimal.ZERO);
            assertThat(b.body()).doesNotContain(instance).doesNotContain(second);
        }
    }
}
