package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 16 on the portal's routes: the cost roll-up and its ledger of deleted resources, spaces, the task
 * protocol and rolls. The test config (as a deployment may) names one Spot account twice: {@code other} and
 * {@code alias} are the same Spot account ({@code act-2222bbbb}, same token), which the config validation accepts.
 * Each test asserts what a user of the service would expect: a failing one is a finding, a passing one held.
 */
class AttackRound16PortalTest extends CostHarnessPerClass {

    private Reply rollupOf(String account, String query) {
        Reply r = call("GET", "/" + account + "/costs?" + query, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }

    private static boolean partial(Reply r) {
        return "true".equals(r.header("X-Cost-Partial"));
    }

    /**
     * A space's instance deleted through another account name of the same Spot account (the expiry service names
     * the account after its org; another service the other name): the instance is visible and deletable under both
     * names (same Spot account, same org), and its delete keeps its costs in the ledger. Then the space's roll-up
     * through the first name. Expected: the space's total as before the delete (the resource ran 30 h in it), or an
     * answer that says it is partial. Also the reverse: deleted through the first name, rolled up through the second.
     */
    @Test
    void aDeleteThroughAnotherNameOfTheSameSpotAccountStillCountsInTheSpacesRollUp() {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        String a = create("/other/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        String b = create("/other/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String window = "start=" + first + "&end=" + first.plusDays(3) + "&space=" + space + "&groupBy=resource";
        BigDecimal before = Harness.costTotal(rollupOf("other", window).json());
        BigDecimal beforeAlias = Harness.costTotal(rollupOf("alias", window).json());
        assertThat(before).isPositive();
        assertThat(beforeAlias).as("the same Spot account under its other name").isEqualByComparingTo(before);

        Reply del = call("DELETE", "/alias/instances/" + a, null);
        assertThat(del.status()).as(del.body()).isEqualTo(200);
        Reply del2 = call("DELETE", "/other/instances/" + b, null);
        assertThat(del2.status()).as(del2.body()).isEqualTo(200);

        Reply after = rollupOf("other", window);
        Reply afterAlias = rollupOf("alias", window);
        assertThat(partial(after) || Harness.costTotal(after.json()).compareTo(before) == 0)
                .as("roll-up through 'other' after one delete through 'alias' and one through 'other': "
                        + "before %s, after %s (partial %s): %s", before, Harness.costTotal(after.json()),
                        after.header("X-Cost-Partial"), after.body()).isTrue();
        assertThat(partial(afterAlias) || Harness.costTotal(afterAlias.json()).compareTo(before) == 0)
                .as("roll-up through 'alias' after the same deletes: before %s, after %s (partial %s): %s", before,
                        Harness.costTotal(afterAlias.json()), afterAlias.header("X-Cost-Partial"), afterAlias.body())
                .isTrue();
    }

    /**
     * (held) A space given through an update (instance update; group update with {@code ?roll=true}) to a resource
     * that ran without one: expected {@code spot-api:space-since} set as by the tag route (so the roll-up counts the
     * days before it under no space), the space itself stored.
     */
    @Test
    void aSpaceGivenThroughAnUpdateGetsItsSpaceSinceDay() {
        frozenToday();
        String space = "space-" + System.nanoTime();
        String instance = create("/main/instances", Harness.instanceBody(Harness.uniqueName("mi")));
        String group = create("/main/elastigroups", Harness.groupBody(Harness.uniqueName("grp")));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 30}");
        ObjectNode update = JsonNodeFactory.instance.objectNode();
        ArrayNode tags = update.putObject("compute").putObject("launchSpecification").putArray("tags");
        tags.addObject().put("tagKey", "spinup:spaceid").put("tagValue", space);
        Reply u1 = call("PUT", "/main/instances/" + instance, update);
        assertThat(u1.status()).as(u1.body()).isEqualTo(200);
        Reply u2 = call("PUT", "/main/elastigroups/" + group + "?roll=true", update);
        assertThat(u2.status()).as(u2.body()).isIn(200, 202);
        for (String path : new String[] {"/main/instances/" + instance + "/tags", "/main/elastigroups/" + group + "/tags"}) {
            Reply t = call("GET", path, null);
            assertThat(t.json().path("tags").path("spinup:spaceid").asText()).as(t.body()).isEqualTo(space);
            assertThat(t.json().path("tags").has("spot-api:space-since")).as(t.body()).isTrue();
        }
    }

    /**
     * A space's managed instance deleted with {@code ?detach=true} (Spot stops managing it; it ran 30 h as a managed
     * instance of the space) and a space's group deleted with {@code ?keep=volumes}: expected the space's roll-up
     * unchanged (the delete keeps the costs, whatever its options), or partial.
     */
    @Test
    void aDeleteWithDetachOrKeepStillCountsInTheSpacesRollUp() {
        LocalDate first = frozenToday();
        String space = "space-" + System.nanoTime();
        String instance = create("/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                "spinup:spaceid", space));
        String group = create("/main/elastigroups", Harness.tagged(Harness.groupBody(Harness.uniqueName("grp")),
                "spinup:spaceid", space));
        sim("POST", "/_sim/clock/advance", "{\"hours\": 30}");
        String window = "start=" + first + "&end=" + first.plusDays(3) + "&space=" + space + "&groupBy=resource";
        BigDecimal before = Harness.costTotal(rollupOf("main", window).json());
        assertThat(before).isPositive();
        Reply d1 = call("DELETE", "/main/instances/" + instance + "?detach=true", null);
        assertThat(d1.status()).as(d1.body()).isEqualTo(200);
        Reply d2 = call("DELETE", "/main/elastigroups/" + group + "?keep=volumes", null);
        assertThat(d2.status()).as(d2.body()).isEqualTo(200);
        Reply after = rollupOf("main", window);
        assertThat(partial(after) || Harness.costTotal(after.json()).compareTo(before) == 0)
                .as("before %s, after %s: %s", before, Harness.costTotal(after.json()), after.body()).isTrue();
    }

    /**
     * Spot answers a group status read of its account 429 with {@code Retry-After: 30} (its per-account, per-route
     * limit): spot-api holds the route, so a second read through the same account name is 429 without reaching Spot.
     * The same read through the other name of the same Spot account (same token: Spot counts it against the same
     * limit, and keeps blocking a client that keeps sending while blocked, contract section 9.2). Expected: held as
     * well (429 with Retry-After, no request reaching Spot), not sent. (Round 3 kept the rate budget per name on
     * purpose, reliability.md; the hold is Spot's own verdict on the Spot account, not spot-api's budget.)
     */
    @Test
    void spotsHoldOnARouteIsKeptForTheSameSpotAccountUnderItsOtherName() {
        String id = create("/other/elastigroups", Harness.groupBody(Harness.uniqueName("grp")));
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/*/status\",\"action\":\"status\",\"status\":429,"
                + "\"retryAfter\":30,\"count\":1}");
        Harness.assertJsonError(call("GET", "/other/elastigroups/" + id + "/status", null), 429);
        h.clearRequestLog();
        Reply same = call("GET", "/other/elastigroups/" + id + "/status", null);
        assertThat(same.status()).as("the same name: %s", same.body()).isEqualTo(429);
        assertThat(h.countSpotRequests("GET", Harness.GROUPS + "/" + id + "/status")).as("held under 'other'").isZero();
        Reply alias = call("GET", "/alias/elastigroups/" + id + "/status", null);
        assertThat(h.countSpotRequests("GET", Harness.GROUPS + "/" + id + "/status"))
                .as("reads of Spot's held route within its Retry-After through the other name of the account (answer %d %s)",
                        alias.status(), alias.body()).isZero();
        assertThat(alias.status()).as(alias.body()).isEqualTo(429);
    }

    private String theirs(boolean group) {
        ObjectNode body = Harness.tagged(group ? Harness.groupBody(Harness.uniqueName("t"))
                : Harness.instanceBody(Harness.uniqueName("t")), "spinup:org", "otherorg");
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set(group ? "group" : "managedInstance", body);
        Reply created = h.svc.sim("POST", (group ? Harness.GROUPS : Harness.INSTANCES) + "?accountId=" + Harness.MAIN_ID,
                wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("response").path("items").path(0).path("id").asText();
    }

    /** What one request showed: status, body without its request id, header names, Spot requests with ids masked. */
    private String seen(String method, String path, String body, Map<String, String> headers, String id) {
        h.clearRequestLog();
        Reply r = h.svc.call(method, path, body, headers);
        List<String> spot = new ArrayList<>();
        for (JsonNode q : h.spotRequests()) {
            spot.add(q.path("method").asText() + " " + q.path("path").asText().replace(id, "ID"));
        }
        java.util.Collections.sort(spot); // reads run in parallel with the org check
        java.util.TreeSet<String> names = new java.util.TreeSet<>();
        r.headers().keySet().forEach(k -> names.add(k.toLowerCase(java.util.Locale.ROOT)));
        names.removeAll(List.of("x-request-id", "date"));
        return r.status() + " " + r.body().replace(id, "ID").replaceAll("\"requestId\":\"[^\"]*\"", "") + " " + names
                + " " + spot;
    }

    /**
     * (held) Another org's instance and group (same Spot account) against ids that do not exist, on the portal's
     * routes, synchronous and with {@code Prefer: respond-async}: deletes (plain, {@code detach=true}), per-resource
     * costs (with and without dates), rolls (start, read, stop), the expiry service's tag merge, power. Expected: the
     * same status, body, header names and Spot requests for both, and never a Spot write.
     */
    @Test
    void anotherOrgsResourceAnswersAsAMissingOneOnThePortalsRoutes() {
        Map<String, String> sync = Map.of("X-Auth-Token", TestService.TOKEN);
        Map<String, String> async = Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async");
        String ti = theirs(false);
        String tg = theirs(true);
        String[][] routes = {{"DELETE", "/main/instances/ID", null}, {"DELETE", "/main/instances/ID?detach=true", null},
                {"DELETE", "/main/elastigroups/GID", null}, {"GET", "/main/instances/ID/costs", null},
                {"GET", "/main/elastigroups/GID/costs?start=2026-11-01&end=2026-12-01&aggregationPeriod=daily", null},
                {"POST", "/main/elastigroups/GID/rolls", "{\"batchSizePercentage\":50}"},
                {"GET", "/main/elastigroups/GID/rolls/sbgd-12345678", null},
                {"PUT", "/main/elastigroups/GID/rolls/sbgd-12345678", "{\"status\":\"STOPPED\"}"},
                {"PUT", "/main/GID/tags", "{\"tags\":{\"a\":\"b\"}}"}, {"PUT", "/main/ID/tags", "{\"tags\":{\"a\":\"b\"}}"},
                {"PUT", "/main/elastigroups/GID/power", "{\"state\":\"stop\"}"},
                {"PUT", "/main/instances/ID/power", "{\"state\":\"stop\"}"}};
        for (String[] route : routes) {
            for (Map<String, String> headers : List.of(sync, async)) {
                boolean group = route[1].contains("GID");
                String their = group ? tg : ti;
                String missing = group ? "sig-0badf00d" : "smi-0badf00d";
                String foreign = seen(route[0], route[1].replace("GID", their).replace("ID", their), route[2], headers, their);
                String absent = seen(route[0], route[1].replace("GID", missing).replace("ID", missing), route[2], headers,
                        missing);
                assertThat(foreign).as("%s %s %s", route[0], route[1], headers.keySet()).isEqualTo(absent);
                assertThat(foreign).as("no Spot write").doesNotContain("PUT /", "POST /", "DELETE /");
            }
        }
    }

    /**
     * (held) An {@code Idempotency-Key} used for a scale through one account name, then for the same scale of the same
     * group through the other name of the Spot account: expected 422 (a different request), never a second scale.
     */
    @Test
    void aKeyUsedThroughOneNameIsNotRunAgainThroughTheOtherName() {
        String g = create("/other/elastigroups", Harness.groupBody(Harness.uniqueName("g")));
        Map<String, String> keyed = Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", "k-" + System.nanoTime());
        String body = "{\"direction\":\"up\",\"adjustment\":1}";
        Reply s1 = h.svc.call("PUT", "/other/elastigroups/" + g + "/scale", body, keyed);
        assertThat(s1.status()).as(s1.body()).isEqualTo(200);
        h.clearRequestLog();
        Reply s2 = h.svc.call("PUT", "/alias/elastigroups/" + g + "/scale", body, keyed);
        assertThat(s2.status()).as(s2.body()).isEqualTo(422);
        assertThat(h.spotRequests().stream().filter(q -> !"GET".equals(q.path("method").asText())).toList()).isEmpty();
    }

    /**
     * (held, round 7's kind on the fleet routes) A conditional write that cannot match, {@code If-Match: "stale"} or
     * {@code If-Unmodified-Since} 1970, on the fleet routes of the portal: roll start, roll stop, suspend, resume a
     * process, detach, the expiry service's tag merge, capacity. Expected: 412 each, and no Spot write.
     */
    @Test
    void conditionalWritesOnTheFleetRoutesAreEvaluated() {
        String g = create("/main/elastigroups", Harness.groupBody(Harness.uniqueName("g")));
        Reply roll = call("POST", "/main/elastigroups/" + g + "/rolls", "{\"batchSizePercentage\":50}");
        assertThat(roll.status()).as(roll.body()).isEqualTo(202);
        String rollId = roll.json().path("rollId").asText();
        String[][] writes = {{"POST", "/rolls", "{\"batchSizePercentage\":50}"},
                {"PUT", "/rolls/" + rollId, "{\"status\":\"STOPPED\"}"},
                {"PUT", "/suspensions", "{\"suspensions\":[{\"name\":\"AUTO_HEALING\",\"ttlInMinutes\":60}]}"},
                {"DELETE", "/suspensions/AUTO_HEALING", null},
                {"PUT", "/detach", "{\"instancesToDetach\":[\"i-0123456789abcdef0\"],\"shouldDecrementTargetCapacity\":true,"
                        + "\"shouldTerminateInstances\":false}"},
                {"PUT", "/tags", "{\"tags\":{\"a\":\"b\"}}"}, {"PUT", "/capacity", "{\"target\":1}"}};
        for (Map<String, String> condition : List.of(Map.of("If-Match", "\"stale\""),
                Map.of("If-Unmodified-Since", "Thu, 01 Jan 1970 00:00:00 GMT"))) {
            for (String[] w : writes) {
                Map<String, String> headers = new java.util.HashMap<>(condition);
                headers.put("X-Auth-Token", TestService.TOKEN);
                h.clearRequestLog();
                Reply r = h.svc.call(w[0], "/main/elastigroups/" + g + w[1], w[2], headers);
                List<JsonNode> sent = h.spotRequests().stream().filter(q -> !"GET".equals(q.path("method").asText())).toList();
                assertThat(r.status()).as("%s %s with %s: %s (Spot writes %s)", w[0], w[1], condition, r.body(), sent)
                        .isEqualTo(412);
                assertThat(sent).isEmpty();
            }
        }
    }

    /**
     * An instance deleted through one name of the Spot account, then the delete repeated (a retried expiry run) through
     * the other name. Expected as for a repeat through the same name (docs/api.md "Errors"): 404 saying it was already
     * deleted by spot-api, with {@code deletedAt}, not a plain "does not exist" that a caller cannot tell from an id it
     * never had.
     */
    @Test
    void aRepeatedDeleteThroughTheOtherNameSaysItWasAlreadyDeleted() {
        String id = create("/other/instances", Harness.instanceBody(Harness.uniqueName("mi")));
        Reply first = call("DELETE", "/other/instances/" + id, null);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        Reply same = call("DELETE", "/other/instances/" + id, null);
        Reply alias = call("DELETE", "/alias/instances/" + id, null);
        assertThat(same.json().has("deletedAt")).as(same.body()).isTrue();
        assertThat(alias.status()).as(alias.body()).isEqualTo(404);
        assertThat(alias.json().has("deletedAt")).as("through the other name: %s", alias.body()).isTrue();
    }

    /**
     * Two deployments of the same org on one Redis (staging and production of one portal, say), each naming its own
     * Spot account {@code main} (production: {@code act-1111aaaa}; staging: {@code act-2222bbbb}). Production deletes
     * an instance of space {@code S} that ran 30 h; then staging's roll-up of its own account for space {@code S}
     * (its Spot account never had a resource there), grouped by resource. Expected: 0 and no resource named (the
     * ledger is of production's Spot account), not production's costs and instance id.
     */
    @Test
    void aDeletedResourceCountsOnlyInItsOwnSpotAccountsRollUp() {
        try (dev.spotapi.support.RedisProcess redis = dev.spotapi.support.RedisProcess.start();
                dev.spotapi.sim.SpotSimulator sim = TestService.simulator();
                TestService prod = TestService.replica(sim, TestService.fastSettings(),
                        c -> c.withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000)));
                TestService staging = TestService.replica(sim, TestService.fastSettings(), c -> {
                    Map<String, dev.spotapi.config.AccountConfig> accounts = new java.util.LinkedHashMap<>();
                    accounts.put("main", new dev.spotapi.config.AccountConfig("us-east-1", TestService.OTHER_ID,
                            "other-spot-token", TestService.DEFAULT_VPC, sim.baseUrl()));
                    return dev.spotapi.config.ConfigLoader.validate(new dev.spotapi.config.ServiceConfig("127.0.0.1:0",
                            accounts, TestService.KEY, "info", "text", TestService.ORG, 0, TestService.fastSettings()))
                            .withSharedState(new dev.spotapi.config.SharedStateConfig(redis.url(), 2_000));
                })) {
            assertThat(prod.sim("POST", "/_sim/clock/set", "{\"frozen\": true}").status()).isEqualTo(200);
            LocalDate first = java.time.Instant.parse(prod.sim("GET", "/_sim/clock", null).json().path("now").asText())
                    .atZone(java.time.ZoneOffset.UTC).toLocalDate();
            String space = "space-" + System.nanoTime();
            Reply made = prod.call("POST", "/main/instances", Harness.tagged(Harness.instanceBody(Harness.uniqueName("mi")),
                    "spinup:spaceid", space));
            assertThat(made.status()).as(made.body()).isEqualTo(200);
            String id = made.json().asText();
            assertThat(prod.sim("POST", "/_sim/clock/advance", "{\"hours\": 30}").status()).isEqualTo(200);
            Reply deleted = prod.call("DELETE", "/main/instances/" + id, null);
            assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
            String window = "/main/costs?start=" + first + "&end=" + first.plusDays(3) + "&space=" + space + "&groupBy=resource";
            Reply ours = prod.call("GET", window, null);
            assertThat(Harness.costTotal(ours.json())).as("production's own roll-up: %s", ours.body()).isPositive();
            Reply theirs = staging.call("GET", window, null);
            assertThat(theirs.status()).as(theirs.body()).isEqualTo(200);
            assertThat(theirs.body()).as("staging's roll-up of its own Spot account names production's instance").doesNotContain(id);
            assertThat(Harness.costTotal(theirs.json())).as("staging's roll-up: %s", theirs.body())
                    .isEqualByComparingTo(BigDecimal.ZERO);
        }
    }
}
