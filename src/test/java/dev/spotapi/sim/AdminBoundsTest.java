package dev.spotapi.sim;

import dev.spotapi.sim.faults.Fault;
import dev.spotapi.sim.http.PathGlob;
import dev.spotapi.sim.http.RequestLog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 10 item 9, "Simulator admin input is unbounded": fault path globs match in linear time, every admin
 * input (clock, faults, limits) is bounded and refused with a JSON 400, nothing an admin call does can leave
 * the persisted state unreadable, and one object (a group's capacity, a field, a body) has a bounded cost.
 */
class AdminBoundsTest extends SimTestBase {
    @TempDir
    Path dataDir;

    private static String doubleStars(int n) {
        return "/**".repeat(n) + "/x";
    }

    private static String segments(int n) {
        return "/a".repeat(n);
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 20, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aGlobOfManyDoubleStarsMatchesALongPathInLinearTime() {
        PathGlob glob = PathGlob.compile(doubleStars(25));
        long start = System.nanoTime();
        for (int i = 0; i < 1_000; i++) {
            assertThat(glob.matches(segments(40))).isFalse(); // java.util.regex never returned here
        }
        assertThat(glob.matches(segments(40) + "/x")).isTrue();
        assertThat(PathGlob.compile(doubleStars(80)).matches(segments(200))).isFalse();
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("1000 matches").isLessThan(2_000);
        assertThat(PathGlob.compile("/aws/ec2/group/*").matches("/aws/ec2/group/sig-1")).isTrue();
        assertThat(PathGlob.compile("/aws/ec2/group/*").matches("/aws/ec2/group/sig-1/status")).isFalse();
        assertThat(PathGlob.compile("/aws/**").matches("/aws/ec2/group/sig-1/status")).isTrue();
        assertThat(PathGlob.compile("/a.b/(x)+").matches("/a.b/(x)+")).as("regex characters are literal").isTrue();
        assertThat(PathGlob.compile("/a.b").matches("/aXb")).isFalse();
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 20, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void aFaultWithManyDoubleStarsDoesNotHangTheRequestsItIsMatchedAgainst() throws Exception {
        assertThat(client.admin("POST", "/_sim/faults",
                "{\"path\":\"" + doubleStars(25) + "\",\"action\":\"status\",\"status\":503}").status()).isEqualTo(200);

        CompletableFuture<SimClient.Reply> reply = CompletableFuture.supplyAsync(() -> client.get(segments(40)));

        SimClient.Reply r = reply.get(5, TimeUnit.SECONDS);
        assertThat(r.status()).as("no fault fires, the path is simply unknown: %s", r).isEqualTo(404);
        assertThat(client.get(segments(40) + "/x").status()).as("the fault fires").isEqualTo(503);
    }

    @ParameterizedTest(name = "fault {0} is a 400")
    @ValueSource(strings = {
        "{\"action\":\"status\",\"status\":99}",
        "{\"action\":\"status\",\"status\":100}",
        "{\"action\":\"status\",\"status\":600}",
        "{\"action\":\"status\",\"status\":1099511627776}",
        "{\"action\":\"status\",\"status\":5.5}",
        "{\"action\":\"status\",\"count\":0}",
        "{\"action\":\"status\",\"count\":-1}",
        "{\"action\":\"status\",\"count\":4294967297}",
        "{\"action\":\"status\",\"count\":1000001}",
        "{\"action\":\"status\",\"count\":1e400}",
        "{\"action\":\"delay\",\"delayMs\":-1}",
        "{\"action\":\"delay\",\"delayMs\":600001}",
        "{\"action\":\"delay\",\"delayMs\":\"1000\"}",
        "{\"action\":\"delay\"}",
        "{\"action\":\"status\",\"retryAfter\":-1}",
        "{\"action\":\"status\",\"retryAfter\":86401}",
        "{\"action\":\"status\",\"probability\":-0.1}",
        "{\"action\":\"status\",\"probability\":1.5}",
        "{\"action\":\"status\",\"probability\":\"half\"}",
        "{\"action\":\"status\",\"path\":\"aws/**\"}",
        "{\"action\":\"status\",\"path\":\"/aws /x\"}",
        "{\"action\":\"status\",\"path\":7}",
        "{\"action\":\"status\",\"method\":\"G E T\"}",
        "{\"action\":\"status\",\"method\":\"GETGETGETGETGETGETGET\"}",
        "{\"action\":\"explode\"}",
        "{\"status\":500}",
        "{\"action\":\"status\",\"delay\":5}",
        "{\"action\":\"status\",\"errors\":\"yes\"}",
        "{\"action\":\"status\",\"after\":true}",
        "{\"action\":\"delay\",\"delayMs\":1,\"after\":\"yes\"}",
        "{\"action\":\"json\"}",
        "{\"action\":\"status\",\"body\":{}}",
        "[]",
        "\"fault\"",
        "{\"action\":"})
    void everyFaultFieldIsValidatedAndBounded(String body) {
        SimClient.Reply r = client.admin("POST", "/_sim/faults", body);

        assertAdmin400(r);
        assertThat(client.admin("GET", "/_sim/faults", null).json().path("faults")).as("nothing was added").isEmpty();
    }

    @Test
    void longTextsInAFaultAre400() {
        List<String> bodies = List.of(
                "{\"action\":\"status\",\"path\":\"/" + "a".repeat(300) + "\"}",
                "{\"action\":\"status\",\"errorCode\":\"" + "E".repeat(129) + "\"}",
                "{\"action\":\"status\",\"message\":\"" + "m".repeat(1_001) + "\"}",
                "{\"action\":\"json\",\"body\":{\"x\":\"" + "b".repeat(70_000) + "\"}}",
                "{\"action\":\"status\",\"" + "k".repeat(5_000) + "\":1}");
        for (String body : bodies) {
            SimClient.Reply r = client.admin("POST", "/_sim/faults", body);
            assertAdmin400(r);
            assertThat(r.body().length()).as("the refusal does not echo the input").isLessThan(600);
        }
    }

    @Test
    void atMostAHundredFaultsAtOnce() {
        for (int i = 0; i < Fault.MAX_FAULTS; i++) {
            assertThat(client.admin("POST", "/_sim/faults", "{\"path\":\"/nowhere/" + i + "\",\"action\":\"drop\"}")
                    .status()).isEqualTo(200);
        }

        assertAdmin400(client.admin("POST", "/_sim/faults", "{\"action\":\"drop\"}"));
        assertThat(client.admin("DELETE", "/_sim/faults", null).status()).isEqualTo(200);
        assertThat(client.admin("POST", "/_sim/faults", "{\"path\":\"/nowhere\",\"action\":\"drop\"}").status())
                .isEqualTo(200);
    }

    @ParameterizedTest(name = "clock {0} is a 400")
    @ValueSource(strings = {
        "advance {\"hours\":1e30}",
        "advance {\"millis\":9223372036854775807}",
        "advance {\"hours\":9000000}",
        "advance {\"millis\":-1}",
        "advance {\"seconds\":\"10\"}",
        "advance {}",
        "set {\"now\":\"3000-01-01T00:00:00Z\"}",
        "set {\"now\":\"+99999-01-01T00:00:00Z\"}",
        "set {\"now\":\"2000-01-01T00:00:00Z\"}",
        "set {\"now\":12}",
        "set {\"frozen\":\"yes\"}"})
    void everyClockInputIsBounded(String call) {
        String[] parts = call.split(" ", 2);
        String before = client.admin("GET", "/_sim/clock", null).json().path("offsetMillis").asText();

        assertAdmin400(client.admin("POST", "/_sim/clock/" + parts[0], parts[1]));

        SimClient.Reply clock = client.admin("GET", "/_sim/clock", null);
        assertThat(clock.status()).isEqualTo(200);
        assertThat(Math.abs(clock.json().path("offsetMillis").asLong() - Long.parseLong(before)))
                .as("the clock did not move").isLessThan(1_000);
        assertThat(client.get(GROUPS).status()).as("Spot replies still carry a valid timestamp").isEqualTo(200);
    }

    @Test
    void theClockCanReachTheLastDayOfYear2999ButNotPassIt() {
        assertThat(client.admin("POST", "/_sim/clock/set", "{\"now\":\"2999-12-31T00:00:00Z\",\"frozen\":true}")
                .status()).isEqualTo(200);
        assertAdmin400(client.admin("POST", "/_sim/clock/advance", "{\"hours\":24}"));
        assertThat(client.admin("POST", "/_sim/clock/advance", "{\"hours\":23}").status()).isEqualTo(200);
        assertThat(client.get(GROUPS).json().path("request").path("timestamp").asText()).startsWith("2999-12-31T23");
    }

    @Test
    void refusedAdminCallsLeaveThePersistedStateReadable() {
        String id;
        String now;
        try (SpotSimulator own = SpotSimulator.builder().port(0).dataDir(dataDir).account(ACCOUNT, TOKEN).start()) {
            SimClient c = new SimClient(own.baseUrl(), ACCOUNT, TOKEN);
            id = c.post(GROUPS, groupBody("kept", 1, 1, 2)).item().path("id").asText();
            for (String bad : List.of("{\"hours\":1e30}", "{\"millis\":9223372036854775807}", "{\"hours\":-1}")) {
                assertAdmin400(c.admin("POST", "/_sim/clock/advance", bad));
            }
            assertAdmin400(c.admin("POST", "/_sim/clock/set", "{\"now\":\"+99999-01-01T00:00:00Z\"}"));
            assertThat(c.admin("POST", "/_sim/clock/set", "{\"now\":\"2999-01-01T00:00:00Z\",\"frozen\":true}")
                    .status()).isEqualTo(200);
            now = c.admin("GET", "/_sim/clock", null).json().path("now").asText();
        }
        try (SpotSimulator again = SpotSimulator.builder().port(0).dataDir(dataDir).account(ACCOUNT, TOKEN).start()) {
            SimClient c = new SimClient(again.baseUrl(), ACCOUNT, TOKEN);
            assertThat(c.get(GROUPS + "/" + id).status()).isEqualTo(200);
            assertThat(c.admin("GET", "/_sim/clock", null).json().path("now").asText()).isEqualTo(now);
        }
    }

    // ---- what one object may cost ---------------------------------------------------------------

    @Test
    void aGroupsCapacityIsBounded() {
        assertValidationError(client.post(GROUPS, groupBody("huge", 300_000, 300_000, 300_000)),
                "body:group.capacity.maximum");
        JsonNode group = createGroup(client, "big", 1, 1, (int) Limits.MAX_GROUP_CAPACITY);
        String id = group.path("id").asText();

        assertValidationError(client.put(GROUPS + "/" + id, "{\"group\":{\"capacity\":{\"maximum\":300000,"
                + "\"target\":300000}}}"), "body:group.capacity.maximum");
        assertThat(client.get(GROUPS + "/" + id).item().path("capacity").path("maximum").asLong())
                .isEqualTo(Limits.MAX_GROUP_CAPACITY);
    }

    @Test
    void aBodyOverTheLimitIs413InSpotsEnvelope() {
        String field = "x".repeat(900_000);
        SimClient.Reply r = client.post(INSTANCES, instanceBody("fat", "t3.micro").replace("\"test MI\"",
                "\"" + field + "\""));

        assertThat(r.status()).as(r.toString().substring(0, 200)).isEqualTo(413);
        assertThat(r.json().path("response").path("status").path("code").asInt()).isEqualTo(413);
        assertThat(r.json().path("request").path("id").asText()).isNotBlank();
        JsonNode logged = client.admin("GET", "/_sim/requests?limit=1", null).json().path("requests").path(0);
        assertThat(logged.path("path").asText()).as("still in the request log").isEqualTo(INSTANCES);
    }

    @Test
    void aLongFieldIsAValidationError() {
        String field = "x".repeat(Limits.MAX_STRING_CHARS + 1);
        assertValidationError(client.post(INSTANCES, instanceBody("long", "t3.micro").replace("\"test MI\"",
                "\"" + field + "\"")), "body:managedInstance.description");
    }

    @Test
    void updatesCannotGrowAnObjectPastTheLimit() {
        String id = createInstance(client, "grows", "t3.micro").path("id").asText();
        String chunk = "y".repeat(Limits.MAX_STRING_CHARS - 10);
        int accepted = 0;
        SimClient.Reply last = null;
        for (int i = 0; i < 20; i++) {
            last = client.put(INSTANCES + "/" + id, "{\"managedInstance\":{\"note" + i + "\":\"" + chunk + "\"}}");
            if (last.status() != 200) {
                break;
            }
            accepted++;
        }

        assertValidationError(last, "body:managedInstance");
        assertThat(accepted).isBetween(1, 8);
        assertThat(client.get(INSTANCES + "/" + id).body().length()).isLessThan(Limits.MAX_OBJECT_BYTES + 4_096);
    }

    @Test
    void theRequestLogKeepsABoundedPartOfEachBody() {
        String field = "z".repeat(Limits.MAX_STRING_CHARS + 1);
        client.post(INSTANCES, instanceBody("logged", "t3.micro").replace("\"test MI\"", "\"" + field + "\""));

        JsonNode body = client.admin("GET", "/_sim/requests?limit=1", null).json().path("requests").path(0).path("body");

        assertThat(body.isTextual()).as("kept as truncated text").isTrue();
        assertThat(body.asText().length()).isLessThan(RequestLog.MAX_BODY_KEPT + 200);
        assertThat(body.asText()).contains("bytes, the first");
    }

    private static void assertAdmin400(SimClient.Reply r) {
        assertThat(r.status()).as(r.body().length() > 300 ? r.body().substring(0, 300) : r.body()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        assertThatCode(() -> r.json().path("message").asText()).doesNotThrowAnyException();
        assertThat(r.json().path("message").asText()).isNotBlank();
    }
}
