package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Attack round 2, the task protocol: a group capacity task ({@code PUT .../capacity} with
 * {@code Prefer: respond-async}) compares the fulfilled instances with the group's <em>current</em> target,
 * not with the target it was asked for. When another change lowers the target before the task sees the
 * group fulfilled (here a synchronous capacity of 1 while the task's first status read is slow), the task
 * for "target 6" ends {@code completed}: it claims success for a capacity Spot never reached.
 *
 * <p>Expected: a task completes only when what it was asked for happened; superseded, it fails saying so.
 */
class SupersededTaskAttackTest extends HarnessPerClass {

    @Test
    void aCapacityTaskWhoseTargetWasNeverReachedDoesNotClaimCompleted() throws Exception {
        String id = h.createGroup(); // target 2, maximum 3
        Map<String, String> token = Map.of("X-Auth-Token", TestService.TOKEN);
        h.fault("{\"method\":\"GET\",\"path\":\"/aws/ec2/group/*/status\",\"action\":\"delay\",\"delayMs\":1500,\"count\":1}");

        Reply async = h.svc.call("PUT", "/main/elastigroups/" + id + "/capacity", "{\"target\": 3}",
                Map.of("X-Auth-Token", TestService.TOKEN, "Prefer", "respond-async"));
        assertThat(async.status()).as(async.body()).isEqualTo(202);
        String task = async.header("X-Flywheel-Task");
        Reply lower = h.svc.call("PUT", "/main/elastigroups/" + id + "/capacity", "{\"target\": 1}", token);
        assertThat(lower.status()).as(lower.body()).isEqualTo(200);

        JsonNode t = null;
        long end = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < end) {
            t = h.svc.call("GET", "/flywheel?task=" + task, null, token).json().path(task);
            String status = t.path("status").asText();
            if (status.equals("completed") || status.equals("failed")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(t).isNotNull();
        assertThat(h.stored(Harness.GROUPS, id).path("capacity").path("target").asInt()).isEqualTo(1);
        assertThat(t.path("status").asText())
                .as("the task for target 3, whose group ended at target 1: %s", t)
                .isEqualTo("failed");
    }
}
