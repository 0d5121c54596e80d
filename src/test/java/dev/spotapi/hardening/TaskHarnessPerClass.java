package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService.Reply;

/**
 * {@link HarnessPerClass} for classes that follow async tasks: the service runs {@link Harness#fastTasks()} (20 ms
 * polls), and {@link #task} and {@link #awaitEnd} read a task as the portal does ({@code /flywheel?task=}).
 */
abstract class TaskHarnessPerClass extends HarnessPerClass {
    @Override
    java.util.function.UnaryOperator<dev.spotapi.config.ServiceConfig> config() {
        return c -> c.withTasks(Harness.fastTasks());
    }

    /** The task {@code id} as {@code /flywheel} answers it (null when it does not know it). */
    JsonNode task(String id) {
        Reply r = h.get("/flywheel?task=" + id);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json().get(id);
    }

    /** The task once {@code completed} or {@code failed}, or as it is after {@code seconds}. */
    JsonNode awaitEnd(String id, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        JsonNode t = task(id);
        while (System.nanoTime() < end && (t == null || !t.path("status").asText().matches("completed|failed"))) {
            Thread.sleep(30);
            t = task(id);
        }
        return t;
    }

    /** Spot's own status reply for managed instance {@code id} (the simulator's, not through spot-api). */
    JsonNode spotStatusReply(String id) {
        Reply r = h.svc.sim("GET", Harness.INSTANCES + "/" + id + "/status?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json();
    }

    /** Spot's status of managed instance {@code id} ({@code ACTIVE}, {@code PAUSING}, ...). */
    String spotStatus(String id) {
        return spotStatusReply(id).path("response").path("items").path(0).path("status").asText();
    }

    /** A group of {@code unit} ("instance" or "weight": t3.micro weighs 2), capacity 0/20/{@code target}; its id. */
    String group(String unit, int target) {
        ObjectNode body = Harness.groupBody(Harness.uniqueName("w"));
        ObjectNode capacity = (ObjectNode) body.path("capacity");
        capacity.put("minimum", 0).put("maximum", 20).put("target", target).put("unit", unit);
        if (unit.equals("weight")) {
            ((ObjectNode) body.path("compute").path("instanceTypes")).putArray("weights").addObject()
                    .put("instanceType", "t3.micro").put("weightedCapacity", 2);
        }
        Reply r = h.call("POST", "/main/elastigroups", body);
        assertThat(r.status()).as("create: %s", r.body()).isEqualTo(200);
        return r.json().path("id").asText();
    }

    /**
     * {@code group}'s status as Spot answers it now ({@code items} instances, unless negative), served for its next
     * reads (Spot showing the change late); the async capacity change to {@code target}; the task after 600 ms.
     */
    JsonNode capacityTaskWhileStatusLags(String group, int target, int items) throws Exception {
        Reply now = h.svc.sim("GET", Harness.GROUPS + "/" + group + "/status?accountId=" + Harness.MAIN_ID, null);
        assertThat(now.status()).as(now.body()).isEqualTo(200);
        if (items >= 0) {
            assertThat(now.json().path("response").path("items").size()).isEqualTo(items);
        }
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.GROUPS + "/" + group + "/status\",\"action\":\"json\","
                + "\"count\":200,\"body\":" + now.body() + "}");
        Reply cap = h.svc.call("PUT", "/main/elastigroups/" + group + "/capacity", "{\"target\":" + target + "}",
                Harness.withToken("Prefer", "respond-async"));
        assertThat(cap.status()).as(cap.body()).isEqualTo(202);
        Thread.sleep(600);
        JsonNode t = task(cap.header("X-Flywheel-Task"));
        h.clearFaults();
        return t;
    }
}
