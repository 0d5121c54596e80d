package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.junit.jupiter.api.Test;

class FaultInjectionTest extends SimTestBase {

    private static JsonNode addFault(String body) {
        SimClient.Reply reply = client.admin("POST", "/_sim/faults", body);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        return reply.json();
    }

    @Test
    void statusFaultAnswersWithTheSpotErrorEnvelopeAndRetryAfter() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        JsonNode fault = addFault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"status\","
                + "\"status\":429,\"errorCode\":\"RATE_LIMIT\",\"message\":\"slow down\",\"retryAfter\":2,"
                + "\"delayMs\":0,\"probability\":1.0,\"count\":1}");
        assertThat(fault.path("id").isNumber()).isTrue();
        assertThat(fault.path("remaining").asInt()).isEqualTo(1);
        assertThat(fault.path("action").asText()).isEqualTo("status");

        SimClient.Reply faulted = client.get(INSTANCES + "/" + id);
        assertSpotError(faulted, 429, "RATE_LIMIT");
        assertThat(faulted.header("Retry-After")).isEqualTo("2");
        assertThat(faulted.error().path("message").asText()).isEqualTo("slow down");
        assertThat(faulted.json().path("request").path("id").asText()).matches(UUID_PATTERN);
        assertThat(faulted.json().path("response").path("status").path("message").asText()).isEqualTo("Too Many Requests");

        assertThat(client.get(INSTANCES + "/" + id).status()).as("count 1 fires once").isEqualTo(200);
        JsonNode listed = client.admin("GET", "/_sim/faults", null).json().path("faults");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("remaining").asInt()).isZero();
    }

    @Test
    void statusFaultAppliesBeforeAuthAndCanOmitErrors() {
        addFault("{\"path\":\"/aws/**\",\"action\":\"status\",\"status\":401,\"errors\":false}");
        SimClient.Reply reply = client.as(ACCOUNT, "not-even-the-right-token").get(GROUPS);
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.json().path("response").path("status").path("code").asInt()).isEqualTo(401);
        assertThat(reply.json().path("response").has("errors")).isFalse();
    }

    @Test
    void statusFaultDefaultsItsErrorCodeFromTheStatus() {
        addFault("{\"action\":\"status\",\"status\":503}");
        SimClient.Reply reply = client.get(GROUPS);
        assertSpotError(reply, 503, "SERVICE_UNAVAILABLE");
    }

    @Test
    void htmlFaultAnswersAnHtmlPage() {
        addFault("{\"action\":\"html\",\"retryAfter\":7}");
        SimClient.Reply reply = client.get(GROUPS);
        assertThat(reply.status()).isEqualTo(502);
        assertThat(reply.header("content-type")).startsWith("text/html");
        assertThat(reply.header("Retry-After")).isEqualTo("7");
        assertThat(reply.body()).contains("<html>", "502 Bad Gateway");
    }

    @Test
    void emptyFaultAnswersNoBody() {
        addFault("{\"action\":\"empty\",\"status\":503}");
        SimClient.Reply reply = client.get(GROUPS);
        assertThat(reply.status()).isEqualTo(503);
        assertThat(reply.body()).isEmpty();
    }

    @Test
    void garbageFaultAnswersNonJsonLabelledAsJson() {
        addFault("{\"action\":\"garbage\"}");
        SimClient.Reply reply = client.get(GROUPS);
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("content-type")).startsWith("application/json");
        assertThat(reply.body()).isNotEmpty();
        assertThatThrownBy(reply::json).isInstanceOf(UncheckedIOException.class);
    }

    @Test
    void delayFaultSlowsTheRequestThenHandlesItNormally() {
        addFault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":400}");
        long started = System.nanoTime();
        SimClient.Reply reply = client.get(GROUPS);
        long tookMs = (System.nanoTime() - started) / 1_000_000;

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.json().path("response").path("count").asInt()).isZero();
        assertThat(tookMs).isGreaterThanOrEqualTo(400);
    }

    @Test
    void dropFaultClosesTheConnectionWithoutAReply() {
        addFault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"drop\",\"count\":1}");
        assertThatThrownBy(() -> client.post(GROUPS, groupBody("g", 0, 0, 1)))
                .isInstanceOf(UncheckedIOException.class)
                .hasCauseInstanceOf(IOException.class);
        assertThat(client.get(GROUPS).items()).as("the dropped create did nothing").isEmpty();
        assertThat(client.post(GROUPS, groupBody("g", 0, 0, 1)).status()).isEqualTo(200);
    }

    @Test
    void dropFaultOnGets() {
        addFault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group\",\"action\":\"drop\"}");
        assertThatThrownBy(() -> client.get(GROUPS)).isInstanceOf(UncheckedIOException.class);
        client.admin("DELETE", "/_sim/faults", null);
        assertThat(client.get(GROUPS).status()).isEqualTo(200);
    }

    @Test
    void faultsMatchByMethodAndPathGlob() {
        String group = createGroup(client, "g", 1, 1, 2).path("id").asText();
        addFault("{\"method\":\"put\",\"path\":\"/aws/ec2/group/*\",\"action\":\"status\",\"status\":500}");

        assertThat(client.get(GROUPS + "/" + group).status()).as("other method").isEqualTo(200);
        assertThat(client.put(GROUPS + "/" + group + "/scale/up?adjustment=1", null).status())
                .as("* does not cross /").isEqualTo(200);
        assertSpotError(client.put(GROUPS + "/" + group, "{\"group\":{}}"), 500, "INTERNAL_ERROR");

        client.admin("DELETE", "/_sim/faults", null);
        addFault("{\"method\":\"*\",\"path\":\"/aws/ec2/group/**\",\"action\":\"status\",\"status\":500}");
        assertThat(client.get(GROUPS).status()).as("** needs the slash").isEqualTo(200);
        assertThat(client.get(GROUPS + "/" + group + "/status").status()).isEqualTo(500);
    }

    @Test
    void firstFiringFaultWins() {
        addFault("{\"action\":\"status\",\"status\":503,\"count\":1}");
        addFault("{\"action\":\"status\",\"status\":429}");
        assertThat(client.get(GROUPS).status()).isEqualTo(503);
        assertThat(client.get(GROUPS).status()).isEqualTo(429);
        assertThat(client.get(GROUPS).status()).isEqualTo(429);
    }

    @Test
    void probabilityDecidesWhetherAFaultFires() {
        addFault("{\"action\":\"status\",\"status\":500,\"probability\":0}");
        for (int i = 0; i < 20; i++) {
            assertThat(client.get(GROUPS).status()).isEqualTo(200);
        }
        client.admin("DELETE", "/_sim/faults", null);
        addFault("{\"action\":\"status\",\"status\":500,\"probability\":0.5}");
        int failed = 0;
        for (int i = 0; i < 200; i++) {
            failed += client.get(GROUPS).status() == 500 ? 1 : 0;
        }
        assertThat(failed).isBetween(50, 150);
    }

    @Test
    void faultsNeverApplyToTheAdminApi() {
        addFault("{\"path\":\"/**\",\"action\":\"status\",\"status\":500}");
        assertThat(client.admin("GET", "/_sim/health", null).status()).isEqualTo(200);
        assertThat(client.admin("GET", "/_sim/faults", null).status()).isEqualTo(200);
        assertThat(client.get(GROUPS).status()).isEqualTo(500);
    }

    @Test
    void faultedRequestsAreRecorded() {
        addFault("{\"action\":\"empty\"}");
        client.get(GROUPS + "/sig-12345678");
        JsonNode requests = client.admin("GET", "/_sim/requests", null).json().path("requests");
        assertThat(requests).hasSize(1);
        assertThat(requests.get(0).path("path").asText()).isEqualTo(GROUPS + "/sig-12345678");
    }

    @Test
    void faultsCanBeListedAndCleared() {
        addFault("{\"action\":\"empty\",\"path\":\"/a\"}");
        addFault("{\"action\":\"html\",\"path\":\"/b\",\"count\":3}");
        JsonNode faults = client.admin("GET", "/_sim/faults", null).json().path("faults");
        assertThat(faults).hasSize(2);
        assertThat(faults.get(1).path("remaining").asInt()).isEqualTo(3);
        assertThat(faults.get(0).path("remaining").isNull()).isTrue();
        assertThat(faults.get(0).path("id").asLong()).isNotEqualTo(faults.get(1).path("id").asLong());

        SimClient.Reply cleared = client.admin("DELETE", "/_sim/faults", null);
        assertThat(cleared.status()).isEqualTo(200);
        assertThat(cleared.json().path("faults")).isEmpty();
        assertThat(client.admin("GET", "/_sim/faults", null).json().path("faults")).isEmpty();
    }
}
