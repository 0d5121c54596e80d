package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.auth.TokenVerifier;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The portal's satellites as black-box clients (issue 23): the nightly scheduler (a fresh cost-6 bcrypt hash per
 * call, 30 s timeout, any status >= 300 is a failure), the expiry service (tag merge with X-Forwarded-User), the
 * cost roll-up the portal adds to a space's cost, the account list, and tags on volumes and ENIs.
 */
class PortalServicesTest extends ApiTestSupport {
    private final HttpClient scheduler = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

    /** One scheduler call: PUT <endpoint>/power {"state": ...} with a freshly hashed token (cost 6). */
    private int schedulerPower(String endpoint, String state) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(svc.base + endpoint + "/power"))
                .timeout(Duration.ofSeconds(30))
                .header("X-Auth-Token", TokenVerifier.hash(TestService.KEY, 6))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"state\":\"" + state + "\"}")).build();
        return scheduler.send(request, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    @Test
    void aSchedulerLikeClientsStopStopStartStartAllSucceed() throws Exception {
        String instance = createInstance();
        String group = createGroup();
        for (String endpoint : List.of("/main/instances/" + instance, "/main/elastigroups/" + group)) {
            assertThat(schedulerPower(endpoint, "stop")).as(endpoint).isLessThan(300);
            assertThat(schedulerPower(endpoint, "stop")).as(endpoint).isLessThan(300);
            advanceSimClock("{\"hours\": 12}"); // the night: the pause is over
            assertThat(schedulerPower(endpoint, "start")).as(endpoint).isLessThan(300);
            assertThat(schedulerPower(endpoint, "start")).as(endpoint).isLessThan(300);
            advanceSimClock("{\"hours\": 12}");
        }
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + instance + "/")).extracting(r -> r.path("path").asText())
                .containsExactly("/aws/ec2/managedInstance/" + instance + "/pause",
                        "/aws/ec2/managedInstance/" + instance + "/resume");
        assertThat(storedGroup(group).path("capacity").path("target").asInt()).isEqualTo(2);
    }

    private Reply tags(String method, String path, String body) {
        return svc.call(method, path + "/tags", body, Map.of("X-Auth-Token", TestService.TOKEN,
                "X-Forwarded-User", "expiry-service"));
    }

    private static ObjectNode tagged(ObjectNode body, String... keyValues) {
        var tags = ((ObjectNode) body.path("compute").path("launchSpecification")).withArray("tags");
        for (int i = 0; i < keyValues.length; i += 2) {
            tags.addObject().put("tagKey", keyValues[i]).put("tagValue", keyValues[i + 1]);
        }
        return body;
    }

    @Test
    void anExpiryServiceLikeTagMergeKeepsExistingTagsAndTheOrg() {
        String group = createGroup(tagged(groupBody(), "team", "blue", "expire-on", "2026-12-31"));
        String instance = createInstance(tagged(instanceBody(), "team", "red"));
        for (String path : List.of("/main/elastigroups/" + group, "/main/instances/" + instance)) {
            Reply merged = tags("PUT", path, "{\"tags\":{\"expire-on\":\"2027-01-31\",\"renewed\":\"yes\"}}");
            assertThat(merged.status()).as(merged.body()).isEqualTo(200);
            JsonNode t = merged.json().path("tags");
            assertThat(t.path("expire-on").asText()).isEqualTo("2027-01-31");
            assertThat(t.path("renewed").asText()).isEqualTo("yes");
            assertThat(t.path("team").isTextual()).isTrue();
            assertThat(t.path("spinup:org").asText()).isEqualTo(TestService.ORG);
            assertThat(tags("GET", path, null).json()).isEqualTo(merged.json());

            Reply removed = tags("PUT", path, "{\"tags\":{\"renewed\":null}}");
            assertThat(removed.json().path("tags").has("renewed")).isFalse();
            assertThat(removed.json().path("tags").path("team").isTextual()).isTrue();

            Reply owned = tags("PUT", path, "{\"tags\":{\"spinup:org\":\"evil\",\"spot-api:stopped-capacity\":\"x\",\"a\":\"b\"}}");
            assertThat(assertError(owned, 400)).contains("spinup:org").contains("spot-api:stopped-capacity");
            assertThat(tags("PUT", path, "{\"tags\":{\"spinup:spaceid\":\"space-1\"}}").status()).isEqualTo(200);
            assertThat(assertError(tags("PUT", path, "{\"tags\":{\"spinup:spaceid\":\"space-2\"}}"), 400))
                    .contains("spinup:spaceid");
            assertThat(tags("GET", path, null).json().path("tags").path("spinup:spaceid").asText()).isEqualTo("space-1");
            assertError(tags("PUT", path, "{\"tags\":[\"a\"]}"), 400);
            assertError(tags("PUT", path, "{\"tags\":{\"a\":1}}"), 400);
        }
        // the group's running instances get the change without a roll: sent with autoApplyTags=true
        assertThat(spotRequests("PUT", "/aws/ec2/group/" + group)).isNotEmpty()
                .allSatisfy(r -> assertThat(r.path("query").asText()).contains("autoApplyTags=true"));
        JsonNode view = svc.sim("GET", "/_sim/ec2-tags/" + MAIN_ID + "/" + group, null).json();
        List<JsonNode> running = new ArrayList<>();
        view.path("resources").forEach(r -> {
            if (r.path("type").asText().equals("instance")) {
                running.add(r);
            }
        });
        assertThat(running).hasSize(2).allSatisfy(r -> assertThat(r.path("tags").toString())
                .contains("\"tagKey\":\"expire-on\",\"tagValue\":\"2027-01-31\""));
        // org isolation: another org's object (here: none) is a 404, before any write
        assertError(tags("PUT", "/main/elastigroups/sig-00000000", "{\"tags\":{\"a\":\"b\"}}"), 404);
    }

    @Test
    void volumesAndNetworkInterfacesCarryTheTags() {
        String group = createGroup(tagged(groupBody(), "spinup:spaceid", "space-a"));
        String instance = createInstance(tagged(instanceBody(), "spinup:spaceid", "space-a"));
        ObjectNode optedOut = tagged(instanceBody(), "spinup:spaceid", "space-b");
        ((ObjectNode) optedOut.path("compute").path("launchSpecification")).putObject("resourceTagSpecification")
                .putObject("volumes").put("shouldTag", false);
        String chose = createInstance(optedOut);
        for (String id : List.of(group, instance)) {
            JsonNode view = svc.sim("GET", "/_sim/ec2-tags/" + MAIN_ID + "/" + id, null).json();
            assertThat(view.path("resources")).isNotEmpty().allSatisfy(r -> assertThat(r.path("tags").toString())
                    .as(r.toString()).contains("\"tagKey\":\"spinup:spaceid\",\"tagValue\":\"space-a\""));
        }
        JsonNode view = svc.sim("GET", "/_sim/ec2-tags/" + MAIN_ID + "/" + chose, null).json();
        view.path("resources").forEach(r -> assertThat(r.path("tags").isEmpty())
                .as(r.toString()).isEqualTo(r.path("type").asText().equals("volume")));
    }

    @Test
    void theAccountListNamesTheAccounts() {
        Reply r = get("/");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> names = new ArrayList<>();
        r.json().forEach(n -> names.add(n.asText()));
        assertThat(names).contains("main", "other").isSorted();
        assertThat(anonymous("GET", "/").status()).isEqualTo(403);
    }

    @Test
    void theCostRollupOfTwoSpacesOverAWeekIsTheSumOfTheResourcesCosts() {
        freezeSimClock();
        java.time.LocalDate first = Instant.ofEpochMilli(simNow()).atZone(java.time.ZoneOffset.UTC).toLocalDate();
        // spaces of their own: the class's other tests delete resources, whose costs the roll-up keeps (CostLedger)
        String spaceA = "space-a-" + System.nanoTime();
        String spaceB = "space-b-" + System.nanoTime();
        List<String> groups = List.of(createGroup(tagged(groupBody(), "spinup:spaceid", spaceA)),
                createGroup(tagged(groupBody(), "spinup:spaceid", spaceB)));
        List<String> instances = List.of(createInstance(tagged(instanceBody(), "spinup:spaceid", spaceA)));
        advanceSimClock("{\"hours\": 168}");
        String window = "start=" + first + "&end=" + first.plusDays(7);

        BigDecimal sum = BigDecimal.ZERO;
        for (String g : groups) {
            sum = sum.add(dailySum(get("/main/elastigroups/" + g + "/costs?" + window + "&aggregationPeriod=daily")));
        }
        for (String i : instances) {
            sum = sum.add(dailySum(get("/main/instances/" + i + "/costs?" + window + "&aggregationPeriod=daily")));
        }
        assertThat(sum).isPositive();

        Reply bySpace = get("/main/costs?" + window + "&groupBy=space&granularity=daily");
        assertThat(bySpace.status()).as(bySpace.body()).isEqualTo(200);
        assertThat(bySpace.header(CostRollupRoutes.PARTIAL)).isNull();
        assertThat(bySpace.json()).hasSize(7);
        BigDecimal total = BigDecimal.ZERO;
        for (JsonNode period : bySpace.json()) {
            assertThat(period.path("Groups")).extracting(g -> g.path("Keys").path(0).asText())
                    .contains(spaceA, spaceB).isSorted();
            for (JsonNode g : period.path("Groups")) {
                String key = g.path("Keys").path(0).asText();
                if (key.equals(spaceA) || key.equals(spaceB)) {
                    total = total.add(new BigDecimal(g.path("Metrics").path("BlendedCost").path("Amount").asText()));
                }
            }
        }
        assertThat(total.subtract(sum).abs()).isLessThan(new BigDecimal("0.01"));

        Reply monthly = get("/main/costs?" + window + "&space=" + spaceB);
        assertThat(monthly.json()).hasSizeBetween(1, 2); // the week may cross a month's end
        assertThat(monthly.json().path(0).path("TimePeriod").path("Start").asText()).isEqualTo(first.toString());
        assertThat(monthly.json().path(monthly.json().size() - 1).path("TimePeriod").path("End").asText()).isEqualTo(first.plusDays(7).toString());
        assertThat(new BigDecimal(monthly.json().path(monthly.json().size() - 1).path("Total").path("BlendedCost").path("Amount").asText()))
                .isPositive().isLessThan(total);
        assertError(get("/main/costs?start=" + first.plusDays(7) + "&end=" + first), 400);
        assertError(get("/main/costs?start=" + first), 400);
        assertError(get("/main/costs?" + window + "&groupBy=service"), 400);
    }

    private static BigDecimal dailySum(Reply r) {
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        BigDecimal sum = BigDecimal.ZERO;
        for (JsonNode day : r.json()) {
            sum = sum.add(day.path("costs").path("actual").decimalValue());
        }
        return sum;
    }

    @Test
    void costCallsToOneSpotAccountNeverOverlap() throws Exception {
        for (int i = 0; i < 3; i++) {
            createInstance();
        }
        addFault("""
                {"method":"GET","path":"/aws/ec2/managedInstance/*/costs","action":"delay","delayMs":150}""");
        clearSpotRequests();
        String today = java.time.LocalDate.now(java.time.ZoneOffset.UTC).toString();
        String tomorrow = java.time.LocalDate.now(java.time.ZoneOffset.UTC).plusDays(1).toString();
        List<CompletableFuture<Reply>> calls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> get("/main/costs?start=" + today + "&end=" + tomorrow)));
        }
        for (var c : calls) {
            Reply r = c.join();
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.header(CostRollupRoutes.PARTIAL)).isNull();
        }
        List<Instant> times = new ArrayList<>();
        for (JsonNode r : spotRequests("GET", "/aws/ec2/managedInstance/")) {
            if (r.path("path").asText().endsWith("/costs")) {
                times.add(Instant.parse(r.path("time").asText()));
            }
        }
        assertThat(times).hasSize(6);
        for (int i = 1; i < times.size(); i++) {
            assertThat(Duration.between(times.get(i - 1), times.get(i)).toMillis()).as("gap %d", i)
                    .isGreaterThanOrEqualTo(140);
        }
    }

    @Test
    void anAsyncStopOfAStoppedInstanceOrGroupIsAcceptedWithATaskThatCompletes() throws InterruptedException {
        String id = createInstance();
        assertThat(call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}").status()).isEqualTo(204);
        advanceSimClock("{\"hours\": 1}");
        clearSpotRequests();
        Reply r = svc.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"poweroff\"}",
                Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String task = r.header("X-Flywheel-Task");
        assertThat(task).isNotBlank();
        assertThat(spotRequests("PUT", "/aws/ec2/managedInstance/" + id + "/")).isEmpty();
        long deadline = System.nanoTime() + 15_000_000_000L;
        String status = "";
        while (!status.matches("completed|failed") && System.nanoTime() < deadline) {
            Thread.sleep(20);
            status = get("/flywheel?task=" + task).json().path(task).path("status").asText();
        }
        assertThat(status).isEqualTo("completed");

        String group = createGroup();
        assertThat(call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}").status()).isEqualTo(204);
        clearSpotRequests();
        Reply g = svc.call("PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}",
                Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async"));
        assertThat(g.status()).as(g.body()).isEqualTo(202);
        String groupTask = g.header("X-Flywheel-Task");
        assertThat(spotRequests("PUT", "/aws/ec2/group/")).isEmpty();
        deadline = System.nanoTime() + 15_000_000_000L;
        status = "";
        while (!status.matches("completed|failed") && System.nanoTime() < deadline) {
            Thread.sleep(20);
            status = get("/flywheel?task=" + groupTask).json().path(groupTask).path("status").asText();
        }
        assertThat(status).isEqualTo("completed");
    }

    @Test
    void concurrentTagMergesLoseNoAcknowledgedWrite() {
        String group = createGroup();
        List<CompletableFuture<Reply>> merges = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String body = "{\"tags\":{\"k" + i + "\":\"v" + i + "\"}}";
            merges.add(CompletableFuture.supplyAsync(() -> tags("PUT", "/main/elastigroups/" + group, body)));
        }
        List<Integer> acknowledged = new ArrayList<>();
        for (int i = 0; i < merges.size(); i++) {
            Reply r = merges.get(i).join();
            assertThat(r.status()).as(r.body()).isIn(200, 409);
            if (r.status() == 200) {
                acknowledged.add(i);
            }
        }
        assertThat(acknowledged).isNotEmpty();
        JsonNode now = tags("GET", "/main/elastigroups/" + group, null).json().path("tags");
        for (int i : acknowledged) {
            assertThat(now.path("k" + i).asText()).as("k%d in %s", i, now).isEqualTo("v" + i);
        }
        assertThat(now.path("spinup:org").asText()).isEqualTo(TestService.ORG);
    }

    @Test
    void aClosedWindowIsCachedAndAFailedResourceMakesAPartialAnswer() {
        String a = createInstance();
        String b = createInstance();
        String window = "start=2026-01-01&end=2026-01-08";
        clearSpotRequests();
        Reply first = get("/main/costs?" + window + "&groupBy=resource");
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        int calls = costCalls();
        assertThat(calls).isEqualTo(2);
        assertThat(get("/main/costs?" + window + "&groupBy=resource").json()).isEqualTo(first.json());
        assertThat(costCalls()).as("served from the cache").isEqualTo(calls);

        addFault("""
                {"method":"GET","path":"/aws/ec2/managedInstance/%s/costs","action":"status","status":500}""".formatted(b));
        Reply partial = get("/main/costs?start=2026-02-01&end=2026-02-08&groupBy=resource");
        assertThat(partial.status()).as(partial.body()).isEqualTo(200);
        assertThat(partial.header(CostRollupRoutes.PARTIAL)).isEqualTo("true");
        assertThat(partial.header(CostRollupRoutes.MISSING)).isEqualTo(b);
        assertThat(partial.json()).allSatisfy(p -> assertThat(p.path("Estimated").asBoolean()).isTrue());
        assertThat(partial.json().path(0).path("Groups")).extracting(g -> g.path("Keys").path(0).asText())
                .containsExactly(a);
    }

    private int costCalls() {
        int n = 0;
        for (JsonNode r : spotRequests("GET", "/aws/ec2/")) {
            if (r.path("path").asText().endsWith("/costs")) {
                n++;
            }
        }
        return n;
    }

    @Test
    void theExpiryServicesOwnUrlAndHeadersWork() throws Exception {
        String group = createGroup(tagged(groupBody(), "team", "blue"));
        String instance = createInstance();
        for (String id : List.of(group, instance)) {
            // as the tagger sends it: <endpoint>/<org>/<id>/tags, Auth-token = bcrypt (cost 4) of the key, 30 s timeout
            HttpRequest request = HttpRequest.newBuilder(URI.create(svc.base + "/main/" + id + "/tags"))
                    .timeout(Duration.ofSeconds(30))
                    .header("Auth-token", TokenVerifier.hash(TestService.KEY, 4))
                    .header("X-Forwarded-User", "reaper")
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"tags\":{\"spinup:expiry\":\"x\",\"renewed-at\":\"2026-12-06\"}}"))
                    .build();
            HttpResponse<String> refused = scheduler.send(request, HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(refused.body()).isEqualTo(400);
            assertThat(refused.body()).contains("spinup:expiry");
            HttpResponse<String> r = scheduler.send(HttpRequest.newBuilder(request.uri()).timeout(Duration.ofSeconds(30))
                    .header("Auth-token", TokenVerifier.hash(TestService.KEY, 4)).header("X-Forwarded-User", "reaper")
                    .PUT(HttpRequest.BodyPublishers.ofString("{\"tags\":{\"renewed-at\":\"2026-12-06\"}}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isLessThan(300);
            JsonNode t = tags("GET", "/main/" + id, null).json().path("tags");
            assertThat(t.path("renewed-at").asText()).isEqualTo("2026-12-06");
            assertThat(t.path("spinup:org").asText()).isEqualTo(TestService.ORG);
        }
        assertThat(tags("GET", "/main/elastigroups/" + group, null).json().path("tags").path("team").asText()).isEqualTo("blue");
        assertError(tags("PUT", "/main/not-an-id", "{\"tags\":{\"a\":\"b\"}}"), 404);

        // an object of no org (made straight in Spot) is a 404 before any write
        ObjectNode foreign = groupBody();
        Reply made = svc.sim("POST", "/aws/ec2/group?accountId=" + MAIN_ID,
                TestService.JSON.createObjectNode().set("group", foreign));
        assertThat(made.status()).as(made.body()).isEqualTo(200);
        String foreignId = made.json().path("response").path("items").path(0).path("id").asText();
        clearSpotRequests();
        assertError(tags("PUT", "/main/" + foreignId, "{\"tags\":{\"a\":\"b\"}}"), 404);
        assertError(tags("GET", "/main/" + foreignId, null), 404);
        assertError(tags("PUT", "/main/elastigroups/" + foreignId, "{\"tags\":{\"a\":\"b\"}}"), 404);
        assertError(tags("GET", "/main/elastigroups/" + foreignId, null), 404);
        assertThat(spotRequests("PUT", "/aws/ec2/group/")).isEmpty();
    }
}
