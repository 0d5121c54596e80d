package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static dev.spotapi.hardening.Harness.assertJsonError;
import static dev.spotapi.hardening.IdempotencyKeyTest.keyed;
import static dev.spotapi.hardening.IdempotencyKeyTest.newKey;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.config.SpotClientSettings;
import dev.spotapi.spot.Correlation;
import dev.spotapi.support.TestService.Reply;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, orphan recovery: a create whose reply is lost after Spot acted (reply later than the attempt
 * timeout, connection dropped after the work) is found again by its correlation tag and answered as a
 * normal success; when it cannot be found the 502/504 says the object may still appear and names the
 * tag, never "unreachable"; a retry with the same {@code Idempotency-Key} then gets the object the first
 * attempt made, without a second create.
 */
@Order(9) // long: started first
class OrphanRecoveryTest extends HarnessPerClass {
    private static final Pattern TOKEN = Pattern.compile(Pattern.quote(Correlation.TAG_KEY) + "=([0-9a-f]{32})");

    /** Attempts of 1 s, so the orphan search after a lost reply lasts 1 s; deadline 4 s. */
    @Override
    SpotClientSettings settings() {
        return new SpotClientSettings(1_000, 1_000, 4_000, 3, 20, 200, 0, 100);
    }

    @Test
    void aCreateWhoseReplyComesAfterTheAttemptTimeoutIsFoundAndAnswered200() {
        String name = Harness.uniqueName("late");
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");

        Reply r = h.call("POST", "/main/elastigroups", Harness.groupBody(name));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> named = named(GROUPS, name);
        assertThat(named).hasSize(1);
        assertThat(r.json().path("id").asText()).isEqualTo(named.get(0).path("id").asText());
        assertThat(h.countSpotRequests("POST", GROUPS)).as("not created twice").isEqualTo(1);
        assertThat(h.metric("spotapi_spot_creates_recovery_total", "outcome", "found")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void aCreateWhoseConnectionDropsAfterSpotActedIsFoundAndAnswered200() {
        String name = Harness.uniqueName("dropped");
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"drop_reply\",\"count\":1}");

        Reply r = h.call("POST", "/main/instances", Harness.instanceBody(name));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<JsonNode> named = named(INSTANCES, name);
        assertThat(named).hasSize(1);
        assertThat(r.json().asText()).isEqualTo(named.get(0).path("id").asText());
        assertThat(h.countSpotRequests("POST", INSTANCES)).isEqualTo(1);
    }

    @Test
    void whenTheObjectCannotBeFoundThe502NamesTheTagAndARetryWithTheKeyGetsIt() throws Exception {
        String name = Harness.uniqueName("lost");
        String key = newKey();
        // without a shared store a keyed create looks for an earlier attempt's object first: let that look
        // succeed (slowly), then lose the create's reply and make every later look fail
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"delay\",\"delayMs\":800,\"count\":1}");
        java.util.concurrent.CompletableFuture<Reply> pending = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> keyed(h, "POST", "/main/instances", Harness.instanceBody(name), key));
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (h.countSpotRequests("GET", INSTANCES) == 0 && System.nanoTime() < until) {
            Thread.sleep(10);
        }
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"status\",\"status\":503}");
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"drop_reply\",\"count\":1}");

        Reply lost = pending.get(20, TimeUnit.SECONDS);

        String message = assertJsonError(lost, 502);
        assertThat(message).contains("may still").doesNotContainIgnoringCase("unreachable");
        Matcher token = TOKEN.matcher(message);
        assertThat(token.find()).as("the message names the correlation tag: %s", message).isTrue();
        h.clearFaults();
        List<JsonNode> named = named(INSTANCES, name);
        assertThat(named).as("Spot did create it").hasSize(1);
        String id = named.get(0).path("id").asText();
        assertThat(IdempotencyKeyTest.tag(h.stored(INSTANCES, id), Correlation.TAG_KEY)).isEqualTo(token.group(1));

        Reply retried = keyed(h, "POST", "/main/instances", Harness.instanceBody(name), key);

        assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        assertThat(retried.json().asText()).as("the first attempt's instance").isEqualTo(id);
        assertThat(h.countSpotRequests("POST", INSTANCES)).as("no second create").isEqualTo(1);
        assertThat(keyed(h, "POST", "/main/instances", Harness.instanceBody(name), key).header("Idempotency-Replayed"))
                .isEqualTo("true");
    }

    @Test
    void aCreateThatLandsAfterTheSearchIs504NamingTheTagAndTheRetryFindsIt() throws Exception {
        String name = Harness.uniqueName("verylate");
        String key = newKey();
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/group\",\"action\":\"delay\",\"delayMs\":3000,\"count\":1}");

        Reply late = keyed(h, "POST", "/main/elastigroups", Harness.groupBody(name), key);

        if (late.status() != 200) { // 200 when the write fence waited for Spot's late answer itself
            String message = assertJsonError(late, 504);
            assertThat(message).contains("may still").contains(Correlation.TAG_KEY + "=");
        }
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (named(GROUPS, name).isEmpty() && System.nanoTime() < until) {
            Thread.sleep(100);
        }
        String id = named(GROUPS, name).get(0).path("id").asText();

        Reply retried = keyed(h, "POST", "/main/elastigroups", Harness.groupBody(name), key);

        assertThat(retried.status()).as(retried.body()).isEqualTo(200);
        assertThat(retried.json().path("id").asText()).isEqualTo(id);
        assertThat(named(GROUPS, name)).hasSize(1);
        assertThat(h.countSpotRequests("POST", GROUPS)).isEqualTo(1);
    }

    @Test
    void aCreateRefusedBeforeItWasSentSaysUnreachableAndTheKeyStaysFree() {
        String key = newKey();
        Reply down = keyed(h, "POST", "/down/instances", Harness.instanceBody(Harness.uniqueName("down")), key);

        assertThat(assertJsonError(down, 502)).contains("unreachable").doesNotContain(Correlation.TAG_KEY);
    }

    private List<JsonNode> named(String kind, String name) {
        return h.storedAll(kind).stream().filter(i -> name.equals(Harness.nameOf(i))).toList();
    }
}
