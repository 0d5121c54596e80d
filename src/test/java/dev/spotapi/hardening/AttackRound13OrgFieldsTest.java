package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * Attack round 13, org isolation through caller-chosen fields of the newer routes: ids in action bodies (detach),
 * path segments below this org's group (rolls), spellings of another org's ids (bulk power), tag keys that look
 * like the server's, answers that could tell another org's resource from a missing one (tags, imports). Another
 * org's objects ({@code spinup:org=otherorg}) are created in Spot directly, in the same Spot account.
 */
class AttackRound13OrgFieldsTest extends HarnessPerClass {

    private static final String[][] ROUTES = {
                {"GET", "/main/instances/ID", null}, {"GET", "/main/instances/ID/status", null},
                {"GET", "/main/instances/ID/costs", null}, {"GET", "/main/instances/ID/tags", null},
                {"GET", "/main/ID/tags", null}, {"PUT", "/main/instances/ID/tags", "{\"tags\":{\"a\":\"b\"}}"},
                {"PUT", "/main/ID/tags", "{\"tags\":{\"a\":\"b\"}}"},
                {"PUT", "/main/instances/ID/power", "{\"state\":\"stop\"}"},
                {"PUT", "/main/instances/ID", "{\"name\":\"x\"}"}, {"DELETE", "/main/instances/ID", null},
                {"DELETE", "/main/instances/ID/volumes/vol-0123456789abcdef0", null},
                {"GET", "/main/elastigroups/GID", null}, {"GET", "/main/elastigroups/GID/tags", null},
                {"GET", "/main/GID/tags", null}, {"PUT", "/main/GID/tags", "{\"tags\":{\"a\":\"b\"}}"},
                {"PUT", "/main/elastigroups/GID/tags", "{\"tags\":{\"a\":\"b\"}}"},
                {"GET", "/main/elastigroups/GID/rolls", null}, {"GET", "/main/elastigroups/GID/stateful-instances", null},
                {"PUT", "/main/elastigroups/GID/capacity", "{\"target\":1}"},
                {"PUT", "/main/elastigroups/GID/detach", "{\"instancesToDetach\":[\"i-0123456789abcdef0\"],"
                        + "\"shouldDecrementTargetCapacity\":true,\"shouldTerminateInstances\":false}"},
                {"DELETE", "/main/elastigroups/GID", null}};

    private static final String THEIR_ORG = "otherorg";

    private String theirGroup() {
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("group", Harness.tagged(Harness.groupBody(Harness.uniqueName("theirs")), "spinup:org", THEIR_ORG));
        Reply created = h.svc.sim("POST", Harness.GROUPS + "?accountId=" + Harness.MAIN_ID, wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("response").path("items").path(0).path("id").asText();
    }

    private String theirInstance() {
        ObjectNode body = Harness.tagged(Harness.instanceBody(Harness.uniqueName("theirs")), "spinup:org", THEIR_ORG);
        ObjectNode wrapped = TestService.JSON.createObjectNode();
        wrapped.set("managedInstance", body);
        Reply created = h.svc.sim("POST", Harness.INSTANCES + "?accountId=" + Harness.MAIN_ID, wrapped);
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        return created.json().path("response").path("items").path(0).path("id").asText();
    }

    /** The EC2 instance ids Spot runs for a group (Spot's group status, read in Spot directly). */
    private List<String> ec2IdsOf(String group) {
        Reply r = h.svc.sim("GET", Harness.GROUPS + "/" + group + "/status?accountId=" + Harness.MAIN_ID, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        r.json().path("response").path("items").forEach(i -> out.add(i.path("instanceId").asText()));
        return out;
    }

    /** Every Spot request that is not a read and names {@code id} (any case) in its path or body. */
    private List<JsonNode> writesNaming(String id) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode r : h.spotRequests()) {
            if (!"GET".equals(r.path("method").asText())
                    && r.toString().toLowerCase(Locale.ROOT).contains(id.toLowerCase(Locale.ROOT))) {
                out.add(r);
            }
        }
        return out;
    }

    /**
     * Detach through this org's group with another org's EC2 instances in {@code instancesToDetach} (their ids are
     * what any EC2 listing, a log line or a scale answer shows), terminating them. As for the stateful instance ids
     * of a group (round 3), the ids must be checked against this group's own instances before anything is written:
     * a 4xx, and no Spot write ever naming the other org's instance (Spot alone must not be what protects it).
     */
    @Test
    void detachThroughOurGroupNeverSendsAnotherOrgsInstancesToSpot() {
        String ours = h.createGroup();
        String theirs = theirGroup();
        List<String> theirEc2 = ec2IdsOf(theirs);
        assertThat(theirEc2).isNotEmpty();
        h.clearRequestLog();
        Reply r = h.call("PUT", "/main/elastigroups/" + ours + "/detach", "{\"instancesToDetach\":[\"" + theirEc2.get(0)
                + "\"],\"shouldDecrementTargetCapacity\":true,\"shouldTerminateInstances\":true}");
        assertThat(r.status()).as(r.body()).isBetween(400, 499);
        assertThat(ec2IdsOf(theirs)).as("their instances").containsAll(theirEc2);
        assertThat(writesNaming(theirEc2.get(0))).as("Spot writes naming their EC2 instance (answer %d %s)", r.status(),
                r.body()).isEmpty();
    }

    /**
     * Another org's roll id under this org's group: {@code PUT .../elastigroups/{ours}/rolls/{their roll}}
     * {@code {"status":"STOPPED"}} and the GET of it. Expected as for any id that is not one of the group's rolls:
     * 404 (a roll not found), the other org's roll left running, and no Spot write naming it.
     */
    @Test
    void anotherOrgsRollUnderOurGroupIsNeitherStoppedNorSentToSpot() {
        String ours = h.createGroup();
        String theirs = theirGroup();
        Reply started = h.svc.sim("PUT", Harness.GROUPS + "/" + theirs + "/roll?accountId=" + Harness.MAIN_ID,
                "{\"batchSizePercentage\":50,\"gracePeriod\":300}");
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        String theirRoll = started.json().path("response").path("items").path(0).path("id").asText();
        assertThat(theirRoll).startsWith("sbgd-");
        h.clearRequestLog();

        Reply get = h.get("/main/elastigroups/" + ours + "/rolls/" + theirRoll);
        Reply stop = h.call("PUT", "/main/elastigroups/" + ours + "/rolls/" + theirRoll, "{\"status\":\"STOPPED\"}");
        Reply theirsRead = h.svc.sim("GET", Harness.GROUPS + "/" + theirs + "/roll/" + theirRoll + "?accountId="
                + Harness.MAIN_ID, null);
        assertThat(theirsRead.json().path("response").path("items").path(0).path("status").asText())
                .as("their roll").isIn("STARTING", "IN_PROGRESS");
        assertThat(get.body()).doesNotContain(theirs);
        assertThat(stop.body()).doesNotContain(theirs);
        assertThat(writesNaming(theirRoll)).as("Spot writes naming their roll (GET %d %s, PUT %d %s)", get.status(),
                get.body(), stop.status(), stop.body()).isEmpty();
        assertThat(get.status()).as("GET: %s", get.body()).isEqualTo(404);
        assertThat(stop.status()).as("PUT: %s", stop.body()).isEqualTo(404);
    }

    /**
     * Bulk power naming another org's instance spelt otherwise: upper case, surrounding whitespace, a trailing
     * newline, a full-width hyphen: each is {@code not_found} (or the body a 400), and no Spot write names it.
     */
    @Test
    void bulkPowerNeverActsOnAnotherOrgsInstanceWhateverItsSpelling() {
        String ours = h.createInstance();
        String theirs = theirInstance();
        h.clearRequestLog();
        List<String> forms = List.of(theirs.toUpperCase(Locale.ROOT), " " + theirs, theirs + " ", theirs + "\\n",
                "SMI-" + theirs.substring(4), theirs.replace("-", "\\uff0d"), theirs.replace("smi", "\\u0073mi"));
        for (String form : forms) {
            Reply r = h.call("PUT", "/main/instances-power",
                    TestService.json("{\"state\":\"stop\",\"instances\":[\"" + form + "\",\"" + ours + "\"]}"));
            if (r.status() == 200) {
                assertThat(r.json().path("instances").path(0).path("result").asText()).as("%s: %s", form, r.body())
                        .isEqualTo("not_found");
            } else {
                assertThat(r.status()).as("%s: %s", form, r.body()).isEqualTo(400);
            }
        }
        assertThat(writesNaming(theirs)).as("writes naming their instance").isEmpty();
    }

    /**
     * The tag route (all three spellings of its path) with keys that are, or look like, the server's:
     * {@code spinup:org} removed ({@code null}), {@code spot-api:correlation} removed, the org tag in other cases or
     * with a space. The object keeps {@code spinup:org} = this org and stays readable; the exact server keys are
     * refused (400).
     */
    @Test
    void theTagRouteCannotRemoveOrHandOverTheOrgTag() {
        String instance = h.createInstance();
        String group = h.createGroup();
        for (String id : List.of(instance, group)) {
            String kind = id.startsWith("smi-") ? "instances" : "elastigroups";
            String base = id.startsWith("smi-") ? Harness.INSTANCES : Harness.GROUPS;
            String org = dev.spotapi.org.Ownership.tag(h.stored(base, id), "spinup:org");
            for (String path : List.of("/main/" + kind + "/" + id + "/tags", "/main/" + id + "/tags")) {
                for (String body : List.of("{\"tags\":{\"spinup:org\":null}}", "{\"tags\":{\"spinup:org\":\"" + THEIR_ORG + "\"}}",
                        "{\"tags\":{\"spot-api:correlation\":null}}", "{\"tags\":{\"spinup:org\":\"\"}}")) {
                    Reply r = h.call("PUT", path, TestService.json(body));
                    assertThat(r.status()).as("PUT %s %s: %s", path, body, r.body()).isEqualTo(400);
                }
            }
            assertThat(dev.spotapi.org.Ownership.tag(h.stored(base, id), "spinup:org")).isEqualTo(org);
            assertThat(h.get("/main/" + kind + "/" + id).status()).isEqualTo(200);
        }
    }

    /**
     * The answers to another org's object and to a missing one must not differ on the tag routes, whatever the body:
     * a body refused for its content (a server tag, a bad value) and a good one, on both path forms. A difference
     * (status or message) tells the caller that the other org's resource exists.
     */
    @Test
    void theTagRoutesAnswerAnotherOrgsObjectAsAMissingOneWhateverTheBody() {
        String theirs = theirInstance();
        String theirGroup = theirGroup();
        String missing = "smi-" + "0".repeat(theirs.length() - 4);
        String missingGroup = "sig-" + "0".repeat(theirGroup.length() - 4);
        List<String> bodies = List.of("{\"tags\":{\"spinup:org\":\"x\"}}", "{\"tags\":{\"a\":\"b\"}}",
                "{\"tags\":{\"spinup:spaceid\":\"s1\"}}", "{\"tags\":{\"a\":5}}", "{\"tags\":[]}", "{}");
        List<String[]> pairs = List.of(new String[] {theirs, missing, "instances"},
                new String[] {theirGroup, missingGroup, "elastigroups"});
        List<String> differences = new ArrayList<>();
        for (String[] p : pairs) {
            for (String body : bodies) {
                for (String prefix : List.of("/main/" + p[2] + "/", "/main/")) {
                    Reply a = Harness.unchecked(h.port(), "PUT", prefix + p[0] + "/tags", body, Harness.withToken());
                    Reply b = Harness.unchecked(h.port(), "PUT", prefix + p[1] + "/tags", body, Harness.withToken());
                    String ma = a.status() + " " + a.json().path("message").asText().replace(p[0], "ID");
                    String mb = b.status() + " " + b.json().path("message").asText().replace(p[1], "ID");
                    if (!ma.equals(mb)) {
                        differences.add("PUT " + prefix + "ID/tags " + body + ": theirs [" + ma + "] missing [" + mb + "]");
                    }
                }
            }
        }
        assertThat(differences).as("answers telling another org's object from a missing one").isEmpty();
    }

    /**
     * An import naming the EC2 instance behind another org's managed instance, with {@code terminateOriginal}: it
     * must not make this org a managed instance of it nor terminate it: a 4xx, nothing of theirs named in the answer,
     * this org's instance list unchanged.
     */
    @Test
    void anImportOfTheEc2InstanceBehindAnotherOrgsManagedInstanceChangesNothingOfTheirs() {
        String theirs = theirInstance();
        Reply st = h.svc.sim("GET", Harness.INSTANCES + "/" + theirs + "/status?accountId=" + Harness.MAIN_ID, null);
        String ec2 = st.json().path("response").path("items").path(0).path("instanceId").asText();
        assertThat(ec2).as(st.body()).startsWith("i-");
        int before = h.get("/main/instances").json().size();
        Reply r = h.call("POST", "/main/imports", TestService.json("{\"originalInstanceId\":\"" + ec2
                + "\",\"region\":\"us-east-1\",\"terminateOriginal\":true}"));
        Reply missing = h.call("POST", "/main/imports", TestService.json("{\"originalInstanceId\":\"i-"
                + "0".repeat(ec2.length() - 2) + "\",\"region\":\"us-east-1\",\"terminateOriginal\":true}"));
        assertThat(r.status()).as("%s | missing: %d %s", r.body(), missing.status(), missing.body()).isBetween(400, 499);
        assertThat(h.get("/main/instances").json().size()).isEqualTo(before);
        assertThat(r.body()).doesNotContain(theirs);
    }

    /**
     * Import naming the EC2 instance of another org's elastigroup (one of the instances the group runs), with
     * {@code terminateOriginal}: never a managed instance of this org made of it.
     */
    @Test
    void anImportOfAnotherOrgsGroupInstanceIsRefused() {
        String theirs = theirGroup();
        String ec2 = ec2IdsOf(theirs).get(0);
        int before = h.get("/main/instances").json().size();
        Reply r = h.call("POST", "/main/imports", TestService.json("{\"originalInstanceId\":\"" + ec2
                + "\",\"region\":\"us-east-1\",\"terminateOriginal\":true}"));
        assertThat(r.status()).as(r.body()).isBetween(400, 499);
        assertThat(h.get("/main/instances").json().size()).isEqualTo(before);
        assertThat(ec2IdsOf(theirs)).contains(ec2);
    }

    /**
     * Every per-resource route, read and write, with another org's id and with a missing id of the same form: the
     * two answers (status and message, the id put aside) must be the same, or the caller learns that the other
     * org's group or instance exists (docs/api.md: "answers exactly what an id that does not exist answers").
     */
    @Test
    void everyPerResourceRouteAnswersAnotherOrgsIdWordForWordAsAMissingOne() {
        String theirs = theirInstance();
        String theirGroup = theirGroup();
        String missing = "smi-" + "0".repeat(theirs.length() - 4);
        String missingGroup = "sig-" + "0".repeat(theirGroup.length() - 4);
        List<String> differences = new ArrayList<>();
        for (String[] r : ROUTES) {
            String a = r[1].replace("GID", theirGroup).replace("ID", theirs);
            String b = r[1].replace("GID", missingGroup).replace("ID", missing);
            Reply ra = Harness.unchecked(h.port(), r[0], a, r[2], Harness.withToken());
            Reply rb = Harness.unchecked(h.port(), r[0], b, r[2], Harness.withToken());
            String ma = ra.status() + " " + ra.json().path("message").asText().replace(theirGroup, "ID").replace(theirs, "ID");
            String mb = rb.status() + " " + rb.json().path("message").asText().replace(missingGroup, "ID").replace(missing, "ID");
            if (!ma.equals(mb)) {
                differences.add(r[0] + " " + r[1] + ": theirs [" + ma + "] missing [" + mb + "]");
            }
        }
        assertThat(differences).as("routes whose answer tells another org's object from a missing one").isEmpty();
    }

    /**
     * {@code GET /imports/{migration}} of another org's import (its managed instance tagged with the other org) and
     * of a migration id that does not exist: the same answer (status and message, the id put aside), so that a
     * caller cannot tell that the other org imported something.
     */
    @Test
    void anotherOrgsMigrationIsAnsweredAsAMissingOne() {
        String ec2 = h.ec2Instance();
        Reply started = h.svc.sim("POST", Harness.INSTANCES + "/migration?accountId=" + Harness.MAIN_ID,
                "{\"migration\":{\"originalInstanceId\":\"" + ec2 + "\",\"region\":\"us-east-1\"}}");
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        JsonNode item = started.json().path("response").path("items").path(0);
        String migration = item.path("migrationId").asText(item.path("id").asText());
        String mi = item.path("managedInstanceId").asText();
        Reply tagged = h.svc.sim("PUT", Harness.INSTANCES + "/" + mi + "?accountId=" + Harness.MAIN_ID,
                "{\"managedInstance\":{\"compute\":{\"launchSpecification\":{\"tags\":[{\"tagKey\":\"spinup:org\","
                        + "\"tagValue\":\"" + THEIR_ORG + "\"}]}}}}");
        assertThat(tagged.status()).as(tagged.body()).isEqualTo(200);
        String missing = "smg-" + "0".repeat(migration.length() - 4);
        h.clearRequestLog();
        Reply a = h.get("/main/imports/" + migration);
        int callsTheirs = h.spotRequests().size();
        h.clearRequestLog();
        Reply b = h.get("/main/imports/" + missing);
        int callsMissing = h.spotRequests().size();
        String ma = a.status() + " " + a.json().path("message").asText().replace(migration, "ID");
        String mb = b.status() + " " + b.json().path("message").asText().replace(missing, "ID");
        assertThat(a.body()).doesNotContain(mi).doesNotContain(ec2);
        assertThat(ma).as("theirs, then missing").isEqualTo(mb);
        // changed on purpose (owner): the Spot calls still differ (2 for theirs: the migration, then its instance's
        // tags; 1 for a missing one): Spot's migration answer has no tags, and migration ids are Spot's random ids,
        // which a caller cannot enumerate at the account's rate budget (docs/reliability.md, attack round 13)
        assertThat(callsTheirs).as("Spot calls, theirs").isEqualTo(2);
        assertThat(callsMissing).as("Spot calls, missing").isEqualTo(1);
    }

    /**
     * The same routes, counting the Spot calls each answer costs, for another org's id and for a missing one: a
     * caller who can time the answers (or watch the account's rate budget) learns which ids exist in other orgs when
     * the counts differ; a GET of another org's object must also not spend Spot calls on the object's own data.
     */
    @Test
    void everyPerResourceRouteCostsAnotherOrgsIdTheSameSpotCallsAsAMissingOne() throws Exception {
        String theirs = theirInstance();
        String theirGroup = theirGroup();
        String missing = "smi-" + "0".repeat(theirs.length() - 4);
        String missingGroup = "sig-" + "0".repeat(theirGroup.length() - 4);
        List<String> differences = new ArrayList<>();
        for (String[] r : ROUTES) {
            String a = r[1].replace("GID", theirGroup).replace("ID", theirs);
            String b = r[1].replace("GID", missingGroup).replace("ID", missing);
            h.awaitSimulatorIdle();
            h.clearRequestLog();
            Harness.unchecked(h.port(), r[0], a, r[2], Harness.withToken());
            h.awaitSimulatorIdle();
            List<String> ca = h.spotRequests().stream().map(x -> x.path("method").asText() + " "
                    + x.path("path").asText().replace(theirGroup, "ID").replace(theirs, "ID")).sorted().toList();
            h.clearRequestLog();
            Harness.unchecked(h.port(), r[0], b, r[2], Harness.withToken());
            h.awaitSimulatorIdle();
            List<String> cb = h.spotRequests().stream().map(x -> x.path("method").asText() + " "
                    + x.path("path").asText().replace(missingGroup, "ID").replace(missing, "ID")).sorted().toList();
            if (!ca.equals(cb)) {
                differences.add(r[0] + " " + r[1] + ": theirs " + ca + " missing " + cb);
            }
        }
        assertThat(differences).as("routes whose Spot calls tell another org's object from a missing one").isEmpty();
    }

    /**
     * Bulk power with this org's own id twice ({@code ["smi-a","smi-a"]}): docs/api.md promises one entry per
     * requested id, in order; a body that names an id twice is ambiguous input, which elsewhere is a 400.
     */
    @Test
    void bulkPowerNamingAnIdTwiceAnswersEveryIdOrRefuses() {
        String ours = h.createInstance();
        Reply r = h.call("PUT", "/main/instances-power",
                TestService.json("{\"state\":\"stop\",\"instances\":[\"" + ours + "\",\"" + ours + "\"]}"));
        if (r.status() != 400) {
            assertThat(r.status()).as(r.body()).isEqualTo(200);
            assertThat(r.json().path("instances").size()).as(r.body()).isEqualTo(2);
        }
    }

    /**
     * Another org's id in the path of every write route, spelt otherwise: percent-encoded letters and hyphen,
     * upper case, a matrix parameter, an encoded slash or dot segment before it, a trailing encoded space. Never a
     * 2xx and never a Spot write naming it.
     */
    @Test
    void writeRoutesNeverActOnAnotherOrgsIdSpeltOtherwiseInThePath() {
        String theirs = theirInstance();
        String theirGroup = theirGroup();
        String ours = h.createGroup();
        h.clearRequestLog();
        List<String> failures = new ArrayList<>();
        for (String id : List.of(theirs, theirGroup)) {
            List<String> forms = List.of(id.substring(0, 3) + "%2D" + id.substring(4), "%73" + id.substring(1),
                    id.toUpperCase(Locale.ROOT), id + ";v=1", id + "%20", id + "%00", "x%2F..%2F" + id, "./" + id,
                    "x/../" + id, id + "%2Fpower", "%20" + id);
            for (String form : forms) {
                for (String[] r : ROUTES) {
                    if ("GET".equals(r[0])) {
                        continue;
                    }
                    boolean group = r[1].contains("GID");
                    if (group != id.startsWith("sig-")) {
                        continue;
                    }
                    String path = r[1].replace("GID", form).replace("ID", form);
                    Reply x;
                    try {
                        x = Harness.unchecked(h.port(), r[0], path, r[2], Harness.withToken());
                    } catch (RuntimeException e) {
                        // the connection closed without an answer: tried once more on a new connection
                        x = Harness.unchecked(h.port(), r[0], path, r[2], Harness.withToken());
                        System.err.println(r[0] + " " + path + ": closed without an answer once (" + e.getMessage()
                                + "), then " + x.status());
                    }
                    if (x.status() < 400) {
                        failures.add(r[0] + " " + path + ": " + x.status() + " " + x.body());
                    }
                }
            }
            // below this org's own group: another org's group id as a segment
            for (String path : List.of("/main/elastigroups/" + ours + "/..%2F" + id + "/capacity",
                    "/main/elastigroups/" + ours + "%2F..%2F" + id + "/capacity")) {
                Reply x = Harness.unchecked(h.port(), "PUT", path, "{\"target\":0}", Harness.withToken());
                if (x.status() < 400) {
                    failures.add("PUT " + path + ": " + x.status() + " " + x.body());
                }
            }
            for (JsonNode w : writesNaming(id)) {
                failures.add("Spot write: " + w.path("method").asText() + " " + w.path("path").asText());
            }
        }
        assertThat(failures).isEmpty();
    }

    /**
     * Side observation of the path-spelling attack: a request whose path holds {@code %00} is answered 400; a
     * client that keeps the connection (no {@code Connection: close} was sent) must get an answer to its next request
     * on it, or the 400 must say {@code Connection: close} (RFC 9112 9.6). Otherwise clients that reuse connections
     * see "no bytes" on their next, valid request.
     */
    @Test
    void aRefusedNulInThePathEitherSaysCloseOrKeepsServingTheConnection() throws Exception {
        String group = h.createGroup();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", h.port())) {
            socket.setSoTimeout(5000);
            String body = "{\"tags\":{\"a\":\"b\"}}";
            String first = "PUT /v1/spot/main/elastigroups/" + group + "%00/tags HTTP/1.1\r\nHost: x\r\nX-Auth-Token: "
                    + TestService.TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body;
            String second = "GET /v1/spot/main/elastigroups/" + group + "/tags HTTP/1.1\r\nHost: x\r\nX-Auth-Token: "
                    + TestService.TOKEN + "\r\n\r\n";
            var out = socket.getOutputStream();
            out.write(first.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.flush();
            var in = socket.getInputStream();
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[8192];
            long end = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < end && !(got.indexOf("\r\n\r\n") > 0 && got.indexOf("}") > 0)) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                got.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            String firstAnswer = got.toString();
            assertThat(firstAnswer).startsWith("HTTP/1.1 4");
            if (firstAnswer.toLowerCase(Locale.ROOT).contains("connection: close")) {
                return;
            }
            out.write(second.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.flush();
            got.setLength(0);
            int n;
            String how = "";
            long t0 = System.nanoTime();
            try {
                n = in.read(buf);
                how = n < 0 ? "closed by the server after " + Harness.millisSince(t0) + " ms" : "";
            } catch (java.net.SocketTimeoutException e) {
                n = -1;
                how = "no answer within 5 s, connection left open";
            } catch (java.io.IOException e) {
                n = -1;
                how = e.toString();
            }
            if (n > 0) {
                got.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
            }
            assertThat(got.toString()).as("second request on the connection (%s) after [%s]", how, firstAnswer.replace("\r\n", " | "))
                    .startsWith("HTTP/1.1 200");
        }
    }

    /**
     * The body of a request refused for a {@code %00} in its path must be consumed as its body (Content-Length), never
     * read as the next request on the connection: here the body is itself a request ({@code GET /v1/spot/ping}). Two
     * answers to one request is a response desync behind any proxy that pools connections.
     */
    @Test
    void theBodyOfARequestRefusedForItsPathIsNeverServedAsARequest() throws Exception {
        String group = h.createGroup();
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", h.port())) {
            socket.setSoTimeout(3000);
            String inner = "GET /v1/spot/ping HTTP/1.1\r\nHost: x\r\n\r\n";
            String first = "PUT /v1/spot/main/elastigroups/" + group + "%00/tags HTTP/1.1\r\nHost: x\r\nX-Auth-Token: "
                    + TestService.TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: " + inner.length()
                    + "\r\n\r\n" + inner;
            socket.getOutputStream().write(first.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            socket.getOutputStream().flush();
            StringBuilder got = new StringBuilder();
            byte[] buf = new byte[8192];
            long end = System.nanoTime() + 2_000_000_000L;
            try {
                while (System.nanoTime() < end) {
                    int n = socket.getInputStream().read(buf);
                    if (n < 0) {
                        break;
                    }
                    got.append(new String(buf, 0, n, java.nio.charset.StandardCharsets.ISO_8859_1));
                }
            } catch (java.net.SocketTimeoutException e) {
                // no more bytes
            }
            int answers = got.toString().split("HTTP/1.1 ", -1).length - 1;
            assertThat(answers).as("answers on the connection: %s", got.toString().replace("\r\n", " | ")).isEqualTo(1);
        }
    }
}
