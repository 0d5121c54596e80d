package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.config.IdempotencyConfig;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.spot.Correlation;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, {@code Idempotency-Key} on every POST, with the embedded (in-process) shared state: replay,
 * 422 for another request, 409 while in flight, nothing stored for failures that changed nothing, the
 * correlation tag on every create, and the configurable TTL. (IETF httpapi idempotency-key draft; Stripe.)
 */
class IdempotencyKeyTest extends HarnessPerClass {
    static Reply keyed(Harness h, String method, String path, Object body, String key) {
        return h.svc.call(method, path, body, Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", key));
    }

    static String newKey() {
        return UUID.randomUUID().toString();
    }

    @Test
    void theSameKeyAndRequestReplaysTheStoredAnswerWithoutASecondSpotCall() {
        String key = newKey();
        ObjectNode body = Harness.groupBody(Harness.uniqueName("idem"));

        Reply first = keyed(h, "POST", "/main/elastigroups", body, key);
        Reply second = keyed(h, "POST", "/main/elastigroups", body, key);

        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.header(dev.spotapi.idempotency.Idempotency.REPLAYED)).isNull();
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.header("Content-Type")).startsWith("application/json");
        assertThat(h.countSpotRequests("POST", GROUPS)).as("one create reached Spot").isEqualTo(1);
    }

    @Test
    void aQuotedKeyIsTheSameKeyAsTheBareOne() {
        String key = newKey();
        ObjectNode body = Harness.instanceBody(Harness.uniqueName("quoted"));

        Reply bare = keyed(h, "POST", "/main/instances", body, key);
        Reply quoted = keyed(h, "POST", "/main/instances", body, "\"" + key + "\"");

        assertThat(bare.status()).as(bare.body()).isEqualTo(200);
        assertThat(quoted.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(quoted.json().asText()).isEqualTo(bare.json().asText());
    }

    @Test
    void theSameKeyWithAnotherRequestIs422AndNothingIsSent() {
        String key = newKey();
        ObjectNode body = Harness.groupBody(Harness.uniqueName("first"));
        assertThat(keyed(h, "POST", "/main/elastigroups", body, key).status()).isEqualTo(200);
        h.clearRequestLog();

        Reply otherBody = keyed(h, "POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("second")), key);
        Reply otherAccount = keyed(h, "POST", "/other/elastigroups", body, key);
        Reply otherRoute = keyed(h, "POST", "/main/instances", Harness.instanceBody("x"), key);

        for (Reply r : List.of(otherBody, otherAccount, otherRoute)) {
            assertThat(assertJsonError(r, 422)).contains("Idempotency-Key").contains("different request");
        }
        assertThat(h.spotRequests()).as("no Spot call for a reused key").isEmpty();
    }

    @Test
    void aDuplicateWhileTheFirstIsInFlightIs409WithRetryAfterThenReplays() throws Exception {
        String key = newKey();
        String name = Harness.uniqueName("inflight");
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");

        CompletableFuture<Reply> first = CompletableFuture.supplyAsync(
                () -> keyed(h, "POST", "/main/elastigroups", Harness.groupBody(name), key));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (h.countSpotRequests("POST", GROUPS) == 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        Reply duplicate = keyed(h, "POST", "/main/elastigroups", Harness.groupBody(name), key);
        Reply original = first.get(20, TimeUnit.SECONDS);
        Reply after = keyed(h, "POST", "/main/elastigroups", Harness.groupBody(name), key);

        assertJsonError(duplicate, 409);
        assertThat(Long.parseLong(duplicate.header("Retry-After"))).isBetween(1L, 5L);
        assertThat(original.status()).as(original.body()).isEqualTo(200);
        assertThat(after.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(after.json().path("id").asText()).isEqualTo(original.json().path("id").asText());
        assertThat(h.storedAll(GROUPS).stream().filter(g -> name.equals(Harness.nameOf(g)))).hasSize(1);
        assertThat(h.countSpotRequests("POST", GROUPS)).isEqualTo(1);
    }

    @Test
    void aFailureThatChangedNothingIsNotStoredSoTheKeyCanBeRetried() {
        String key = newKey();
        ObjectNode body = Harness.groupBody(Harness.uniqueName("retry"));
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"status\",\"status\":400,"
                + "\"errorCode\":\"VALIDATION_FAILED\",\"message\":\"no\",\"count\":1}");

        Reply refused = keyed(h, "POST", "/main/elastigroups", body, key);
        Reply retried = keyed(h, "POST", "/main/elastigroups", body, key);
        Reply badBody = keyed(h, "POST", "/main/elastigroups", "{not json", newKey());

        assertJsonError(refused, 400);
        assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        assertThat(retried.header("Idempotency-Replayed")).isNull();
        assertJsonError(badBody, 400);
    }

    @Test
    void aKeyThatIsNotPrintableAsciiOrTooLongIs400() {
        // (other characters outside printable ASCII: IdempotencyKeyParsingTest; the JDK client will not send them)
        for (String bad : List.of("x".repeat(256), "\"\"", "\"" + "y".repeat(256) + "\"")) {
            Reply r = keyed(h, "POST", "/main/elastigroups", Harness.groupBody("k"), bad);
            assertThat(r.status()).as("key [%s]: %s", bad, r.body()).isEqualTo(400);
            assertThat(assertJsonError(r, 400)).contains("Idempotency-Key");
        }
        assertThat(h.spotRequests()).isEmpty();
    }

    @Test
    void everyCreateCarriesACorrelationTagBesideTheCallersTags() {
        Reply plain = h.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("tag")));
        String key = newKey();
        Reply withKey = keyed(h, "POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("tag")), key);

        JsonNode instance = h.stored(INSTANCES, plain.json().asText());
        JsonNode group = h.stored(GROUPS, withKey.json().path("id").asText());
        assertThat(tag(instance, Correlation.TAG_KEY)).matches("[0-9a-f]{32}");
        assertThat(tag(instance, "CreatedBy")).as("the caller's own tag is kept").isEqualTo("hardening");
        assertThat(tag(group, Correlation.TAG_KEY)).matches("[0-9a-f]{32}").doesNotContain(key.replace("-", ""));
    }

    @Test
    void anActionRouteTakesTheKeyTooAScaleRunsOnce() {
        String id = h.createGroup();
        String key = newKey();
        String path = "/main/elastigroups/" + id + "/scale";

        Reply first = keyed(h, "PUT", path, "{\"direction\": \"up\", \"adjustment\": 1}", key);
        Reply again = keyed(h, "PUT", path, "{\"direction\": \"up\", \"adjustment\": 1}", key);
        Reply other = keyed(h, "PUT", path, "{\"direction\": \"up\", \"adjustment\": 2}", key);

        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(again.header("Idempotency-Replayed")).isEqualTo("true");
        assertThat(again.body()).isEqualTo(first.body());
        assertJsonError(other, 422);
        assertThat(h.countSpotRequests("PUT", GROUPS + "/" + id + "/scale/up")).as("scaled once").isEqualTo(1);
        assertThat(h.stored(GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(3);
    }

    /** The document and the server agree: every POST declares the key, and every route declaring it checks it. */
    @Test
    void everyRouteTheDocumentSaysTakesTheKeyReallyChecksIt() {
        JsonNode paths = h.svc.call("GET", "/openapi.json", null, Map.of()).json().path("paths");
        List<String> checked = new java.util.ArrayList<>();
        paths.fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            boolean declares = false;
            for (JsonNode p : op.getValue().path("parameters")) {
                declares |= p.path("$ref").asText().endsWith("/IdempotencyKey");
            }
            if ("post".equals(op.getKey())) {
                assertThat(declares).as("POST %s declares Idempotency-Key", path.getKey()).isTrue();
            }
            if (!declares) {
                return;
            }
            assertThat(op.getValue().path("responses").has("409")).isTrue();
            assertThat(op.getValue().path("responses").has("422")).isTrue();
            String url = path.getKey().substring("/v1/spot".length()).replace("{account}", "main")
                    .replace("{elastigroup}", "sig-00000001").replace("{instance}", "smi-00000001")
                    .replaceAll("\\{[A-Za-z]+\\}", "x-00000001");
            Reply r = keyed(h, op.getKey().toUpperCase(java.util.Locale.ROOT), url, "{}", "k".repeat(300));
            assertThat(r.status()).as("%s %s with a 300-character key: %s", op.getKey(), url, r.body()).isEqualTo(400);
            assertThat(r.json().path("message").asText()).contains("Idempotency-Key");
            checked.add(op.getKey() + " " + url);
        }));
        assertThat(checked).as("routes taking the key").hasSizeGreaterThanOrEqualTo(2);
        assertThat(h.spotRequests()).isEmpty();
    }

    @Test
    void keysExpireAfterTheConfiguredTtl() throws Exception {
        try (Harness shortLived = Harness.start(Harness.quick(), c -> withTtl(c, 1))) {
            String key = newKey();
            Reply first = keyed(shortLived, "POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("ttl")), key);
            assertThat(first.status()).isEqualTo(200);
            assertThat(keyed(shortLived, "POST", "/main/instances", Harness.instanceBody("another"), key).status())
                    .as("inside the TTL the key belongs to the first request").isEqualTo(422);

            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Reply later;
            do {
                Thread.sleep(200);
                later = keyed(shortLived, "POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("ttl2")), key);
            } while (later.status() == 422 && System.nanoTime() < until);
            assertThat(later.status()).as("after the TTL the key is free: %s", later.body()).isEqualTo(200);
        }
    }

    private static ServiceConfig withTtl(ServiceConfig c, long seconds) {
        return c.withIdempotency(new IdempotencyConfig(seconds));
    }

    static String tag(JsonNode object, String key) {
        for (JsonNode t : object.path("compute").path("launchSpecification").path("tags")) {
            if (key.equals(t.path("tagKey").asText())) {
                return t.path("tagValue").asText();
            }
        }
        return null;
    }
}
