package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.SpotApi;
import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's routes under org isolation: two deployments of different orgs ({@code alpha} owns the
 * resources, {@code beta} tries) over one simulator account. With VALID bodies, every power,
 * capacity, scale, delete-with-options and read route of the new set answers beta 404 and no write
 * reaches Spot: the instance stays ACTIVE, the group keeps its capacity and fleet.
 */
class OtherOrgActionsTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static SpotSimulator sim;
    private static SpotApi alpha;
    private static SpotApi beta;

    @BeforeAll
    static void start() {
        sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start();
        alpha = SpotApi.start(TestService.config(sim.baseUrl(), TestService.fastSettings()).withOrg("alpha"));
        beta = SpotApi.start(TestService.config(sim.baseUrl(), TestService.fastSettings()).withOrg("beta"));
    }

    @AfterAll
    static void stop() {
        TestService.closeAll(alpha, beta, sim);
    }

    private static int[] statusAndBody(SpotApi api, String method, String path, Object body, StringBuilder out) {
        String url = "http://127.0.0.1:" + api.port() + "/v1/spot" + path;
        try {
            HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : TestService.JSON.writeValueAsString(body));
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("X-Auth-Token", TestService.TOKEN).method(method, publisher).build(),
                    HttpResponse.BodyHandlers.ofString());
            out.append(r.body());
            return new int[] {r.statusCode()};
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String json(SpotApi api, String method, String path, Object body, int expected) {
        StringBuilder out = new StringBuilder();
        int status = statusAndBody(api, method, path, body, out)[0];
        assertThat(status).as("%s %s: %s", method, path, out).isEqualTo(expected);
        return out.toString();
    }

    private static JsonNode simGet(String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path))
                .header("Authorization", "Bearer main-spot-token").build(), HttpResponse.BodyHandlers.ofString());
        return TestService.JSON.readTree(r.body());
    }

    private static void simDelete(String path) throws IOException, InterruptedException {
        HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).DELETE().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void anotherOrgsInstanceAndGroupAreMissingForEveryNewRouteAndNothingIsWritten() throws Exception {
        String instance = TestService.JSON.readTree(json(alpha, "POST", "/main/instances",
                ApiTestSupport.instanceBody(), 200)).asText();
        String group = TestService.JSON.readTree(json(alpha, "POST", "/main/elastigroups",
                ApiTestSupport.groupBody(), 200)).path("id").asText();
        simDelete("/_sim/requests");

        List<String[]> calls = new ArrayList<>();
        calls.add(new String[] {"PUT", "/main/instances/" + instance + "/power", "{\"state\":\"stop\"}"});
        calls.add(new String[] {"PUT", "/main/instances/" + instance + "/power", "{\"state\":\"reboot\"}"});
        calls.add(new String[] {"DELETE", "/main/instances/" + instance + "?keep=volumes&detach=true", null});
        calls.add(new String[] {"GET", "/main/instances/" + instance + "/costs?aggregationPeriod=daily", null});
        calls.add(new String[] {"PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}"});
        calls.add(new String[] {"PUT", "/main/elastigroups/" + group + "/capacity", "{\"target\":4}"});
        calls.add(new String[] {"PUT", "/main/elastigroups/" + group + "/scale", "{\"direction\":\"up\",\"adjustment\":1}"});
        calls.add(new String[] {"DELETE", "/main/elastigroups/" + group + "?keep=volumes,snapshots", null});
        calls.add(new String[] {"GET", "/main/elastigroups/" + group + "/status", null});
        calls.add(new String[] {"GET", "/main/elastigroups/" + group + "/costs", null});
        calls.add(new String[] {"GET", "/main/elastigroups/" + group + "/events", null});
        calls.add(new String[] {"GET", "/main/elastigroups/" + group + "/logs?limit=5", null});
        // issue 22: rolls and fleet operations
        String g = "/main/elastigroups/" + group;
        calls.add(new String[] {"POST", g + "/rolls", "{\"batchSizePercentage\":50}"});
        calls.add(new String[] {"GET", g + "/rolls", null});
        calls.add(new String[] {"GET", g + "/rolls/sbgd-0a1b2c3d", null});
        calls.add(new String[] {"PUT", g + "/rolls/sbgd-0a1b2c3d", "{\"status\":\"STOPPED\"}"});
        calls.add(new String[] {"PUT", g + "?roll=true", "{\"name\":\"taken\"}"});
        calls.add(new String[] {"GET", g + "/healthiness", null});
        calls.add(new String[] {"PUT", g + "/detach", "{\"instancesToDetach\":[\"i-0123456789abcdef0\"],"
                + "\"shouldDecrementTargetCapacity\":true,\"shouldTerminateInstances\":true}"});
        calls.add(new String[] {"GET", g + "/suspensions", null});
        calls.add(new String[] {"PUT", g + "/suspensions", "{\"suspensions\":[{\"name\":\"AUTO_HEALING\"}]}"});
        calls.add(new String[] {"DELETE", g + "/suspensions/AUTO_HEALING", null});
        for (String[] c : calls) {
            String body = json(beta, c[0], c[1], c[2], 404);
            assertThat(body).as("%s %s", c[0], c[1]).doesNotContain("alpha");
        }

        JsonNode log = simGet("/_sim/requests?limit=1000").path("requests");
        assertThat(log).isNotEmpty();
        for (JsonNode r : log) {
            assertThat(r.path("method").asText()).as("what reached Spot: %s %s", r.path("method"), r.path("path"))
                    .isEqualTo("GET");
        }
        JsonNode status = simGet("/aws/ec2/managedInstance/" + instance + "/status?accountId=" + TestService.MAIN_ID);
        assertThat(status.path("response").path("items").path(0).path("status").asText()).isEqualTo("ACTIVE");
        JsonNode stored = simGet("/aws/ec2/group/" + group + "?accountId=" + TestService.MAIN_ID)
                .path("response").path("items").path(0);
        assertThat(stored.path("capacity").path("target").asInt()).isEqualTo(2);
        assertThat(stored.path("capacity").path("maximum").asInt()).isEqualTo(4);

        // and the owner still acts on both
        json(alpha, "PUT", "/main/instances/" + instance + "/power", "{\"state\":\"stop\"}", 204);
        json(alpha, "PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"stop\"}", 204);
        json(alpha, "PUT", "/main/elastigroups/" + group + "/power", "{\"state\":\"start\"}", 204);
    }
}
