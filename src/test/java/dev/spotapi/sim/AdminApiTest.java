package dev.spotapi.sim;

import dev.spotapi.sim.http.RequestLog;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AdminApiTest extends SimTestBase {

    private static JsonNode clock() {
        SimClient.Reply reply = client.admin("GET", "/_sim/clock", null);
        assertThat(reply.status()).isEqualTo(200);
        return reply.json();
    }

    private static void assertAdminError(SimClient.Reply reply, int status) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(status);
        assertThat(reply.json().path("message").asText()).isNotBlank();
    }

    @Test
    void healthNeedsNoAuth() {
        createGroup(client, "g", 0, 0, 1);
        SimClient.Reply reply = client.admin("GET", "/_sim/health", null);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("content-type")).startsWith("application/json");
        JsonNode health = reply.json();
        assertThat(health.path("status").asText()).isEqualTo("ok");
        assertThat(health.path("groups").asInt()).isEqualTo(1);
        assertThat(health.path("managedInstances").asInt()).isZero();
        assertThat(health.path("persistent").asBoolean()).isFalse();
        assertThat(health.path("accounts")).extracting(JsonNode::asText).containsExactly(ACCOUNT, OTHER_ACCOUNT);
        assertThat(health.toString()).doesNotContain(TOKEN);
    }

    @Test
    void resetDeletesEverythingOfAllAccounts() {
        String group = createGroup(client, "g", 0, 0, 1).path("id").asText();
        createInstance(other, "mi", "t3a.micro");
        client.admin("POST", "/_sim/faults", "{\"path\":\"/nowhere\",\"action\":\"empty\"}");
        advanceClock("{\"hours\": 5}");

        SimClient.Reply reply = client.admin("POST", "/_sim/reset", null);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("status").asText()).isEqualTo("ok");
        assertThat(client.get(GROUPS).items()).isEmpty();
        assertThat(other.get(INSTANCES).items()).isEmpty();
        assertSpotError(client.get(GROUPS + "/" + group), 400, "GROUP_DOESNT_EXIST");
        assertThat(client.admin("GET", "/_sim/faults", null).json().path("faults")).isEmpty();
        assertThat(clock().path("offsetMillis").asLong()).isBetween(-1000L, 1000L);
        client.admin("POST", "/_sim/reset", null);
        assertThat(client.admin("GET", "/_sim/requests", null).json().path("requests")).isEmpty();
    }

    @Test
    void clockStartsAtRealTime() {
        JsonNode clock = clock();
        assertThat(clock.path("now").asText()).matches(MILLIS_TIME);
        assertThat(Duration.between(Instant.parse(clock.path("now").asText()), Instant.now()).abs())
                .isLessThan(Duration.ofSeconds(5));
        assertThat(clock.path("offsetMillis").asLong()).isBetween(-1000L, 1000L);
        assertThat(clock.path("frozen").asBoolean()).isFalse();
    }

    @Test
    void clockAdvanceAddsAllUnits() {
        long before = Instant.parse(clock().path("now").asText()).toEpochMilli();
        SimClient.Reply reply = client.admin("POST", "/_sim/clock/advance",
                "{\"hours\": 51, \"minutes\": 2, \"seconds\": 3, \"millis\": 4}");

        assertThat(reply.status()).isEqualTo(200);
        long expected = ((51 * 60 + 2) * 60 + 3) * 1000L + 4;
        assertThat(reply.json().path("offsetMillis").asLong()).isBetween(expected - 1000, expected + 1000);
        long after = Instant.parse(reply.json().path("now").asText()).toEpochMilli();
        assertThat(after - before).isBetween(expected, expected + 5000);
        assertThat(client.admin("POST", "/_sim/clock/advance", "{\"hours\": 0.5}").json().path("offsetMillis").asLong())
                .isBetween(expected + 1_800_000 - 1000, expected + 1_800_000 + 1000);
    }

    @Test
    void clockSetMovesForwardAndCanFreeze() {
        SimClient.Reply reply = client.admin("POST", "/_sim/clock/set", "{\"now\":\"2030-01-01T00:00:00Z\"}");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("now").asText()).startsWith("2030-01-01T00:00:0");
        assertThat(reply.json().path("frozen").asBoolean()).isFalse();

        JsonNode frozen = client.admin("POST", "/_sim/clock/set", "{\"now\":\"2031-06-01T10:00:00Z\",\"frozen\":true}").json();
        assertThat(frozen.path("now").asText()).isEqualTo("2031-06-01T10:00:00.000Z");
        assertThat(frozen.path("frozen").asBoolean()).isTrue();
        assertThat(clock().path("now").asText()).isEqualTo("2031-06-01T10:00:00.000Z");
        assertThat(client.admin("POST", "/_sim/clock/advance", "{\"minutes\": 90}").json().path("now").asText())
                .isEqualTo("2031-06-01T11:30:00.000Z");

        String created = createGroup(client, "g", 0, 0, 1).path("createdAt").asText();
        assertThat(created).isEqualTo("2031-06-01T11:30:00.000Z");

        JsonNode running = client.admin("POST", "/_sim/clock/set", "{\"frozen\":false}").json();
        assertThat(running.path("frozen").asBoolean()).isFalse();
        assertThat(running.path("now").asText()).startsWith("2031-06-01T11:30:0");
    }

    @Test
    void clockNeverGoesBackwards() {
        client.admin("POST", "/_sim/clock/set", "{\"now\":\"2030-01-01T00:00:00Z\"}");
        assertAdminError(client.admin("POST", "/_sim/clock/set", "{\"now\":\"2029-12-31T00:00:00Z\"}"), 400);
        assertAdminError(client.admin("POST", "/_sim/clock/advance", "{\"hours\": -1}"), 400);
        assertThat(clock().path("now").asText()).startsWith("2030-01-01");
    }

    @Test
    void badAdminBodiesAre400WithAMessage() {
        assertAdminError(client.admin("POST", "/_sim/clock/advance", "{}"), 400);
        assertAdminError(client.admin("POST", "/_sim/clock/advance", "{\"hours\":\"many\"}"), 400);
        assertAdminError(client.admin("POST", "/_sim/clock/advance", "not json"), 400);
        assertAdminError(client.admin("POST", "/_sim/clock/advance", null), 400);
        assertAdminError(client.admin("POST", "/_sim/clock/set", "{\"now\":\"tomorrow\"}"), 400);
        assertAdminError(client.admin("POST", "/_sim/clock/set", "{}"), 400);
        assertAdminError(client.admin("POST", "/_sim/faults", "{\"action\":\"explode\"}"), 400);
        assertAdminError(client.admin("POST", "/_sim/faults", "{\"path\":\"/x\"}"), 400);
        assertAdminError(client.admin("POST", "/_sim/faults", "{\"action\":\"status\",\"status\":99}"), 400);
        assertAdminError(client.admin("POST", "/_sim/faults", "{\"action\":\"status\",\"probability\":1.5}"), 400);
        assertAdminError(client.admin("POST", "/_sim/faults", "{\"action\":\"status\",\"count\":0}"), 400);
        assertAdminError(client.admin("POST", "/_sim/faults", "{\"action\":\"delay\"}"), 400);
        assertAdminError(client.admin("POST", "/_sim/faults", "[1]"), 400);
        assertAdminError(client.admin("GET", "/_sim/requests?limit=zero", null), 400);
        assertAdminError(client.admin("GET", "/_sim/nothing", null), 404);
        assertThat(client.admin("GET", "/_sim/faults", null).json().path("faults")).isEmpty();
    }

    @Test
    void requestLogRecordsSpotCallsOldestFirstWithTheTokenMasked() {
        client.get(GROUPS);
        String body = groupBody("logged", 0, 0, 1);
        client.post(GROUPS, body);
        client.raw("DELETE", INSTANCES + "/smi-0a1b2c3d?accountId=act-1", "not json at all");

        JsonNode requests = client.admin("GET", "/_sim/requests", null).json().path("requests");

        assertThat(requests).hasSize(3);
        JsonNode get = requests.get(0);
        assertThat(get.path("time").asText()).matches(MILLIS_TIME);
        assertThat(get.path("method").asText()).isEqualTo("GET");
        assertThat(get.path("path").asText()).isEqualTo(GROUPS);
        assertThat(get.path("query").asText()).isEqualTo("accountId=" + ACCOUNT);
        assertThat(get.path("body").isNull()).isTrue();
        assertThat(get.path("headers").path("authorization").asText()).isEqualTo("Bearer ****");
        assertThat(get.path("headers").path("content-type").asText()).isEqualTo("application/json");
        assertThat(requests.toString()).doesNotContain(TOKEN);

        JsonNode post = requests.get(1);
        assertThat(post.path("method").asText()).isEqualTo("POST");
        assertThat(post.path("body").path("group").path("name").asText()).isEqualTo("logged");

        JsonNode delete = requests.get(2);
        assertThat(delete.path("path").asText()).isEqualTo(INSTANCES + "/smi-0a1b2c3d");
        assertThat(delete.path("query").asText()).isEqualTo("accountId=act-1");
        assertThat(delete.path("body").asText()).isEqualTo("not json at all");
        assertThat(delete.path("headers").has("authorization")).isFalse();
    }

    @Test
    void requestLogHonoursLimitAndCanBeCleared() {
        for (int i = 0; i < 5; i++) {
            client.get(GROUPS + "/sig-0000000" + i);
        }
        JsonNode last2 = client.admin("GET", "/_sim/requests?limit=2", null).json().path("requests");
        assertThat(last2).extracting(n -> n.path("path").asText())
                .containsExactly(GROUPS + "/sig-00000003", GROUPS + "/sig-00000004");
        assertThat(client.admin("GET", "/_sim/health", null).status()).isEqualTo(200);
        assertThat(client.admin("GET", "/_sim/requests", null).json().path("requests"))
                .as("admin calls are not logged").hasSize(5);

        assertThat(client.admin("DELETE", "/_sim/requests", null).status()).isEqualTo(200);
        assertThat(client.admin("GET", "/_sim/requests", null).json().path("requests")).isEmpty();
    }

    @Test
    void requestLogIsBounded() {
        for (int i = 0; i < RequestLog.CAPACITY + 20; i++) {
            client.raw("GET", "/aws/ec2/group?n=" + i, null);
        }
        JsonNode all = client.admin("GET", "/_sim/requests?limit=5000", null).json().path("requests");
        assertThat(all).hasSize(RequestLog.CAPACITY);
        assertThat(all.get(0).path("query").asText()).isEqualTo("n=20");
        assertThat(client.admin("GET", "/_sim/requests", null).json().path("requests")).hasSize(100);
    }

    @Test
    void theRequestLogCountsRequestsStillInProgress() throws Exception {
        assertThat(inProgressBecomes(0)).as("nothing in progress before").isZero();
        client.admin("POST", "/_sim/faults", "{\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":1500}");
        java.util.concurrent.CompletableFuture<SimClient.Reply> held =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> client.get(GROUPS));
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int seen = 0;
        while (seen == 0 && !held.isDone() && System.nanoTime() < end) {
            seen = inProgress();
        }
        assertThat(seen).as("the request held by the delay fault").isEqualTo(1);
        assertThat(held.get(10, java.util.concurrent.TimeUnit.SECONDS).status()).isEqualTo(200);
        // the server finishes its side of the exchange just after the client has the reply
        assertThat(inProgressBecomes(0)).as("nothing in progress after").isZero();
    }

    private static int inProgress() {
        return client.admin("GET", "/_sim/requests", null).json().path("inProgress").asInt(-1);
    }

    /** Polls (at most 5 s) until inProgress is {@code expected}; returns the last value read. */
    private static int inProgressBecomes(int expected) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        int value;
        while ((value = inProgress()) != expected && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        return value;
    }
}
