package dev.spotapi.hardening;

import static dev.spotapi.hardening.Harness.GROUPS;
import static dev.spotapi.hardening.Harness.INSTANCES;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.spotapi.SpotApi;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Issue 27: instance and elastigroup lists read Spot's reply as it arrives, one item at a time. Black-box,
 * against the simulator (a list of 3,000, Spot errors and retries) and against a bare HTTP server playing
 * Spot where the simulator cannot (a reply cut or broken in the middle, sent in pieces): every answer is
 * the one the whole-reply read gave, byte for byte.
 */
class StreamedListTest extends HarnessPerClass {
    private static final String OTHER_ORG = "someone-else";

    /** Imports {@code objects} into the simulator's main account (one admin call: far faster than creates). */
    private void importObjects(String key, List<ObjectNode> objects) {
        ObjectNode state = TestService.JSON.createObjectNode();
        ArrayNode list = state.putObject("accounts").putObject(Harness.MAIN_ID).putArray(key);
        objects.forEach(list::add);
        Reply r = h.svc.sim("POST", "/_sim/state", state);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
    }

    private static ObjectNode tagged(ObjectNode body, String org, String space, boolean bigFirst) {
        ArrayNode tags = ((ObjectNode) body.path("compute").path("launchSpecification")).putArray("tags");
        if (bigFirst) {
            tags.addObject().put("tagKey", "notes").put("tagValue", "n".repeat(200));
        }
        tags.addObject().put("tagKey", "CreatedBy").put("tagValue", "streamed-list-test");
        if (space != null) {
            tags.addObject().put("tagKey", "spinup:spaceid").put("tagValue", space);
        }
        tags.addObject().put("tagKey", "spinup:org").put("tagValue", org);
        return body;
    }

    /** What spot-api answered before (and must answer now): the simulator's own list, filtered by org and space here. */
    private List<String> expectedIds(String path, String space) {
        Reply all = h.svc.sim("GET", path + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(all.status()).as(all.body()).isEqualTo(200);
        List<String> ids = new ArrayList<>();
        for (JsonNode listed : all.json().path("response").path("items")) {
            // a managed instance's list item may come config-wrapped (contract §3.2)
            JsonNode item = listed.has("config") && !listed.has("compute") ? listed.get("config") : listed;
            String org = null;
            String itemSpace = null;
            for (JsonNode tag : item.path("compute").path("launchSpecification").path("tags")) {
                if (org == null && "spinup:org".equals(tag.path("tagKey").asText())) {
                    org = tag.path("tagValue").asText();
                }
                if (itemSpace == null && "spinup:spaceid".equals(tag.path("tagKey").asText())) {
                    itemSpace = tag.path("tagValue").asText();
                }
            }
            if (TestService.ORG.equals(org) && (space == null || space.equals(itemSpace))) {
                ids.add(listed.path("id").asText());
            }
        }
        return ids;
    }

    private static String instanceListBody(List<String> ids) {
        StringBuilder out = new StringBuilder("[");
        for (String id : ids) {
            out.append(out.length() > 1 ? "," : "").append("{\"id\":\"").append(id).append("\"}");
        }
        return out.append(']').toString();
    }

    private static String groupListBody(List<String> ids) {
        StringBuilder out = new StringBuilder("[");
        for (String id : ids) {
            out.append(out.length() > 1 ? "," : "").append('"').append(id).append('"');
        }
        return out.append(']').toString();
    }

    @Test
    void aListOf3000IsAnsweredAsTheSimulatorListsItFilteredByOrg() {
        List<ObjectNode> instances = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            String org = i % 3 == 2 ? OTHER_ORG : TestService.ORG;
            instances.add(tagged(Harness.instanceBody("mi-" + i), org, i % 5 == 0 ? null : "space-" + i % 5, i % 7 == 0));
        }
        importObjects("managedInstances", instances);
        List<ObjectNode> groups = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            ObjectNode group = Harness.groupBody("grp-" + i);
            group.putObject("capacity").put("minimum", 0).put("maximum", 0).put("target", 0).put("unit", "instance");
            groups.add(tagged(group, i % 4 == 3 ? OTHER_ORG : TestService.ORG, "space-" + i % 2, i % 5 == 0));
        }
        importObjects("groups", groups);

        List<String> all = expectedIds(INSTANCES, null);
        assertThat(all).hasSize(2000);
        Reply list = h.get("/main/instances");
        assertThat(list.status()).as(list.body()).isEqualTo(200);
        assertThat(list.headers().get("content-type").get(0)).startsWith("application/json");
        assertThat(list.body()).isEqualTo(instanceListBody(all));
        for (String space : new String[] {"space-1", "space-4", "none-such"}) {
            Reply of = h.get("/main/instances?space=" + space);
            assertThat(of.status()).isEqualTo(200);
            assertThat(of.body()).as(space).isEqualTo(instanceListBody(expectedIds(INSTANCES, space)));
        }

        Reply groupList = h.get("/main/elastigroups");
        assertThat(groupList.status()).as(groupList.body()).isEqualTo(200);
        assertThat(groupList.body()).isEqualTo(groupListBody(expectedIds(GROUPS, null)));
        assertThat(expectedIds(GROUPS, null)).hasSize(225);
        Reply groupSpace = h.get("/main/elastigroups?space=space-1");
        assertThat(groupSpace.body()).isEqualTo(groupListBody(expectedIds(GROUPS, "space-1")));
    }

    @Test
    void anEmptyListIsAnEmptyArray() {
        assertThat(h.get("/main/instances").body()).isEqualTo("[]");
        assertThat(h.get("/main/elastigroups").body()).isEqualTo("[]");
    }

    @Test
    void aSpot5xxBeforeTheListIsRetried() {
        List<ObjectNode> instances = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            instances.add(tagged(Harness.instanceBody("mi-" + i), TestService.ORG, "space-1", false));
        }
        importObjects("managedInstances", instances);
        String expected = instanceListBody(expectedIds(INSTANCES, null));
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"" + INSTANCES + "\",\"action\":\"status\",\"status\":503,\"count\":1}");

        Reply r = h.get("/main/instances");

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo(expected);
        assertThat(h.countSpotRequests("GET", INSTANCES)).as("attempts seen by Spot").isEqualTo(2);
    }

    @Test
    void aListReplyThatIsNotJsonIsABadReplyNotRetried() {
        h.createInstance();
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"" + INSTANCES + "\",\"action\":\"garbage\",\"count\":1}");

        Reply r = h.get("/main/instances");

        assertThat(Harness.assertJsonError(r, 502)).isEqualTo(
                "failed to list managed instances in account 'main': bad reply from Spot: Spot sent a reply that is not a Spot envelope");
        assertThat(h.countSpotRequests("GET", INSTANCES)).isEqualTo(1);
    }

    @Test
    void aSpot4xxEnvelopeOnAListIsAnsweredAsBefore() {
        h.fault("{\"method\":\"GET\",\"path\":\"" + GROUPS + "\",\"action\":\"status\",\"status\":400,"
                + "\"errorCode\":\"SOME_CODE\",\"message\":\"no list today\",\"count\":1}");

        Reply r = h.get("/main/elastigroups");

        assertThat(r.status()).as(r.body()).isEqualTo(400);
        assertThat(r.body()).contains("no list today");
    }

    @Test
    void concurrentIdenticalListsShareOneCallAndOtherSpacesGetTheirOwnAnswer() throws Exception {
        List<ObjectNode> instances = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            instances.add(tagged(Harness.instanceBody("mi-" + i), i % 4 == 3 ? OTHER_ORG : TestService.ORG,
                    "space-" + i % 3, false));
        }
        importObjects("managedInstances", instances);
        Map<String, String> expected = new java.util.HashMap<>();
        for (String space : new String[] {"space-0", "space-1", "space-2"}) {
            expected.put(space, instanceListBody(expectedIds(INSTANCES, space)));
        }
        h.clearRequestLog();
        h.fault("{\"method\":\"GET\",\"path\":\"" + INSTANCES + "\",\"action\":\"delay\",\"delayMs\":1500}");

        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(9);
        try {
            List<java.util.concurrent.Future<Reply>> calls = new ArrayList<>();
            for (int i = 0; i < 9; i++) {
                String space = "space-" + i % 3;
                calls.add(pool.submit(() -> h.get("/main/instances?space=" + space)));
            }
            for (int i = 0; i < 9; i++) {
                Reply r = calls.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.status()).as(r.body()).isEqualTo(200);
                assertThat(r.body()).as("space-" + i % 3).isEqualTo(expected.get("space-" + i % 3));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(h.countSpotRequests("GET", INSTANCES)).as("one list call per space (ideally)").isBetween(3, 6);
    }

    // ---- a bare server playing Spot: replies the simulator cannot send ----------------------------

    /** Serves the list path with the replies {@code answers} gives for the 1st, 2nd, ... request; each in 4 KiB pieces. */
    private static HttpServer fakeSpot(Function<Integer, Object[]> answers, AtomicInteger requests) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            Object[] answer = answers.apply(requests.incrementAndGet());
            byte[] body = ((String) answer[1]).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders((Integer) answer[0], body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                for (int at = 0; at < body.length; at += 4096) {
                    out.write(body, at, Math.min(4096, body.length - at));
                    out.flush();
                }
            }
        });
        server.start();
        return server;
    }

    private static String spotList(List<String> items) {
        return "{\"request\":{\"id\":\"fake-request\"},\"response\":{\"status\":{\"code\":200,\"message\":\"OK\"},"
                + "\"kind\":\"spotinst:aws:ec2:managedInstance\",\"items\":[" + String.join(",", items) + "],\"count\":"
                + items.size() + "}}";
    }

    private static String spotItem(int i, String org) {
        return "{\"id\":\"smi-" + i + "\",\"name\":\"" + "x".repeat(300) + "\",\"compute\":{\"launchSpecification\":"
                + "{\"userData\":\"" + "u".repeat(500) + "\",\"tags\":[{\"tagKey\":\"a\",\"tagValue\":\"b\"},"
                + "{\"tagKey\":\"spinup:org\",\"tagValue\":\"" + org + "\"}]}}}";
    }

    private static Reply listFrom(int port, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/v1/spot" + path)).header("X-Auth-Token", TestService.TOKEN)
                .build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers().map());
    }

    private static SpotApi serviceFor(HttpServer spot) {
        return SpotApi.start(TestService.config("http://127.0.0.1:" + spot.getAddress().getPort(), Harness.quick()));
    }

    @Test
    void aReplyBrokenInTheMiddleIsTheBadReplyItWasAndIsNotRetried() throws Exception {
        List<String> items = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            items.add(spotItem(i, TestService.ORG));
        }
        String whole = spotList(items);
        String broken = whole.substring(0, whole.indexOf("\"smi-2500\"") + 6) + "\"}";
        AtomicInteger requests = new AtomicInteger();
        HttpServer spot = fakeSpot(n -> new Object[] {200, broken}, requests);
        try (SpotApi api = serviceFor(spot)) {
            Reply r = listFrom(api.port(), "/main/instances");

            assertThat(Harness.assertJsonError(r, 502)).isEqualTo(
                    "failed to list managed instances in account 'main': bad reply from Spot: Spot sent a reply that is not a Spot envelope");
            assertThat(requests.get()).isEqualTo(1);
        } finally {
            spot.stop(0);
        }
    }

    @Test
    void a502ThenAListSentInPiecesIsRetriedAndAnsweredWhole() throws Exception {
        List<String> items = new ArrayList<>();
        List<String> ours = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            String org = i % 2 == 0 ? TestService.ORG : OTHER_ORG;
            items.add(spotItem(i, org));
            if (org.equals(TestService.ORG)) {
                ours.add("smi-" + i);
            }
        }
        ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>(List.of(502, 200));
        AtomicInteger requests = new AtomicInteger();
        HttpServer spot = fakeSpot(n -> {
            int status = statuses.isEmpty() ? 200 : statuses.poll();
            return new Object[] {status, status == 200 ? spotList(items)
                    : "{\"request\":{\"id\":\"r\"},\"response\":{\"status\":{\"code\":502,\"message\":\"Bad Gateway\"}}}"};
        }, requests);
        try (SpotApi api = serviceFor(spot)) {
            Reply r = listFrom(api.port(), "/main/instances");

            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.body()).isEqualTo(instanceListBody(ours));
            assertThat(requests.get()).isEqualTo(2);
        } finally {
            spot.stop(0);
        }
    }
}
