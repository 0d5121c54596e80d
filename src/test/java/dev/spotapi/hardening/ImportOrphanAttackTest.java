package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Attack round 2 (fixed): an import ({@code POST /{account}/imports}) whose reply was lost after Spot imported the
 * EC2 instance left a managed instance without the org tag (spot-api tags it only after Spot's answer, and Spot's
 * import body takes no tags): the org could not list, read or delete it, and the retry with the same
 * {@code Idempotency-Key} was Spot's 400 "already managed". Now the instance carries a name made of the request's
 * server-side token while the import is in flight, which the orphan search and the keyed retry look for; found, it
 * is tagged with the org and given its real name. The same for a bulk import, per instance.
 */
class ImportOrphanAttackTest extends HarnessPerClass {

    private static Map<String, String> keyed() {
        return Map.of("X-Auth-Token", TestService.TOKEN, "Idempotency-Key", UUID.randomUUID().toString());
    }

    /** The managed instance as Spot lists it (a {@code config}-wrapped item unwrapped). */
    private JsonNode stored(String id) {
        JsonNode item = h.storedAll(Harness.INSTANCES).stream()
                .filter(o -> id.equals(o.path("id").asText()) || id.equals(o.path("config").path("id").asText()))
                .findFirst().orElseThrow(() -> new AssertionError("Spot holds no managed instance " + id));
        return item.has("config") ? item.get("config") : item;
    }

    /** The import body of a new EC2 instance, and the managed instances Spot holds before. */
    private record Lost(String original, String body, Map<String, String> headers, int before) {
    }

    /** The keyed import, sent (again). */
    private Reply send(Lost lost) {
        return h.svc.call("POST", "/main/imports", lost.body(), lost.headers());
    }

    /** A new EC2 instance to import with a key; Spot will import it and its reply will be lost. */
    private Lost importWithLostReply() {
        String original = h.ec2Instance();
        Lost lost = new Lost(original, "{\"originalInstanceId\": \"" + original + "\", \"region\": \"us-east-1\"}",
                keyed(), h.storedAll(Harness.INSTANCES).size());
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance/migration\",\"action\":\"drop_reply\",\"count\":1}");
        return lost;
    }

    @Test
    void anImportWhoseReplyWasLostIsFoundByTheKeyedRetryAndBelongsToTheOrg() {
        Lost lost = importWithLostReply();

        Reply first = send(lost);
        Reply retry = send(lost);

        List<JsonNode> inSpot = h.storedAll(Harness.INSTANCES);
        assertThat(inSpot).as("Spot imported it once (first answer %d: %s)", first.status(), first.body())
                .hasSize(lost.before() + 1);
        String imported = inSpot.get(inSpot.size() - 1).path("id").asText();
        Reply listed = h.get("/main/instances");
        assertThat(listed.body())
                .as("the managed instance Spot imported for this org is the org's (retry answered %d: %s)",
                        retry.status(), retry.body())
                .contains(imported);
        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(retry.json().path("id").asText()).isEqualTo(imported);
        assertThat(retry.json().path("originalInstanceId").asText()).isEqualTo(lost.original());
        // no name asked for: the EC2 instance's id, not the name it had in flight
        assertThat(stored(imported).path("name").asText()).isEqualTo(lost.original());
    }

    @Test
    void anImportNotFoundWithinTheSearchWindowIsFoundByTheKeyedRetry() {
        Lost lost = importWithLostReply();
        // and Spot's list fails for as long as the first request looks
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/managedInstance\",\"action\":\"status\",\"status\":500,\"count\":1000}");
        Reply first;
        try {
            first = send(lost);
        } finally {
            h.clearFaults();
        }
        assertThat(first.status()).as(first.body()).isEqualTo(502);
        assertThat(first.body()).contains("may still have been imported").contains("spot-api-import-");

        Reply retry = send(lost);

        assertThat(retry.status()).as(retry.body()).isEqualTo(200);
        assertThat(h.storedAll(Harness.INSTANCES)).as("imported once").hasSize(lost.before() + 1);
        String id = retry.json().path("id").asText();
        assertThat(stored(id).path("name").asText()).isEqualTo(lost.original());
        assertThat(h.get("/main/instances/" + id).status()).isEqualTo(200);
    }

    @Test
    void aRecoveredImportGetsTheNameTheCallerGave() {
        String original = h.ec2Instance();
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance/migration\",\"action\":\"drop_reply\",\"count\":1}");

        Reply r = h.svc.call("POST", "/main/imports", "{\"originalInstanceId\": \"" + original
                + "\", \"region\": \"us-east-1\", \"name\": \"web-7\", \"space\": \"s-9\"}", keyed());

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        String id = r.json().path("id").asText();
        assertThat(r.json().path("migrationId").isNull()).as("in the lost answer: %s", r.body()).isTrue();
        JsonNode mi = stored(id);
        assertThat(mi.path("name").asText()).isEqualTo("web-7");
        assertThat(mi.path("compute").path("launchSpecification").path("tags").toString())
                .contains("\"spinup:org\"").contains("\"spinup:spaceid\"").contains("\"s-9\"");
        assertThat(h.get("/main/instances/" + id).status()).isEqualTo(200);
    }

    @Test
    void aBulkImportWhoseReplyWasLostAnswersEachInstanceItFinds() {
        String a = h.ec2Instance();
        String b = h.ec2Instance();
        h.fault("{\"method\":\"POST\",\"path\":\"/aws/ec2/managedInstance/migration/bulk\",\"action\":\"drop_reply\",\"count\":1}");

        Reply r = h.svc.call("POST", "/main/bulk-imports", "{\"instances\": [{\"originalInstanceId\": \"" + a
                + "\", \"region\": \"us-east-1\", \"name\": \"bulk-a\"}, {\"originalInstanceId\": \"" + b
                + "\", \"region\": \"us-east-1\"}]}", keyed());

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        JsonNode entries = r.json().path("instances");
        assertThat(entries).hasSize(2);
        for (JsonNode entry : entries) {
            assertThat(entry.has("error")).as(r.body()).isFalse();
            assertThat(h.get("/main/instances/" + entry.path("id").asText()).status()).as(r.body()).isEqualTo(200);
        }
        assertThat(entries.get(0).path("originalInstanceId").asText()).isEqualTo(a);
        assertThat(stored(entries.get(0).path("id").asText()).path("name").asText()).isEqualTo("bulk-a");
        assertThat(stored(entries.get(1).path("id").asText()).path("name").asText()).isEqualTo(b);
    }

    @Test
    void aCallerCannotNameAnImportLikeOneInFlight() {
        Reply r = h.svc.call("POST", "/main/imports", "{\"originalInstanceId\": \"" + h.ec2Instance()
                + "\", \"region\": \"us-east-1\", \"name\": \"spot-api-import-0123456789abcdef\"}", keyed());
        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("spot-api-import-");
    }
}
