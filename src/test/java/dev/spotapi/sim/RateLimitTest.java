package dev.spotapi.sim;

import dev.spotapi.sim.faults.RateLimiter;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Item 9 of issue 11: Spot's rate limit (contract §9.2, Spot's "API Administration" page) — per
 * account, route and method over a 60 s window, {@code X-RateLimit-Remaining} on replies, 429 when
 * blocked, and a client that keeps sending while blocked keeps the block alive.
 */
class RateLimitTest extends SimTestBase {

    @BeforeEach
    void limitOfThree() {
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-01T00:00:00Z\", \"frozen\": true}");
        SimClient.Reply set = client.admin("PUT", "/_sim/rate-limit", "{\"enabled\": true, \"limit\": 3}");
        assertThat(set.status()).as(set.toString()).isEqualTo(200);
        assertThat(set.json().path("windowSeconds").asInt()).isEqualTo(60);
    }

    private static SimClient.Reply list() {
        return client.get(GROUPS);
    }

    private static void at(int second) {
        client.admin("POST", "/_sim/clock/set", "{\"now\": \"2030-01-01T00:%02d:%02dZ\"}".formatted(second / 60, second % 60));
    }

    private static void assertAllowed(SimClient.Reply reply, int remaining) {
        assertThat(reply.status()).as(reply.toString()).isEqualTo(200);
        assertThat(reply.header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(remaining));
    }

    private static void assertBlocked(SimClient.Reply reply) {
        assertSpotError(reply, 429, "RATE_LIMIT");
        assertThat(reply.header("X-RateLimit-Remaining")).isEqualTo("0");
    }

    /** Spot's own example: limit 3; requests at 0:05, 0:10, 0:15 pass, 0:20 is blocked, 1:07 passes. */
    @Test
    void spotsDocumentedExample_9_2() {
        at(5);
        assertAllowed(list(), 2);
        at(10);
        assertAllowed(list(), 1);
        at(15);
        assertAllowed(list(), 0);
        at(20);
        assertBlocked(list());
        at(67);
        assertAllowed(list(), 0);
    }

    /** Sending again while blocked restarts the 60 s from that request. */
    @Test
    void keepingOnSendingKeepsTheBlockAlive_9_2() {
        at(5);
        list();
        list();
        list();
        at(20);
        assertBlocked(list());
        at(30);
        assertBlocked(list());          // blocked until 1:30 now
        at(67);
        assertBlocked(list());          // until 2:07
        at(126);
        assertBlocked(list());          // until 3:06
        at(186);
        assertAllowed(list(), 2);
    }

    /** The count is per account, route template and method. */
    @Test
    void countedPerAccountRouteAndMethod_9_2() {
        String id = createGroup(client, "g", 0, 0, 1).path("id").asText();
        list();
        list();
        list();
        assertBlocked(list());
        assertAllowed(other.get(GROUPS), 2);
        assertAllowed(client.get(GROUPS + "/" + id), 2);
        assertAllowed(client.get(GROUPS + "/" + id + "/status"), 2);
        // another id is the same route
        assertAllowed(client.get(GROUPS + "/" + id), 1);
        SimClient.Reply unknown = client.get(GROUPS + "/sig-00000000");
        assertSpotError(unknown, 400, "GROUP_DOESNT_EXIST");
        assertThat(unknown.header("X-RateLimit-Remaining")).isEqualTo("0");
        assertBlocked(client.get(GROUPS + "/" + id));
        // the POST on /aws/ec2/group was counted once (by createGroup) before
        assertThat(client.post(GROUPS, groupBody("h", 0, 0, 1)).header("X-RateLimit-Remaining")).isEqualTo("1");
    }

    @Test
    void perRouteLimitsAndSwitchingOff() {
        SimClient.Reply set = client.admin("PUT", "/_sim/rate-limit", "{\"routes\": {\"GET /aws/ec2/group\": 1}}");
        assertThat(set.json().path("routes").path("GET /aws/ec2/group").asInt()).isEqualTo(1);
        assertAllowed(list(), 0);
        assertBlocked(list());
        assertAllowed(client.get(INSTANCES), 2);
        client.admin("PUT", "/_sim/rate-limit", "{\"enabled\": false}");
        SimClient.Reply off = list();
        assertThat(off.status()).isEqualTo(200);
        // issue 24: Spot sends the header on every reply; switched off, the route's whole limit remains
        assertThat(off.header("X-RateLimit-Remaining")).isEqualTo("1");
        assertThat(list().header("X-RateLimit-Remaining")).isEqualTo("1");
        assertThat(client.get(INSTANCES).header("X-RateLimit-Remaining")).isEqualTo("3");
        assertThat(client.admin("PUT", "/_sim/rate-limit", "{\"limit\": 0}").status()).isEqualTo(400);
        assertThat(client.admin("PUT", "/_sim/rate-limit", "{\"routes\": {\"/aws/ec2/group\": 2}}").status()).isEqualTo(400);
        assertThat(client.admin("PUT", "/_sim/rate-limit", "{\"enabled\": \"yes\"}").status()).isEqualTo(400);
    }

    @Test
    void resetRestoresTheStartSettingsAndTheBuilderCanSwitchItOn() {
        client.admin("POST", "/_sim/reset", null);
        assertThat(client.admin("GET", "/_sim/rate-limit", null).json().path("enabled").asBoolean()).isFalse();
        assertThat(list().header("X-RateLimit-Remaining")).isEqualTo(Integer.toString(RateLimiter.DEFAULT_LIMIT));
        try (SpotSimulator limited = SpotSimulator.builder().account(ACCOUNT, TOKEN).rateLimit(2).start()) {
            SimClient c = new SimClient(limited.baseUrl(), ACCOUNT, TOKEN);
            assertThat(c.get(GROUPS).header("X-RateLimit-Remaining")).isEqualTo("1");
            assertThat(c.get(GROUPS).header("X-RateLimit-Remaining")).isEqualTo("0");
            assertThat(c.get(GROUPS).status()).isEqualTo(429);
        }
    }
}
