package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 20 (helper "portal"): the portal's services calling spot-api as they call their siblings. The expiry
 * service (YaleSpinup/reaper {@code tag.go}) sends {@code PUT <endpoint>/<org>/<id>/tags {"tags":{"yale:notified_at":
 * "..."}}} with {@code X-Auth-token} and {@code X-Forwarded-User: reaper}, and gives up on the resource when the answer
 * is above 299 ("if we can't tag, then bail all together"). These tests fail on 376cc42 and pass once fixed.
 */
class AttackRound20PortalTest extends ApiTestSupport {

    private static final Map<String, String> REAPER = Map.of("X-Forwarded-User", "reaper");


    private Reply reaperTag(String id, String json) {
        return svc.call("PUT", "/main/" + id + "/tags", TestService.json(json), withToken(REAPER));
    }

    private static Map<String, String> withToken(Map<String, String> headers) {
        java.util.Map<String, String> all = new java.util.HashMap<>(headers);
        all.put("X-Auth-token", TestService.TOKEN);
        return all;
    }

    /**
     * The tag route refused any merge that left more than 50 tags, even one that only changed the value of a tag the
     * resource had; group power {@code stop} (the scheduler's nightly run) added {@code spot-api:stopped-capacity}
     * without that bound: a group with 50 tags had 51 once stopped, and the expiry service's change of
     * {@code yale:notified_at}, a key the group had, was a 400 all night. Now: a stopped group at 50 (49 before the
     * stop) takes the value change; a group at 50 is not stopped past the bound (round 21: a capacity set while
     * stopped ran it with 51): the stop is refused, saying why, nothing changed.
     */
    @Test
    void aStoppedGroupAtTheTagBoundStillTakesAValueChangeOfATagItHas() {
        ObjectNode body = groupBody();
        ArrayNode t = callerTags(body, 46);
        t.addObject().put("tagKey", "yale:notified_at").put("tagValue", "2026/12/01 00:00:00");
        String id = createGroup(body); // 47 of the caller's + spinup:org + spot-api:correlation = 49
        Reply stop = call("PUT", "/main/elastigroups/" + id + "/power", TestService.json("{\"state\": \"stop\"}"));
        assertThat(stop.status()).as("stop: %s", stop.body()).isEqualTo(204);
        assertThat(get("/main/elastigroups/" + id + "/tags").json().path("tags").size()).isEqualTo(50);
        Reply renew = reaperTag(id, "{\"tags\": {\"yale:notified_at\": \"2026/12/08 01:00:00\"}}");
        assertThat(renew.status()).as("a value change on a stopped group at the bound: %s", renew.body()).isEqualTo(200);

        t.addObject().put("tagKey", "one-more").put("tagValue", "v");
        String full = createGroup(body); // 50
        Reply refused = call("PUT", "/main/elastigroups/" + full + "/power", TestService.json("{\"state\": \"stop\"}"));
        assertThat(refused.status()).as("stop at the bound: %s", refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("at most 50 tags").contains("remove a tag first");
        JsonNode group = get("/main/elastigroups/" + full).json();
        assertThat(group.path("capacity").path("target").asInt()).as("not stopped").isPositive();
        assertThat(group.path("compute").path("launchSpecification").path("tags").size()).isEqualTo(50);
    }

    /**
     * A create took up to 50 tags of the caller's, and spot-api added {@code spinup:org} and
     * {@code spot-api:correlation}: 52 tags, with no 400 (AWS allows 50 on a resource). From then on every tag route
     * call on that instance, the expiry service's value change of an existing tag included, was a 400 ("this merge
     * would leave 52"): the create and the tag route disagreed on the bound. Now one rule for every write
     * ({@code SpotPayloads#tooManyTags}): a create over 50 with spot-api's own tags is refused, nothing sent; one at 50
     * is made; a write that adds no tag is never refused for the tags a resource has; one that adds past 50 is.
     */
    @Test
    void anInstanceTheCreateAcceptedCanHaveATagValueChanged() {
        ObjectNode body = instanceBody();
        ArrayNode t = callerTags(body, 50);
        Reply refused = call("POST", "/main/instances", body);
        assertThat(refused.status()).as("create: %s", refused.body()).isEqualTo(400);
        assertThat(refused.body()).contains("at most 50 tags").contains("would leave 52");

        t.remove(49);
        t.remove(48);
        Reply created = call("POST", "/main/instances", body);
        assertThat(created.status()).as("create: %s", created.body()).isEqualTo(200);
        String id = created.json().asText();
        assertThat(get("/main/instances/" + id + "/tags").json().path("tags").size()).isEqualTo(50);

        Reply renew = reaperTag(id, "{\"tags\": {\"t1\": \"changed\"}}");
        assertThat(renew.status()).as("a value change of an existing tag at the bound: %s", renew.body()).isEqualTo(200);
        Reply more = reaperTag(id, "{\"tags\": {\"t-new\": \"v\"}}");
        assertThat(more.status()).as("a tag added past the bound: %s", more.body()).isEqualTo(400);
        assertThat(more.body()).contains("would leave 51");
    }
}
