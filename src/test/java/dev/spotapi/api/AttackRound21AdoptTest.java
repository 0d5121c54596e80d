package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attack round 21 (helper "verify20"): round 20 made one tag limit for every write ({@code SpotPayloads#tooManyTags}:
 * none may leave more than 50 tags where the resource had fewer), but {@code org-adopt} ({@code OrgAdoption#adopt})
 * writes the tags it read plus {@code spinup:org} without it: an untagged managed instance with 50 tags (AWS's limit)
 * is written back with 51 and "tagged", where a refusal naming the resource (and nothing written) is expected.
 * Fails on 8f62171.
 */
class AttackRound21AdoptTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static JsonNode sim(SpotSimulator sim, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .header("Authorization", "Bearer main-spot-token")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return TestService.JSON.readTree(r.body());
    }

    @Test
    void orgAdoptDoesNotTakeAnInstanceAtTheTagBoundPastFifty(@TempDir Path dir) throws Exception {
        SpotSimulator sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start();
        try {
            ObjectNode body = ApiTestSupport.instanceBody();
            ArrayNode tags = ((ObjectNode) body.path("compute").path("launchSpecification")).putArray("tags");
            for (int i = 0; i < 50; i++) {
                tags.addObject().put("tagKey", "t" + i).put("tagValue", "v");
            }
            ObjectNode wrapped = TestService.JSON.createObjectNode();
            wrapped.set("managedInstance", body);
            String id = sim(sim, "POST", "/aws/ec2/managedInstance?accountId=" + TestService.MAIN_ID,
                    wrapped.toString()).path("response").path("items").path(0).path("id").asText();
            Path file = dir.resolve("config.json");
            Files.writeString(file, """
                    {"listenAddress": "127.0.0.1:0", "token": "%s", "org": "alpha",
                     "accounts": {"main": {"region": "us-east-1", "id": "%s", "token": "main-spot-token", "endpoint": "%s"}}}"""
                    .formatted(TestService.KEY, TestService.MAIN_ID, sim.baseUrl()));

            String[] real = OrgIsolationTest.adopt("--config", file.toString(), "--account", "main");

            JsonNode stored = sim(sim, "GET", "/aws/ec2/managedInstance/" + id + "?accountId=" + TestService.MAIN_ID,
                    null).path("response").path("items").path(0);
            int count = stored.path("compute").path("launchSpecification").path("tags").size();
            assertThat(count).as("org-adopt exit %s, out: %s err: %s", real[0], real[1], real[2])
                    .isLessThanOrEqualTo(50);
        } finally {
            sim.close();
        }
    }
}
