package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 20 item 1: a group power action reads the group and writes capacity and tags from that read. A tag
 * update and a capacity update answered 200 while the power action's read was on its way must not be undone
 * by it: the power action reads again inside the group's write fence, so its write is computed from a state
 * that has every acknowledged write and nothing can come between its read and its write. The interleaving is
 * forced with the simulator's {@code delay} fault ({@code after}: Spot read the group, its answer is late); a
 * write to another group answered first keeps the updates' own org-check reads from sharing the late read.
 */
@org.junit.jupiter.api.Order(10) // long: started first
class GroupPowerRaceTest extends HarnessPerClass {
    private static final String TAG = "spot-api:stopped-capacity";

    /** Five runs, each on a group of its own. */
    @Test
    void aTagUpdateAndACapacityUpdateAnsweredDuringAStopAreKept() throws Exception {
        for (int run = 1; run <= 5; run++) {
            oneRun(run);
        }
    }

    private void oneRun(int run) throws Exception {
        String id = h.createGroup(); // 1/3/2
        String other = h.createGroup();
        String team = "run-" + run;
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "/" + id + "\",\"action\":\"delay\",\"delayMs\":1500,"
                + "\"after\":true,\"count\":1}");

        CompletableFuture<Reply> stop = CompletableFuture.supplyAsync(() -> power(id, "stop"));
        awaitSpotRead(id);
        // a write answered in between: the updates' own org-check reads do not share the stop's late read
        assertThat(h.call("PUT", "/main/elastigroups/" + other + "/capacity", TestService.json("{\"target\": 1}"))
                .status()).isEqualTo(200);
        Reply tags = h.call("PUT", "/main/elastigroups/" + id, TestService.json(
                "{\"compute\": {\"launchSpecification\": {\"tags\": [{\"tagKey\": \"team\", \"tagValue\": \"" + team + "\"}]}}}"));
        Reply capacity = h.call("PUT", "/main/elastigroups/" + id + "/capacity",
                TestService.json("{\"minimum\": 1, \"maximum\": 5, \"target\": 3}"));
        boolean bothBeforeTheStop = !stop.isDone();
        Reply stopped = stop.get(20, TimeUnit.SECONDS);

        assertThat(tags.status()).as(tags.body()).isEqualTo(200);
        assertThat(capacity.status()).as(capacity.body()).isEqualTo(200);
        assertThat(bothBeforeTheStop).as("run %d: both updates were answered while the stop was running", run).isTrue();
        assertThat(stopped.status()).as(stopped.body()).isEqualTo(204);
        JsonNode group = h.stored(GROUPS, id);
        assertThat(capacityOf(group)).containsExactly(0, 0, 0);
        assertThat(tag(group, "team")).as("run %d: the tag update answered before the stop", run).isEqualTo(team);
        assertThat(tag(group, TAG)).as("run %d: the stop remembers the capacity set before it", run)
                .isEqualTo("minimum=1 maximum=5 target=3");

        Reply started = power(id, "start");
        assertThat(started.status()).as(started.body()).isEqualTo(204);
        group = h.stored(GROUPS, id);
        assertThat(capacityOf(group)).as("run %d: the capacity update survives stop and start", run).containsExactly(1, 5, 3);
        assertThat(tag(group, "team")).isEqualTo(team);
        assertThat(tag(group, TAG)).isNull();
    }

    private Reply power(String id, String state) {
        return h.call("PUT", "/main/elastigroups/" + id + "/power", TestService.json("{\"state\": \"" + state + "\"}"));
    }

    private void awaitSpotRead(String id) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (h.countSpotRequests("GET", GROUPS + "/" + id) == 0 && System.nanoTime() < until) {
            Thread.sleep(5);
        }
        assertThat(h.countSpotRequests("GET", GROUPS + "/" + id)).as("the stop's read reached Spot").isPositive();
    }

    private static List<Integer> capacityOf(JsonNode group) {
        JsonNode c = group.path("capacity");
        return List.of(c.path("minimum").asInt(), c.path("maximum").asInt(), c.path("target").asInt());
    }

    private static String tag(JsonNode group, String key) {
        for (JsonNode t : group.path("compute").path("launchSpecification").path("tags")) {
            if (key.equals(t.path("tagKey").asText())) {
                return t.path("tagValue").asText();
            }
        }
        return null;
    }
}
