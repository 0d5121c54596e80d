package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.SeedExamples;
import dev.spotapi.support.TestService.Reply;
import dev.spotapi.support.TestService;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Shared helpers of the black-box HTTP tests: the shared service (simulator + spot-api on loopback),
 * a simulator reset before every test, request bodies from the contract, and readers of the
 * simulator's request log and stored objects.
 */
@ResourceLock(TestService.SHARED)
abstract class ApiTestSupport {
    static final String MAIN_ID = TestService.MAIN_ID;
    static final String GROUP_ID_PATTERN = "sig-[0-9a-f]{8}";
    static final String INSTANCE_ID_PATTERN = "smi-[0-9a-f]{8}";

    final TestService svc = TestService.shared();

    @BeforeEach
    void resetSimulator() {
        svc.resetSimulator();
    }

    /** Leave no fault, frozen clock or resource behind for whichever test class runs next. */
    @AfterEach
    void cleanUpSimulator() {
        svc.resetSimulator();
    }

    // ---- calls ------------------------------------------------------------------------------

    Reply call(String method, String path, Object body) {
        return svc.call(method, path, body);
    }

    Reply get(String path) {
        return svc.call("GET", path, null);
    }

    /** A call without any X-Auth-Token header. */
    Reply anonymous(String method, String path) {
        return svc.call(method, path, null, Map.of());
    }

    Reply withToken(String method, String path, String token) {
        return svc.call(method, path, null, Map.of("X-Auth-Token", token));
    }

    // ---- bodies from the contract (seed-api.md) -----------------------------------------------

    /**
     * {@code body}'s {@code compute.launchSpecification.tags} replaced by {@code count} tags of the caller's
     * ({@code t0=v}, {@code t1=v}, ...); answers that array, for more.
     */
    static com.fasterxml.jackson.databind.node.ArrayNode callerTags(ObjectNode body, int count) {
        com.fasterxml.jackson.databind.node.ArrayNode tags =
                (com.fasterxml.jackson.databind.node.ArrayNode) body.with("compute").with("launchSpecification").withArray("tags");
        tags.removeAll();
        for (int i = 0; i < count; i++) {
            tags.addObject().put("tagKey", "t" + i).put("tagValue", "v");
        }
        return tags;
    }

    static ObjectNode groupBody() {
        return TestService.json(SeedExamples.GROUP);
    }

    static ObjectNode instanceBody() {
        return TestService.json("""
                {"region": "us-east-1", "name": "mi-test", "description": "My new Spot Instance",
                "strategy": {"revertToSpot": {"performAt": "always"}}, "persistence":
                {"persistPrivateIp": true, "persistBlockDevices": true, "persistRootDevice": true,
                "blockDevicesMode": "onLaunch"}, "healthCheck": {"type": "EC2", "autoHealing": true, "gracePeriod":
                120, "unhealthyDuration": 120}, "compute": {"product": "Linux/UNIX", "subnetIds":
                ["subnet-0123456789abcdef0"], "vpcId": "vpc-0123456789abcdef0", "launchSpecification":
                {"instanceTypes": {"preferredType": "t3a.micro", "types": ["t3a.micro", "t3.micro", "t2.micro"]},
                "securityGroupIds": ["sg-0123456789abcdef0"], "imageId": "ami-02354e95b39ca8dec", "keyPair": null,
                "tags": [{"tagKey": "CreatedBy", "tagValue": "me"}], "networkInterfaces": [{"associateIpv6Address":
                false, "deviceIndex": 0}], "creditSpecification": {"cpuCredits": "standard"}, "shutdownScript":
                null, "userData": null}, "privateIp": null}, "integrations": {}, "scheduling": {}}""");
    }

    static ObjectNode instanceBodyWithoutVpc() {
        ObjectNode body = instanceBody();
        ((ObjectNode) body.get("compute")).remove("vpcId");
        return body;
    }

    // ---- creating resources through spot-api ----------------------------------------------------

    String createGroup() {
        return createGroup(groupBody());
    }

    String createGroup(ObjectNode body) {
        return createGroupIn("main", body);
    }

    /**
     * A group in {@code account}. Tests whose Spot 429 would hold a route (issue 14: spot-api holds a
     * route for Spot's Retry-After) use account {@code throttled}, so the hold never reaches {@code main}.
     */
    String createGroupIn(String account, ObjectNode body) {
        Reply r = call("POST", "/" + account + "/elastigroups", body);
        assertThat(r.status()).as("create elastigroup: %s", r.body()).isEqualTo(200);
        String id = r.json().path("id").asText();
        assertThat(id).matches(GROUP_ID_PATTERN);
        return id;
    }

    String createInstance() {
        return createInstance(instanceBody());
    }

    String createInstance(ObjectNode body) {
        return createInstanceIn("main", body);
    }

    /** An instance in {@code account} (see {@link #createGroupIn}). */
    String createInstanceIn(String account, ObjectNode body) {
        Reply r = call("POST", "/" + account + "/instances", body);
        assertThat(r.status()).as("create instance: %s", r.body()).isEqualTo(200);
        assertThat(r.json().isTextual()).as("the reply is a JSON string: %s", r.body()).isTrue();
        String id = r.json().asText();
        assertThat(id).matches(INSTANCE_ID_PATTERN);
        return id;
    }

    // ---- the simulator ----------------------------------------------------------------------------

    /** The Spot API requests the simulator received (oldest first), optionally filtered. */
    List<JsonNode> spotRequests(String method, String pathPrefix) {
        Reply r = svc.sim("GET", "/_sim/requests?limit=1000", null);
        assertThat(r.status()).as("GET /_sim/requests: %s", r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode e : r.json().path("requests")) {
            if ((method == null || method.equals(e.path("method").asText()))
                    && (pathPrefix == null || e.path("path").asText().startsWith(pathPrefix))) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Nothing but the org check's read of the object reached Spot (issue 12: per-resource routes read
     * the object, check its org, then act): a refused request costs no write.
     */
    void assertOnlyOrgChecksReachedSpot() {
        assertThat(allSpotRequests()).allSatisfy(r -> {
            assertThat(r.path("method").asText()).as("only the org check's read").isEqualTo("GET");
            assertThat(r.path("path").asText()).matches("/aws/ec2/(group|managedInstance)/(sig|smi)-[0-9a-f]+");
        });
    }

    List<JsonNode> allSpotRequests() {
        return spotRequests(null, null);
    }

    /** The single request with this method and exact path; fails when there is not exactly one. */
    JsonNode onlySpotRequest(String method, String path) {
        List<JsonNode> matching = spotRequests(method, path).stream()
                .filter(e -> e.path("path").asText().equals(path)).toList();
        assertThat(matching).as("%s %s requests in the simulator's log", method, path).hasSize(1);
        return matching.get(0);
    }

    void clearSpotRequests() {
        assertThat(svc.sim("DELETE", "/_sim/requests", null).status()).isEqualTo(200);
    }

    /** The object the simulator stores for a managed instance of account main. */
    JsonNode storedInstance(String id) {
        Reply r = svc.sim("GET", "/aws/ec2/managedInstance/" + id + "?accountId=" + MAIN_ID, null);
        assertThat(r.status()).as("simulator read of %s: %s", id, r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0);
    }

    /** The object the simulator stores for a group of account main. */
    JsonNode storedGroup(String id) {
        Reply r = svc.sim("GET", "/aws/ec2/group/" + id + "?accountId=" + MAIN_ID, null);
        assertThat(r.status()).as("simulator read of %s: %s", id, r.body()).isEqualTo(200);
        return r.json().path("response").path("items").path(0);
    }

    /** Freezes the simulator's clock (it then moves only when advanced). */
    void freezeSimClock() {
        Reply r = svc.sim("POST", "/_sim/clock/set", "{\"frozen\": true}");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    /** Advances the simulator's clock, e.g. {@code {"hours": 12}}. */
    void advanceSimClock(String json) {
        Reply r = svc.sim("POST", "/_sim/clock/advance", json);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    /** The simulator's current time (epoch millis). */
    long simNow() {
        Reply r = svc.sim("GET", "/_sim/clock", null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return java.time.Instant.parse(r.json().path("now").asText()).toEpochMilli();
    }

    void addFault(String json) {
        Reply r = svc.sim("POST", "/_sim/faults", json);
        assertThat(r.status()).as("adding fault %s: %s", json, r.body()).isEqualTo(200);
    }

    // ---- assertions -------------------------------------------------------------------------------

    /** The reply is spot-api's JSON error body with this status; returns its message. */
    static String assertError(Reply r, int status) {
        assertThat(r.status()).as("status of %s", r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).as("content type").startsWith("application/json");
        JsonNode body = r.json();
        assertThat(body.isObject()).as("error body is an object: %s", r.body()).isTrue();
        assertThat(body.path("status").isInt()).as("status field in %s", r.body()).isTrue();
        assertThat(body.path("status").asInt()).isEqualTo(status);
        assertThat(body.path("message").isTextual()).as("message field in %s", r.body()).isTrue();
        assertThat(body.path("message").asText()).isNotBlank();
        assertThat(body.path("requestId").asText()).as("requestId in %s", r.body()).isNotBlank();
        assertThat(r.header("X-Request-Id")).as("X-Request-Id header").isEqualTo(body.path("requestId").asText());
        return body.path("message").asText();
    }
}
