package dev.spotapi.sim;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpRequest;
import org.junit.jupiter.api.Test;

class EnvelopeAndAuthTest extends SimTestBase {

    @Test
    void dataRepliesCarryTheFullEnvelope() {
        String id = createGroup(client, "g1", 1, 1, 2).path("id").asText();
        SimClient.Reply reply = client.get(GROUPS + "/" + id);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.header("content-type")).startsWith("application/json");
        JsonNode json = reply.json();
        JsonNode request = json.path("request");
        assertThat(request.path("id").asText()).matches(UUID_PATTERN);
        assertThat(reply.header("x-request-id")).isEqualTo(request.path("id").asText());
        assertThat(request.path("url").asText()).isEqualTo(GROUPS + "/" + id);
        assertThat(request.path("method").asText()).isEqualTo("GET");
        assertThat(request.path("timestamp").asText()).matches(MILLIS_TIME);
        JsonNode response = json.path("response");
        assertThat(response.path("status").path("code").asInt()).isEqualTo(200);
        assertThat(response.path("status").path("message").asText()).isEqualTo("OK");
        assertThat(response.path("kind").asText()).isEqualTo("spotinst:aws:ec2:group");
        assertThat(response.path("items").isArray()).isTrue();
        assertThat(response.path("count").asInt()).isEqualTo(1);
    }

    @Test
    void requestIdsAreUniquePerReply() {
        String a = client.get(GROUPS).json().path("request").path("id").asText();
        String b = client.get(GROUPS).json().path("request").path("id").asText();
        assertThat(a).isNotEqualTo(b);
    }

    @Test
    void emptyListsHaveAnEmptyArrayAndCountZero() {
        for (String path : new String[] {GROUPS, INSTANCES}) {
            SimClient.Reply reply = client.get(path);
            assertThat(reply.status()).isEqualTo(200);
            assertThat(reply.items().isArray()).isTrue();
            assertThat(reply.items()).isEmpty();
            assertThat(reply.json().path("response").path("count").isInt()).isTrue();
            assertThat(reply.json().path("response").path("count").asInt()).isZero();
        }
    }

    @Test
    void repliesWithoutDataStillCarryRequestAndStatus() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        SimClient.Reply reply = client.put(INSTANCES + "/" + id + "/pause", null);

        assertThat(reply.status()).isEqualTo(200);
        JsonNode json = reply.json();
        assertThat(json.path("request").path("id").asText()).matches(UUID_PATTERN);
        assertThat(json.path("request").path("method").asText()).isEqualTo("PUT");
        assertThat(json.path("response").path("status").path("code").asInt()).isEqualTo(200);
        assertThat(json.path("response").has("items")).isFalse();
        assertThat(json.path("response").has("kind")).isFalse();
    }

    @Test
    void successIsAlways200NeverCreatedOrNoContent() {
        assertThat(client.post(GROUPS, groupBody("g", 0, 0, 1)).status()).isEqualTo(200);
        String id = client.get(GROUPS).item().path("id").asText();
        assertThat(client.put(GROUPS + "/" + id, "{\"group\":{\"description\":\"x\"}}").status()).isEqualTo(200);
        assertThat(client.delete(GROUPS + "/" + id, null).status()).isEqualTo(200);
    }

    @Test
    void errorRepliesCarryTheErrorEnvelope() {
        SimClient.Reply reply = client.get(INSTANCES + "/smi-00000000");

        assertSpotError(reply, 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        JsonNode json = reply.json();
        assertThat(json.path("request").path("id").asText()).matches(UUID_PATTERN);
        assertThat(json.path("request").path("url").asText()).isEqualTo(INSTANCES + "/smi-00000000");
        assertThat(json.path("response").path("status").path("message").asText()).isEqualTo("Bad Request");
        assertThat(reply.error().path("message").asText()).contains("smi-00000000");
    }

    @Test
    void missingAuthorizationIs401() {
        SimClient.Reply reply = SimClient.send(HttpRequest.newBuilder(
                URI.create(sim.baseUrl() + GROUPS + "?accountId=" + ACCOUNT)), "GET", null);
        assertSpotError(reply, 401, "UNAUTHORIZED");
        assertThat(reply.json().path("response").path("status").path("message").asText()).isEqualTo("Unauthorized");
    }

    @Test
    void wrongTokenIs401() {
        assertSpotError(client.as(ACCOUNT, "wrong").get(GROUPS), 401, "UNAUTHORIZED");
    }

    @Test
    void anotherAccountsTokenIs401() {
        assertSpotError(client.as(ACCOUNT, OTHER_TOKEN).get(GROUPS), 401, "UNAUTHORIZED");
    }

    @Test
    void unknownAccountIs401() {
        assertSpotError(client.as("act-99999999", TOKEN).get(GROUPS), 401, "UNAUTHORIZED");
    }

    /** Contract §9.11: without accountId the call acts on the token's default account; a wrong token stays 401. */
    @Test
    void missingAccountIdActsOnTheTokensDefaultAccount() {
        createGroup(other, "of-the-other-account", 0, 0, 1);
        SimClient.Reply reply = SimClient.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + GROUPS))
                .header("Authorization", "Bearer " + OTHER_TOKEN), "GET", null);
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.items().size()).isEqualTo(1);
        assertThat(reply.item().path("name").asText()).isEqualTo("of-the-other-account");
        SimClient.Reply wrong = SimClient.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + GROUPS))
                .header("Authorization", "Bearer not-a-token"), "GET", null);
        assertSpotError(wrong, 401, "UNAUTHORIZED");
    }

    @Test
    void nonBearerAuthorizationIs401() {
        SimClient.Reply reply = SimClient.send(HttpRequest.newBuilder(
                        URI.create(sim.baseUrl() + GROUPS + "?accountId=" + ACCOUNT))
                .header("Authorization", "Basic " + TOKEN), "GET", null);
        assertSpotError(reply, 401, "UNAUTHORIZED");
    }

    @Test
    void unknownRouteUnderAwsIs404WithEnvelope() {
        SimClient.Reply reply = client.get("/aws/ec2/nothingHere");
        assertSpotError(reply, 404, "NOT_FOUND");
        assertThat(reply.json().path("request").path("id").asText()).matches(UUID_PATTERN);
    }

    @Test
    void anEmptyIdIsNotTheList() {
        createGroup(client, "g", 0, 0, 1);
        assertSpotError(client.get(GROUPS + "/"), 404, "NOT_FOUND");
        assertSpotError(client.get(INSTANCES + "/"), 404, "NOT_FOUND");
    }

    @Test
    void wrongMethodIs404WithEnvelope() {
        assertSpotError(client.spot("PATCH", GROUPS, "{}"), 404, "NOT_FOUND");
    }

    @Test
    void unknownQueryParametersAreIgnored() {
        String id = createInstance(client, "mi", "t3a.micro").path("id").asText();
        SimClient.Reply reply = client.get(INSTANCES + "/" + id + "?MI_ID=" + id + "&whatever=1");
        assertThat(reply.status()).isEqualTo(200);
        assertThat(reply.item().path("id").asText()).isEqualTo(id);
    }

    @Test
    void accountsNeverSeeEachOthersResources() {
        String group = createGroup(client, "mine", 1, 1, 1).path("id").asText();
        String mi = createInstance(client, "mine", "t3a.micro").path("id").asText();
        String theirs = createGroup(other, "theirs", 1, 1, 1).path("id").asText();

        assertThat(other.get(GROUPS).items()).extracting(n -> n.path("id").asText()).containsExactly(theirs);
        assertThat(other.get(INSTANCES).items()).isEmpty();
        assertSpotError(other.get(GROUPS + "/" + group), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(other.get(INSTANCES + "/" + mi), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        assertSpotError(other.put(GROUPS + "/" + group, "{\"group\":{\"name\":\"stolen\"}}"), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(other.delete(GROUPS + "/" + group, null), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(other.get(GROUPS + "/" + group + "/status"), 400, "GROUP_DOESNT_EXIST");
        assertSpotError(other.put(INSTANCES + "/" + mi + "/pause", null), 400, "MANAGED_INSTANCE_DOESNT_EXIST");
        ManagedInstanceApiTest.assertZeroCosts(other.get(INSTANCES + "/" + mi + "/costs")); // §9.1: no "doesn't exist"
        assertSpotError(other.delete(INSTANCES + "/" + mi, "{}"), 400, "MANAGED_INSTANCE_DOESNT_EXIST");

        assertThat(client.get(GROUPS + "/" + group).item().path("name").asText()).isEqualTo("mine");
        assertThat(client.get(INSTANCES).items()).hasSize(1);
        assertThat(client.get(GROUPS).items()).extracting(n -> n.path("id").asText()).containsExactly(group);
    }
}
