package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Attack round 5 on the in-flight import name ({@code spot-api-import-<mark>-<token>}): an import whose answer was lost
 * is found by that name, and only by it. Found (fixed since): the name was reserved for the import body's
 * {@code name} only, so an instance created or renamed through {@code /instances} could take it, and the recovery
 * then found the decoy (the oldest instance of that name) instead of what Spot imported. Now every instance body
 * refuses it and the search only considers instances without an org tag. Also what holds: the tag write failing
 * after a recovery, and a doubtful import that Spot never carried out.
 */
class ImportMarkerAttackTest extends HarnessPerClass {
    private static final Pattern MARKER = Pattern.compile("spot-api-import-[0-9a-f]{8}-[0-9a-f]{32}");
    /** Another org's deployment over the same simulator account. */
    private TestService beta;

    @BeforeAll
    void startBeta() {
        beta = TestService.replica(h.svc.simulator, settings(), c -> c.withOrg("beta"));
    }

    @AfterAll
    void stopBeta() {
        if (beta != null) {
            beta.close();
        }
    }

    private static Map<String, String> keyed(String key) {
        return Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", key);
    }

    private static String body(String original) {
        return "{\"originalInstanceId\": \"" + original + "\", \"region\": \"us-east-1\"}";
    }

    private JsonNode stored(String id) {
        JsonNode item = h.storedAll(Harness.INSTANCES).stream()
                .filter(o -> id.equals(o.path("id").asText()) || id.equals(o.path("config").path("id").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("Spot holds no managed instance " + id));
        return item.has("config") ? item.get("config") : item;
    }

    /** Ids of the managed instances Spot holds. */
    private List<String> ids() {
        return h.storedAll(Harness.INSTANCES).stream()
                .map(o -> o.has("config") && !o.has("id") ? o.path("config").path("id").asText() : o.path("id").asText())
                .toList();
    }

    /**
     * An import whose reply is lost and whose search finds nothing (Spot's list fails meanwhile): the 502 naming the
     * in-flight name; returns that name, and the id Spot gave the imported instance.
     */
    private String[] lostImport(String original, String key) {
        List<String> before = ids();
        Reply first = importWithLostReply(original, key,
                "{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"status\",\"status\":500,\"count\":1000}");
        assertThat(first.status()).as(first.body()).isEqualTo(502);
        Matcher m = MARKER.matcher(first.body());
        assertThat(m.find()).as("the in-flight name in %s", first.body()).isTrue();
        return new String[] {m.group(), imported(before)};
    }

    /** The keyed import of {@code original}, its reply lost and {@code fault} set while it runs (then cleared). */
    private Reply importWithLostReply(String original, String key, String fault) {
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance/migration\",\"action\":\"drop_reply\",\"count\":1}");
        h.fault(fault);
        try {
            return h.svc.call("POST", "/main/imports", body(original), keyed(key));
        } finally {
            h.clearFaults();
        }
    }

    /** The one managed instance Spot holds now and did not hold {@code before}. */
    private String imported(List<String> before) {
        List<String> after = new java.util.ArrayList<>(ids());
        after.removeAll(before);
        assertThat(after).as("Spot imported it").hasSize(1);
        return after.get(0);
    }

    @Test
    void anotherOrgsInstanceRenamedToTheInFlightNameDoesNotStrandTheImport() {
        // beta's instance exists before alpha's import (the oldest of a name is the one found)
        Reply created = beta.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("beta")));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String decoy = created.json().asText();
        String original = h.ec2Instance();
        String key = UUID.randomUUID().toString();
        String[] lost = lostImport(original, key);

        Reply renamed = beta.call("PUT", "/main/instances/" + decoy, "{\"name\": \"" + lost[0] + "\"}");

        Reply retry = h.svc.call("POST", "/main/imports", body(original), keyed(key));
        assertThat(retry.status()).as("alpha's keyed retry (beta's rename answered %d: %s): %s", renamed.status(),
                renamed.body(), retry.body()).isEqualTo(200);
        assertThat(retry.json().path("id").asText()).isEqualTo(lost[1]);
        assertThat(h.get("/main/instances/" + lost[1]).status()).isEqualTo(200);
    }

    @Test
    void anInstanceCreatedWithTheInFlightNameIsNotAnsweredAsTheImport() {
        String original = h.ec2Instance();
        String key = UUID.randomUUID().toString();
        // an older instance of this org, renamed to the name the 502 told
        String older = h.createInstance();
        String[] lost = lostImport(original, key);
        Reply renamed = h.svc.call("PUT", "/main/instances/" + older, "{\"name\": \"" + lost[0] + "\"}");

        Reply retry = h.svc.call("POST", "/main/imports", body(original), keyed(key));

        assertThat(retry.status()).as("rename answered %d: %s; retry: %s", renamed.status(), renamed.body(),
                retry.body()).isEqualTo(200);
        assertThat(retry.json().path("id").asText()).as("the instance Spot imported, not %s", older).isEqualTo(lost[1]);
        assertThat(stored(older).path("name").asText()).as("the decoy keeps its name").isNotEqualTo(original);
    }

    /** Holds: the tag write failing after a recovered import: 502 naming the instance, then the keyed retry claims it. */
    @Test
    void aTagWriteThatFailsAfterARecoveryIsCompletedByTheKeyedRetry() {
        String original = h.ec2Instance();
        String key = UUID.randomUUID().toString();
        List<String> before = ids();
        Reply first = importWithLostReply(original, key,
                "{\"method\":\"PUT\",\"path\":\"/aws/ec2/managedInstance/*\",\"action\":\"status\",\"status\":500,\"count\":1000}");
        String id = imported(before);
        assertThat(first.status()).as(first.body()).isEqualTo(502);
        assertThat(first.body()).contains(id).contains("untagged");
        assertThat(stored(id).path("name").asText()).startsWith("spot-api-import-");
        assertThat(h.get("/main/instances").body()).doesNotContain(id);

        Reply retry = h.svc.call("POST", "/main/imports", body(original), keyed(key));

        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(retry.json().path("id").asText()).isEqualTo(id);
        assertThat(stored(id).path("name").asText()).isEqualTo(original);
        assertThat(h.get("/main/instances/" + id).status()).isEqualTo(200);
    }

    /** Holds: Spot answered 500 before acting: the answer says it may have been imported, nothing is claimed. */
    @Test
    void aDoubtfulImportSpotNeverCarriedOutClaimsNothingAndTheRetryImportsOnce() {
        String original = h.ec2Instance();
        String key = UUID.randomUUID().toString();
        int before = ids().size();
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance/migration\",\"action\":\"status\",\"status\":500,\"count\":1000}");
        Reply first;
        try {
            first = h.svc.call("POST", "/main/imports", body(original), keyed(key));
        } finally {
            h.clearFaults();
        }
        assertThat(first.status()).as(first.body()).isEqualTo(502);
        assertThat(first.body()).contains("may still have been imported");
        assertThat(ids()).hasSize(before);
        assertThat(h.countSpotRequests("PUT", Harness.INSTANCES)).isZero();

        Reply retry = h.svc.call("POST", "/main/imports", body(original), keyed(key));
        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(ids()).hasSize(before + 1);
        assertThat(stored(retry.json().path("id").asText()).path("name").asText()).isEqualTo(original);
    }

    /**
     * Holds: fifty EC2 instances in one bulk import whose reply is lost: every entry is answered with its own
     * instance, named and the org's, with at most three list calls; the same instance twice in one bulk is a 400
     * before anything reaches Spot.
     */
    @Test
    void aFiftyInstanceBulkImportWithALostReplyAnswersEachWithFewListCalls() {
        List<String> originals = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            originals.add(h.ec2Instance());
        }
        StringBuilder body = new StringBuilder("{\"instances\": [");
        for (int i = 0; i < originals.size(); i++) {
            body.append(i == 0 ? "" : ", ").append(body(originals.get(i)));
        }
        body.append("]}");
        h.clearRequestLog();
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance/migration/bulk\",\"action\":\"drop_reply\",\"count\":1}");

        Reply r = h.svc.call("POST", "/main/bulk-imports", body.toString(), keyed(UUID.randomUUID().toString()));

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(h.countSpotRequests("GET", Harness.INSTANCES)).as("list calls to Spot (before the test reads the simulator), in: %s", h.spotRequests()
                .stream().map(q -> q.path("method").asText() + " " + q.path("path").asText()).toList())
                .isLessThanOrEqualTo(3);
        JsonNode entries = r.json().path("instances");
        assertThat(entries).hasSize(50);
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < 50; i++) {
            JsonNode e = entries.get(i);
            assertThat(e.has("error")).as("entry %d: %s", i, e).isFalse();
            assertThat(e.path("originalInstanceId").asText()).isEqualTo(originals.get(i));
            assertThat(ids.add(e.path("id").asText())).as("entry %d answers an id already answered: %s", i, e).isTrue();
            assertThat(stored(e.path("id").asText()).path("name").asText()).isEqualTo(originals.get(i));
        }
        assertThat(h.get("/main/instances").status()).isEqualTo(200);

        String twice = h.ec2Instance();
        h.clearRequestLog();
        Reply dup = h.svc.call("POST", "/main/bulk-imports", "{\"instances\": [" + body(twice) + ", " + body(twice)
                + "]}", keyed(UUID.randomUUID().toString()));
        assertThat(dup.status()).as(dup.body()).isEqualTo(400);
        assertThat(h.countSpotRequests("POST", Harness.INSTANCES + "/migration/bulk")).isZero();
    }

    /**
     * Prefer: respond-async on an import whose reply is lost: the recovered import is answered 202 with its task,
     * and the task follows the instance to its end (the migration id, lost with the reply, is not needed).
     */
    @Test
    void anAsyncImportWhoseReplyWasLostIsAnsweredWithATaskThatEnds() throws InterruptedException {
        String original = h.ec2Instance();
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance/migration\",\"action\":\"drop_reply\",\"count\":1}");
        Reply r = h.svc.call("POST", "/main/imports", body(original), Map.of("X-Auth-Token", TestService.TOKEN,
                "Idempotency-Key", UUID.randomUUID().toString(), "Prefer", "respond-async"));
        assertThat(r.status()).as(r.body()).isEqualTo(202);
        String task = r.header("X-Flywheel-Task");
        assertThat(task).as("task header of %s", r.body()).isNotNull();
        String id = r.json().path("id").asText();
        assertThat(h.get("/main/instances/" + id).status()).isEqualTo(200);
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\":300}").status()).isEqualTo(200);
        long deadline = System.nanoTime() + 15_000_000_000L;
        JsonNode t;
        do {
            Thread.sleep(50);
            Reply q = h.svc.call("GET", "/flywheel?task=" + task, null);
            assertThat(q.status()).as(q.body()).isEqualTo(200);
            t = q.json().path(task);
        } while (!t.path("status").asText().matches("completed|failed") && System.nanoTime() < deadline);
        assertThat(t.path("status").asText()).as("task %s", t).isEqualTo("completed");
    }

    /**
     * Holds: alpha's import left in doubt (reply lost, search failed); beta sending the same body with the same
     * Idempotency-Key does not get the instance (Spot's refusal: already managed), alpha with the same key and another
     * body gets 422, and alpha's own retry then claims it.
     */
    @Test
    void theSameKeyFromAnotherOrgOrWithAnotherBodyNeverGetsTheImport() {
        String original = h.ec2Instance();
        String key = UUID.randomUUID().toString();
        String[] lost = lostImport(original, key);

        Reply fromBeta = beta.call("POST", "/main/imports", body(original), keyed(key));
        assertThat(fromBeta.status()).as(fromBeta.body()).isBetween(400, 499);
        assertThat(fromBeta.body()).doesNotContain(lost[1]);
        assertThat(beta.call("GET", "/main/instances/" + lost[1], null).status()).isEqualTo(404);

        Reply otherBody = h.svc.call("POST", "/main/imports", "{\"originalInstanceId\": \"" + original
                + "\", \"region\": \"us-east-1\", \"name\": \"other\"}", keyed(key));
        assertThat(otherBody.status()).as(otherBody.body()).isEqualTo(422);

        Reply retry = h.svc.call("POST", "/main/imports", body(original), keyed(key));
        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(retry.json().path("id").asText()).isEqualTo(lost[1]);
        assertThat(beta.call("GET", "/main/instances/" + lost[1], null).status()).isEqualTo(404);
    }

    /**
     * The name spot-api gives imports in flight is refused wherever a caller names a managed instance, as it is in
     * the import body: on create ({@code POST /instances}) and on update ({@code PUT /instances/{id}}).
     */
    @Test
    void theInFlightImportNameIsRefusedOnInstanceCreateAndRename() {
        String marker = "spot-api-import-0123456789abcdef0123456789abcdef";
        com.fasterxml.jackson.databind.node.ObjectNode create = Harness.instanceBody(marker);
        Reply created = h.svc.call("POST", "/main/instances", create);
        String id = h.createInstance();
        Reply renamed = h.svc.call("PUT", "/main/instances/" + id, "{\"name\": \"" + marker + "\"}");
        assertThat(created.status()).as("create named %s: %s", marker, created.body()).isEqualTo(400);
        assertThat(renamed.status()).as("rename to %s: %s", marker, renamed.body()).isEqualTo(400);
        assertThat(h.storedAll(Harness.INSTANCES).stream().map(o -> o.has("config") ? o.get("config") : o)
                .map(o -> o.path("name").asText()).toList()).doesNotContain(marker);
    }
}
