package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.spotapi.SpotApi;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 proxy items 1-4 against replies the simulator does not produce: a loopback stand-in for
 * Spot that answers fixed bodies as real Spot writes them (contract §9.1, §9.7, §9.8) and records the
 * exact bytes it receives. spot-api runs with org isolation on ({@code enforce}) and off.
 */
class SpotFidelityTest {
    static final String OURS = "smi-0000000a";
    static final String UNKNOWN = "smi-0000000b";
    static final String FLAKY_STATUS = "smi-0000000c";
    static final String ITEM = "{\"id\":\"%s\",\"name\":\"n\",\"createdAt\":\"2026-01-01T00:00:00.000Z\","
            + "\"strategy\":{\"spotPercentage\":0.00005,\"drainingTimeout\":120},"
            + "\"compute\":{\"launchSpecification\":{\"tags\":[{\"tagKey\":\"spinup:org\",\"tagValue\":\"testorg\"}]}}}";
    static final String COSTS = "{\"costs\":{\"actual\":0.0002,\"potential\":0.0052},\"running\":{\"unit\":\"hours\","
            + "\"value\":1.50},\"savings\":{\"unit\":\"percentage\",\"value\":96.15384615384615}}";

    record Received(String method, String path, String body) {
    }

    static HttpServer spot;
    static final List<Received> RECEIVED = new CopyOnWriteArrayList<>();
    static SpotApi enforce;
    static SpotApi off;

    @BeforeAll
    static void start() throws IOException {
        spot = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        spot.createContext("/", SpotFidelityTest::answer);
        spot.start();
        String base = "http://127.0.0.1:" + spot.getAddress().getPort();
        ServiceConfig config = TestService.config(base, TestService.fastSettings());
        enforce = SpotApi.start(config);
        off = SpotApi.start(config.withOrgIsolation("off"));
    }

    @AfterAll
    static void stop() {
        enforce.close();
        off.close();
        spot.stop(0);
    }

    @BeforeEach
    void clear() {
        RECEIVED.clear();
    }

    private static void answer(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getPath();
        RECEIVED.add(new Received(method, path, body));
        String mi = "/aws/ec2/managedInstance/";
        int status = 200;
        String reply;
        if (method.equals("POST") && path.equals("/aws/ec2/group")) {
            status = 400;
            reply = "{\"response\":{\"error\":\"Group name is too long\",\"error_id\":\"ERR-7a1b\"}}";
        } else if (path.equals(mi + UNKNOWN + "/costs")) {
            reply = items("spotinst:aws:ec2:managedInstance:costs", "{\"costs\":{\"actual\":0,\"potential\":0},\"running\":{\"unit\":\"hours\",\"value\":0}}");
        } else if (path.equals(mi + UNKNOWN)) {
            status = 400;
            reply = "{\"response\":{\"status\":{\"code\":400},\"errors\":[{\"code\":\"MANAGED_INSTANCE_DOESNT_EXIST\","
                    + "\"message\":\"Managed instance '" + UNKNOWN + "' does not exist\"}]}}";
        } else if (path.endsWith("/costs")) {
            reply = items("spotinst:aws:ec2:managedInstance:costs", COSTS);
        } else if (path.equals(mi + FLAKY_STATUS + "/status")) {
            status = 503;
            reply = "<html><body>Service Unavailable</body></html>";
        } else if (path.endsWith("/status")) {
            reply = items("spotinst:aws:ec2:managedInstanceStatus", "{\"id\":\"x\",\"status\":\"ACTIVE\"}");
        } else if (path.startsWith(mi)) {
            reply = items("spotinst:aws:ec2:managedInstance", ITEM.formatted(path.substring(mi.length())));
        } else {
            status = 404;
            reply = "{}";
        }
        byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", status == 503 ? "text/html" : "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
        ex.close();
    }

    private static String items(String kind, String item) {
        return "{\"request\":{\"id\":\"r-1\"},\"response\":{\"status\":{\"code\":200},\"kind\":\"" + kind + "\",\"items\":[" + item + "]}}";
    }

    // ---- item 3: numbers ----------------------------------------------------------------------------

    @Test
    void numbersFromSpotLeaveExactlyAsTheyCame() {
        for (SpotApi api : List.of(enforce, off)) {
            Reply costs = call(api, "GET", "/main/instances/" + OURS + "/costs", null);
            Reply update = call(api, "PUT", "/main/instances/" + OURS, "{\"description\":\"d\"}");

            assertThat(costs.status()).as(costs.body()).isEqualTo(200);
            assertThat(costs.body()).isEqualTo(COSTS);
            assertThat(update.body()).contains("\"spotPercentage\":0.00005").doesNotContain("E-");
        }
    }

    @Test
    void numbersFromTheCallerReachSpotExactlyAsTheyCame() {
        // Spot's own number fields (issue 20: no other field is passed on); whole numbers in integer fields
        String sent = "{\"compute\":{\"launchSpecification\":{\"blockDeviceMappings\":[{\"ebs\":"
                + "{\"throughput\":0.00005,\"volumeSize\":100.0,\"iops\":1e3}}]}},\"healthCheck\":{\"gracePeriod\":2.50e2}}";

        Reply r = call(enforce, "PUT", "/main/instances/" + OURS, sent);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        Received put = RECEIVED.stream().filter(q -> q.method().equals("PUT")).findFirst().orElseThrow();
        assertThat(put.body()).isEqualTo("{\"managedInstance\":" + sent + "}");
    }

    // ---- item 4: Spot's error string ----------------------------------------------------------------

    @Test
    void anErrorWithOnlyAnErrorStringSurfacesIt() {
        Reply r = call(enforce, "POST", "/main/elastigroups", "{\"name\":\"x\"}");

        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().path("message").asText())
                .startsWith("failed to create elastigroup").endsWith(": Group name is too long (error_id ERR-7a1b)");
    }

    // ---- item 1: costs and status of an unknown id --------------------------------------------------

    @Test
    void costsAndStatusOfAnUnknownIdAre404AlthoughSpotAnswersAZeroItem() {
        for (SpotApi api : List.of(enforce, off)) {
            for (String route : List.of("/costs", "/status")) {
                RECEIVED.clear();
                String query = route.equals("/costs") ? "?start=2024-01-01&end=2024-02-01" : "";
                Reply r = call(api, "GET", "/main/instances/" + UNKNOWN + route + query, null);

                assertThat(r.status()).as(route + ": " + r.body()).isEqualTo(404);
                assertThat(RECEIVED).as("the call and the existence check, both sent")
                        .extracting(Received::path)
                        .containsExactlyInAnyOrder("/aws/ec2/managedInstance/" + UNKNOWN,
                                "/aws/ec2/managedInstance/" + UNKNOWN + route);
            }
            // lifetime costs need the instance's createdAt for Spot's required fromDate (issue 24): the read comes first
            RECEIVED.clear();
            Reply lifetime = call(api, "GET", "/main/instances/" + UNKNOWN + "/costs", null);
            assertThat(lifetime.status()).as(lifetime.body()).isEqualTo(404);
            assertThat(RECEIVED).extracting(Received::path).containsExactly("/aws/ec2/managedInstance/" + UNKNOWN);
        }
    }

    // ---- item 2: the summary's optional status lookup -----------------------------------------------

    @Test
    void theSummaryAnswersWithAnEmptyStateWhenOnlyTheStatusLookupFails() {
        for (SpotApi api : List.of(enforce, off)) {
            double before = OrgIsolationTest.metric(api, "spotapi_optional_lookup_failures_total", "account=\"main\"");

            Reply r = call(api, "GET", "/main/instances/" + FLAKY_STATUS, null);

            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().path("id").asText()).isEqualTo(FLAKY_STATUS);
            assertThat(r.json().path("state").asText()).isEmpty();
            assertThat(OrgIsolationTest.metric(api, "spotapi_optional_lookup_failures_total", "account=\"main\""))
                    .isEqualTo(before + 1);
            Reply ok = call(api, "GET", "/main/instances/" + OURS, null);
            assertThat(ok.json().path("state").asText()).isEqualTo("ACTIVE");
            assertThat(call(api, "GET", "/main/instances/" + UNKNOWN, null).status()).as("gone stays 404").isEqualTo(404);
        }
    }

    static Reply call(SpotApi api, String method, String path, String body) {
        return OrgIsolationTest.call(api, method, path, body);
    }
}
