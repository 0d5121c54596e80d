package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.support.TestService.Reply;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Attack round 22 (helper "writes"), from outside: writes lost across concurrent callers. Each test asserts what a
 * caller expects; a failing one is a finding (see the report).
 *
 * <p>Optimistic concurrency with {@code If-Unmodified-Since} (RFC 9110 §13.1.4, honoured since attack round 7): two
 * callers read the same object (updatedAt U0) and each sends its change conditioned on U0. At most one may succeed:
 * whichever is written second must see the object modified after U0 and get 412, else the first caller's
 * acknowledged change is silently overwritten (the lost update the header exists to prevent). spot-api evaluates the
 * condition against the org check's read made before the write ({@code api.Preconditions#prefetch}), outside the
 * object's write fence, so both reads see U0 and both writes are sent and answered 200.
 */
class AttackRound22WritesTest extends HarnessPerClass {
    private static final DateTimeFormatter HTTP_DATE = DateTimeFormatter.RFC_1123_DATE_TIME.withZone(ZoneOffset.UTC);

    private Reply put(String path, String body, String ifUnmodifiedSince) {
        return Harness.unchecked(h.port(), "PUT", path, body,
                Harness.withToken("If-Unmodified-Since", ifUnmodifiedSince));
    }

    /** The group's updatedAt as an HTTP date, after the simulated clock moved on a minute (so a write changes it). */
    private String updatedAtThenAMinuteLater(String id) {
        Reply read = h.call("GET", "/main/elastigroups/" + id, null);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        String date = HTTP_DATE.format(Instant.parse(read.json().path("updatedAt").asText()));
        assertThat(h.svc.sim("POST", "/_sim/clock/advance", "{\"seconds\": 60}").status()).isEqualTo(200);
        return date;
    }

    /**
     * {@code PUT /main/elastigroups/{id}{suffix}} with {@code bodyA}, then 250 ms later with {@code bodyB}, both
     * conditioned on the group's {@code updatedAt} before either; Spot takes 700 ms over the first group write. Their
     * answers, A's first, once the simulator is idle.
     */
    private List<Reply> twoConditionedWrites(String id, String suffix, String bodyA, String bodyB) throws Exception {
        String since = updatedAtThenAMinuteLater(id);
        h.fault("{\"method\":\"PUT\",\"path\":\"" + Harness.GROUPS + "/" + id + "\",\"action\":\"delay\","
                + "\"delayMs\":700,\"count\":1}");
        CompletableFuture<Reply> a = CompletableFuture.supplyAsync(() -> put("/main/elastigroups/" + id + suffix, bodyA, since));
        Harness.pause(250);
        CompletableFuture<Reply> b = CompletableFuture.supplyAsync(() -> put("/main/elastigroups/" + id + suffix, bodyB, since));
        List<Reply> both = List.of(a.get(), b.get());
        h.awaitSimulatorIdle();
        return both;
    }

    /**
     * Two conditional group updates (different names) with the same {@code If-Unmodified-Since}, sent at once; the
     * first one Spot takes 700 ms to handle (any Spot latency opens the window: on loopback without any fault the
     * sandbox answered both 200 in 10 of 10 trials). Expected: one 200, one 412, and the stored name is the one
     * answered 200. Observed: both 200, the group holds only the second name: an acknowledged write lost.
     */
    @Test
    void twoUpdatesConditionedOnTheSameUnmodifiedSinceNeverBothSucceed() throws Exception {
        String id = h.createGroup();
        List<Reply> both = twoConditionedWrites(id, "", "{\"name\":\"written-by-a\"}", "{\"name\":\"written-by-b\"}");
        Reply ra = both.get(0);
        Reply rb = both.get(1);
        String stored = h.call("GET", "/main/elastigroups/" + id, null).json().path("name").asText();
        List<Integer> statuses = new ArrayList<>(List.of(ra.status(), rb.status()));
        assertThat(statuses).as("A %s %s / B %s %s; stored name %s", ra.status(), ra.body(), rb.status(), rb.body(),
                stored).containsExactlyInAnyOrder(200, 412);
        String acknowledged = ra.status() == 200 ? "written-by-a" : "written-by-b";
        assertThat(stored).as("the stored name is the acknowledged one").isEqualTo(acknowledged);
    }

    /**
     * The same on the tag route (the expiry service's merge, {@code PUT /{account}/elastigroups/{id}/tags}): two
     * merges conditioned on the same date, each setting {@code owner} to another value. Expected one 200 and one 412.
     */
    @Test
    void twoTagMergesConditionedOnTheSameUnmodifiedSinceNeverBothSucceed() throws Exception {
        String id = h.createGroup();
        List<Reply> both = twoConditionedWrites(id, "/tags", "{\"tags\":{\"owner\":\"alice\"}}",
                "{\"tags\":{\"owner\":\"bob\"}}");
        Reply ra = both.get(0);
        Reply rb = both.get(1);
        Reply tags = h.call("GET", "/main/elastigroups/" + id + "/tags", null);
        assertThat(List.of(ra.status(), rb.status())).as("A %s %s / B %s %s; tags %s", ra.status(), ra.body(),
                rb.status(), rb.body(), tags.body()).containsExactlyInAnyOrder(200, 412);
    }
}
