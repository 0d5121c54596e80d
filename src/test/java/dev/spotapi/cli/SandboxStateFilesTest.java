package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.auth.TokenVerifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox keeps its async tasks ({@code .sandbox/tasks.json}) and its {@code Idempotency-Key} records
 * ({@code .sandbox/idempotency.jsonl}) across restarts: a keyed scale retried after a restart is the replay.
 */
class SandboxStateFilesTest {
    private static final String KEY = "sandbox-state-files-key-0123456789";
    private static final String TOKEN = TokenVerifier.hash(KEY, 4);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aKeyedScaleRetriedAfterARestartOfTheSandboxIsTheReplay() throws Exception {
        Map<String, String> env = Map.of("SPOT_API_TOKEN", KEY);
        String scale = "{\"direction\": \"up\", \"adjustment\": 1}";
        String key = UUID.randomUUID().toString();
        String group;
        HttpResponse<String> once;
        try (Sandbox.Running first = Sandbox.start(dir, null, env, "127.0.0.1:0")) {
            assertThat(first.config().tasks().stateFile()).isEqualTo(dir.resolve("tasks.json").toString());
            assertThat(first.config().idempotency().stateFile()).isEqualTo(dir.resolve("idempotency.jsonl").toString());
            String base = "http://127.0.0.1:" + first.api().port() + "/v1/spot/sandbox";
            HttpResponse<String> created = send("POST", base + "/elastigroups", """
                    {"name": "state-files", "region": "us-east-1",
                     "capacity": {"minimum": 0, "maximum": 5, "target": 2, "unit": "instance"},
                     "strategy": {"risk": 100, "availabilityVsCost": "balanced"},
                     "compute": {"product": "Linux/UNIX",
                       "instanceTypes": {"ondemand": "t3.micro", "spot": ["t3.micro"]},
                       "availabilityZones": [{"name": "us-east-1a", "subnetId": "subnet-0123"}],
                       "launchSpecification": {"imageId": "ami-0123", "securityGroupIds": ["sg-0123"]}}}""", null);
            assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
            group = JSON.readTree(created.body()).path("id").asText();
            once = send("PUT", base + "/elastigroups/" + group + "/scale", scale, key);
            assertThat(once.statusCode()).as(once.body()).isEqualTo(200);
        }
        assertThat(dir.resolve("idempotency.jsonl")).exists();
        try (Sandbox.Running second = Sandbox.start(dir, null, env, "127.0.0.1:0")) {
            String base = "http://127.0.0.1:" + second.api().port() + "/v1/spot/sandbox";
            HttpResponse<String> retry = send("PUT", base + "/elastigroups/" + group + "/scale", scale, key);
            assertThat(retry.statusCode()).as(retry.body()).isEqualTo(200);
            assertThat(retry.headers().firstValue("Idempotency-Replayed")).hasValue("true");
            assertThat(retry.body()).isEqualTo(once.body());
            JsonNode now = JSON.readTree(send("GET", base + "/elastigroups/" + group, null, null).body());
            assertThat(now.path("capacity").path("target").asInt()).as("scaled once: %s", now).isEqualTo(3);
        }
    }

    private static HttpResponse<String> send(String method, String url, String body, String idempotencyKey)
            throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("X-Auth-Token", TOKEN)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
