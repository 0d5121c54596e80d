package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.UncheckedIOException;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A long list is serialised as it is sent ({@link TreeStream}); what a client reads is the same reply. */
class StreamedListTest extends SimTestBase {

    private static void load(int instances) {
        StringBuilder body = new StringBuilder("{\"accounts\":{\"" + ACCOUNT + "\":{\"managedInstances\":[");
        for (int i = 0; i < instances; i++) {
            body.append(i == 0 ? "" : ",").append("""
                    {"name":"mi-%d","region":"us-east-1","compute":{"subnetIds":["subnet-0123"],"vpcId":"vpc-0123456789abcdef0",
                    "launchSpecification":{"instanceTypes":{"preferredType":"t3a.micro","types":["t3a.micro"]},"imageId":"ami-0123",
                    "tags":[{"tagKey":"n","tagValue":"%d"}]}}}""".formatted(i, i));
        }
        body.append("]}}}");
        SimClient.Reply loaded = client.admin("POST", "/_sim/state", body.toString());
        assertThat(loaded.status()).as(loaded.toString()).isEqualTo(200);
    }

    @Test
    void aLongListArrivesWholeAndInSpotsEnvelope() {
        load(600);
        SimClient.Reply reply = client.get(INSTANCES);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("content-type")).startsWith("application/json");
        assertThat(reply.header("x-request-id")).matches(UUID_PATTERN);
        JsonNode json = reply.json();
        assertThat(json.path("request").path("method").asText()).isEqualTo("GET");
        assertThat(json.path("response").path("status").path("code").asInt()).isEqualTo(200);
        assertThat(json.path("response").path("kind").asText()).isEqualTo("spotinst:aws:ec2:managedInstance");
        assertThat(json.path("response").path("count").asInt()).isEqualTo(600);
        Set<String> names = new HashSet<>();
        json.path("response").path("items").forEach(i -> names.add(i.path("config").path("name").asText()));
        assertThat(names).hasSize(600).contains("mi-0", "mi-599");
        String id = json.path("response").path("items").get(17).path("id").asText();
        assertThat(client.get(INSTANCES + "/" + id).item().path("name").asText())
                .isEqualTo(json.path("response").path("items").get(17).path("config").path("name").asText());
    }

    @Test
    void aShortListStillCarriesItsLength() {
        load(3);
        SimClient.Reply reply = client.get(INSTANCES);
        assertThat(reply.json().path("response").path("count").asInt()).isEqualTo(3);
        assertThat(reply.header("content-length")).isEqualTo(Integer.toString(reply.body().getBytes().length));
    }

    @Test
    void faultsAfterTheHandlerStillApplyToALongList() {
        load(200);
        assertThat(client.admin("POST", "/_sim/faults",
                "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"delay\",\"delayMs\":300,\"after\":true,\"count\":1}")
                .status()).isEqualTo(200);
        long started = System.nanoTime();
        SimClient.Reply delayed = client.get(INSTANCES);
        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat(delayed.json().path("response").path("count").asInt()).isEqualTo(200);

        SimClient.Reply added = client.admin("POST", "/_sim/faults",
                "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"drop\"}"); // no count: the JDK client resends a GET once
        assertThat(added.status()).as(added.toString()).isEqualTo(200);
        assertThatThrownBy(() -> client.get(INSTANCES)).isInstanceOf(UncheckedIOException.class);
        client.admin("DELETE", "/_sim/faults", null);
        assertThat(client.get(INSTANCES).json().path("response").path("count").asInt()).isEqualTo(200);
    }
}
