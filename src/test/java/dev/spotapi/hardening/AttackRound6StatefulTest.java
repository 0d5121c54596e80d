package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService.Reply;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Attack round 6 on the stateful-node routes: import status ({@code GET /imports/{id}}), stateful instances of a
 * group, managed-instance volumes, bulk power. Black box against the service and the simulator.
 */
class AttackRound6StatefulTest extends HarnessPerClass {

    private static String importBody(String original) {
        return "{\"originalInstanceId\": \"" + original + "\", \"region\": \"us-east-1\"}";
    }

    private static String envelope(String kind, String item) {
        return "{\"request\":{\"id\":\"5e4b1c2a-1111-4222-8333-444455556666\",\"url\":\"/\",\"method\":\"GET\","
                + "\"timestamp\":\"2026-01-01T00:00:00.000Z\"},\"response\":{\"status\":{\"code\":200,\"message\":\"OK\"},"
                + "\"kind\":\"" + kind + "\",\"items\":[" + item + "],\"count\":1}}";
    }

    /**
     * GET /imports/{id}: Spot answers the migration, then fails (500, every attempt) to read its managed instance for
     * the org check. That is Spot failing, not "the migration does not exist": a 5xx (retry later), never a 404 that
     * tells a poller its import is gone.
     */
    @Test
    void anImportStatusIsNotAnswered404WhenSpotFailsToReadItsInstance() {
        Reply started = h.call("POST", "/main/imports", importBody(h.ec2Instance()));
        assertThat(started.status()).as(started.body()).isEqualTo(200);
        String migration = started.json().path("migrationId").asText();
        String mi = started.json().path("id").asText();
        assertThat(h.get("/main/imports/" + migration).status()).isEqualTo(200);

        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.INSTANCES + "/" + mi + "\",\"action\":\"status\","
                + "\"status\":500,\"count\":1000}");
        Reply during;
        try {
            during = h.get("/main/imports/" + migration);
        } finally {
            h.clearFaults();
        }
        assertThat(during.status()).as("Spot's read of the import's instance failed (500): %s", during.body())
                .isBetween(500, 599);
    }

    /**
     * GET /imports/{id} of a migration whose status carries no managed instance (e.g. one that ended in
     * MIGRATE_ERROR before an instance was made, or another org's): the org check must not read
     * {@code /aws/ec2/managedInstance/} (the list route) and take its first instance as the migration's.
     */
    @Test
    void aMigrationWithoutAManagedInstanceIsNotShownThroughAnotherInstancesOwnership() {
        Reply created = h.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("mine")));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String migration = "smg-0a1b2c3d";
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.INSTANCES + "/migration/" + migration
                + "\",\"action\":\"json\",\"body\":" + envelope("spotinst:aws:ec2:managedInstance:migration",
                "{\"migrationId\":\"" + migration + "\",\"instanceId\":\"i-0123456789abcdef0\","
                        + "\"state\":\"MIGRATE_ERROR\",\"stateDescription\":\"failed\"}") + "}");
        h.clearRequestLog();
        Reply status;
        try {
            status = h.get("/main/imports/" + migration);
        } finally {
            h.clearFaults();
        }
        List<String> reads = h.spotRequests().stream().map(r -> r.path("method").asText() + " " + r.path("path").asText())
                .toList();
        assertThat(status.status()).as("a migration no instance of this org belongs to (Spot calls %s): %s", reads,
                status.body()).isEqualTo(404);
        assertThat(reads).as("the list route read as if it were the migration's instance")
                .doesNotContain("GET " + Harness.INSTANCES + "/", "GET " + Harness.INSTANCES);
    }

    /**
     * The same with Spot answering its managed-instance list flat (the Go SDK's shape, which spot-api's list code
     * accepts, contract 3.2): the list route read as the migration's instance finds this org's first instance, so
     * a migration no instance of this org belongs to (another org's failed import) is shown: must be a 404.
     */
    @Test
    void aMigrationWithoutAManagedInstanceIsNotShownWhenSpotListsFlat() {
        Reply created = h.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("mine")));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String mine = created.json().asText();
        Reply read = h.svc.sim("GET", Harness.INSTANCES + "/" + mine + "?accountId=" + Harness.MAIN_ID, null);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        JsonNode flat = read.json().path("response").path("items").path(0);
        String migration = "smg-0a1b2c3e";
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.INSTANCES + "/migration/" + migration
                + "\",\"action\":\"json\",\"body\":" + envelope("spotinst:aws:ec2:managedInstance:migration",
                "{\"migrationId\":\"" + migration + "\",\"instanceId\":\"i-0123456789abcdef0\","
                        + "\"state\":\"MIGRATE_ERROR\",\"stateDescription\":\"failed\"}") + "}");
        h.fault("{\"method\":\"GET\",\"path\":\"" + Harness.INSTANCES + "/\",\"action\":\"json\",\"body\":"
                + envelope("spotinst:aws:ec2:managedInstance", flat.toString()) + "}");
        Reply status;
        try {
            status = h.get("/main/imports/" + migration);
        } finally {
            h.clearFaults();
        }
        assertThat(status.status()).as("a migration of no instance of this org: %s", status.body()).isEqualTo(404);
    }

    /**
     * Eight concurrent stops of one stateful instance of a group: Spot takes a pause, every answer is a 204 (already
     * pausing: power is idempotent) or a 409 (a race Spot refused as in progress), no 5xx.
     */
    @Test
    void concurrentStopsOfOneStatefulInstanceAreOneAcceptedTheRestConflicts() throws Exception {
        Reply group = h.call("POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("g")));
        assertThat(group.status()).as(group.body()).isEqualTo(200);
        String id = group.json().path("id").asText();
        Reply seeded = h.svc.sim("POST", "/_sim/groups/" + id + "/statefulInstances",
                "{\"accountId\": \"" + Harness.MAIN_ID + "\"}");
        assertThat(seeded.status()).as(seeded.body()).isEqualTo(200);
        String ssi = seeded.json().path("id").asText();
        String path = "/main/elastigroups/" + id + "/stateful-instances/" + ssi + "/power";
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Reply>> replies = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                replies.add(pool.submit((Callable<Reply>) () -> h.call("PUT", path, "{\"state\":\"stop\"}")));
            }
            List<Integer> statuses = new ArrayList<>();
            for (Future<Reply> r : replies) {
                statuses.add(r.get().status());
            }
            // power is idempotent (a stop of a PAUSING instance is a 204, as for managed instances); a stop that lost a
            // race at Spot (ACTION_IN_PROGRESS) is a 409 with Retry-After; never a 5xx
            assertThat(statuses).as("%s", statuses).containsAnyOf(204).isSubsetOf(204, 409);
        } finally {
            pool.shutdownNow();
        }
        assertThat(h.countSpotRequests("PUT", Harness.GROUPS + "/" + id + "/statefulInstance/" + ssi + "/pause"))
                .as("pauses Spot received").isBetween(1, 8);
        JsonNode listed = h.get("/main/elastigroups/" + id + "/stateful-instances").json();
        assertThat(listed.path(0).path("state").asText()).isIn("PAUSING", "PAUSED");
    }

    /**
     * {@code keep} (and {@code detach}) on the stateful-instance deallocation: the one delete that deletes volumes,
     * snapshots and the network interface with no way to keep any. docs/api.md "Delete options": a {@code keep} a
     * delete cannot honour is a 400 and nothing is deleted ({@code keep=amiBackups} or {@code detach} on a group).
     * Silently deallocating everything loses exactly what the caller asked to keep.
     */
    @Test
    void aKeepTheStatefulDeallocationCannotHonourIsRefusedNotIgnored() {
        Reply group = h.call("POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("g")));
        assertThat(group.status()).as(group.body()).isEqualTo(200);
        String id = group.json().path("id").asText();
        List<String> answers = new ArrayList<>();
        for (String query : List.of("?keep=volumes", "?keep=snapshots,networkInterfaces", "?detach=true")) {
            Reply seeded = h.svc.sim("POST", "/_sim/groups/" + id + "/statefulInstances",
                    "{\"accountId\": \"" + Harness.MAIN_ID + "\"}");
            assertThat(seeded.status()).as(seeded.body()).isEqualTo(200);
            String ssi = seeded.json().path("id").asText();
            h.clearRequestLog();
            Reply r = h.call("DELETE", "/main/elastigroups/" + id + "/stateful-instances/" + ssi + query, null);
            int deallocations = h.countSpotRequests("PUT", Harness.GROUPS + "/" + id + "/statefulInstance/" + ssi
                    + "/deallocate");
            if (r.status() != 400 || deallocations != 0) {
                answers.add(query + " -> " + r.status() + ", deallocate calls sent to Spot: " + deallocations);
            }
        }
        assertThat(answers).as("stateful deallocations whose keep/detach was ignored").isEmpty();
    }

    /**
     * Attack round 3 fixed the stateful instance: one not among the group's is a 404 before anything is written,
     * "whether Spot checks the pairing or not". The volume of {@code DELETE .../stateful-instances/{ssi}/volumes/{vol}}
     * is not checked the same way, although the list read for that check carries each instance's
     * {@code devices[].volumeId}: beta's volume, named under beta's own paused stateful instance, reaches Spot as a
     * delete (Spot alone decides that the volume is not that instance's). Must be a 404 with no write sent.
     */
    @Test
    void anotherOrgsVolumeUnderThisOrgsStatefulInstanceIsNeverSentToSpot() {
        dev.spotapi.support.TestService beta = dev.spotapi.support.TestService.replica(h.svc.simulator, settings(),
                c -> c.withOrg("beta"));
        try {
            String alphas = statefulGroup(h.svc);
            String betas = statefulGroup(beta);
            String alphaSsi = seed(alphas);
            String betaSsi = seed(betas);
            String betaVolume = h.svc.sim("GET", Harness.GROUPS + "/" + betas + "/statefulInstance?accountId="
                    + Harness.MAIN_ID, null).json().path("response").path("items").path(0).path("devices").path(0)
                    .path("volumeId").asText();
            assertThat(betaVolume).startsWith("vol-");
            String base = "/main/elastigroups/" + alphas + "/stateful-instances/" + alphaSsi;
            assertThat(h.call("PUT", base + "/power", "{\"state\":\"stop\"}").status()).isEqualTo(204);
            h.clearRequestLog();

            Reply r = h.call("DELETE", base + "/volumes/" + betaVolume, null);

            List<String> writes = h.spotRequests().stream().filter(q -> !q.path("method").asText().equals("GET"))
                    .map(q -> q.path("method").asText() + " " + q.path("path").asText()).toList();
            assertThat(r.status()).as(r.body()).isEqualTo(404);
            assertThat(writes).as("writes sent to Spot for beta's volume through alpha's stateful instance").isEmpty();
            JsonNode betaItem = h.svc.sim("GET", Harness.GROUPS + "/" + betas + "/statefulInstance?accountId="
                    + Harness.MAIN_ID, null).json().path("response").path("items").path(0);
            assertThat(betaItem.path("id").asText()).isEqualTo(betaSsi);
            assertThat(betaItem.path("devices").toString()).contains(betaVolume);
        } finally {
            beta.close();
        }
    }

    private static String statefulGroup(dev.spotapi.support.TestService svc) {
        Reply group = svc.call("POST", "/main/elastigroups", Harness.groupBody(Harness.uniqueName("g")));
        assertThat(group.status()).as(group.body()).isEqualTo(200);
        return group.json().path("id").asText();
    }

    private String seed(String group) {
        Reply seeded = h.svc.sim("POST", "/_sim/groups/" + group + "/statefulInstances",
                "{\"accountId\": \"" + Harness.MAIN_ID + "\"}");
        assertThat(seeded.status()).as(seeded.body()).isEqualTo(200);
        return seeded.json().path("id").asText();
    }

    /**
     * Bulk power of an instance that is moving the other way (start while it is PAUSING): the single-instance route
     * answers 409 (with Retry-After); openapi.json {@code BulkPowerResult}: "conflict: the instance cannot take that
     * state now; failed: Spot refused it otherwise". The bulk answer must be {@code conflict}, not {@code failed}
     * (the per-id fallback's IN_PROGRESS is not mapped).
     */
    @Test
    void aBulkStartOfAnInstanceThatIsStoppingIsAConflictNotAFailure() {
        Reply created = h.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("p")));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String id = created.json().asText();
        Reply slow = h.svc.sim("PUT", "/_sim/transitions", "{\"seconds\": 600}");
        assertThat(slow.status()).as(slow.body()).isEqualTo(200);
        assertThat(h.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"stop\"}").status())
                .isBetween(200, 204);
        Reply single = h.call("PUT", "/main/instances/" + id + "/power", "{\"state\":\"start\"}");
        assertThat(single.status()).as("the single-instance route: %s", single.body()).isEqualTo(409);

        Reply bulk = h.call("PUT", "/main/instances-power", "{\"state\":\"start\",\"instances\":[\"" + id + "\"]}");
        assertThat(bulk.status()).as(bulk.body()).isEqualTo(200);
        assertThat(bulk.json().path("instances").path(0).path("result").asText()).as(bulk.body())
                .isEqualTo("conflict");
    }

    /**
     * Spot's import answer without {@code managedInstanceId} (the migration started, the instance id not given): the
     * tag write must not go to {@code PUT /aws/ec2/managedInstance/} (the id left empty), and the answer must not
     * name an empty instance. Shows what spot-api sends.
     */
    @Test
    void anImportAnswerWithoutAnInstanceIdIsNotTaggedThroughAnEmptyPath() {
        String original = h.ec2Instance();
        h.fault("{\"method\":\"POST\",\"path\":\"" + Harness.INSTANCES + "/migration\",\"action\":\"json\","
                + "\"body\":" + envelope("spotinst:aws:ec2:managedInstance:migration", "{\"migrationId\":\"smg-0a1b2c3f\","
                + "\"data\":{\"originalInstanceId\":\"" + original + "\"},\"state\":\"MIGRATE_START\"}") + "}");
        h.clearRequestLog();
        Reply r;
        try {
            r = h.call("POST", "/main/imports", importBody(original));
        } finally {
            h.clearFaults();
        }
        List<String> sent = h.spotRequests().stream().map(q -> q.path("method").asText() + " " + q.path("path").asText())
                .toList();
        assertThat(sent).as("answer %d %s", r.status(), r.body())
                .doesNotContain("PUT " + Harness.INSTANCES + "/", "PUT " + Harness.INSTANCES);
        assertThat(r.body()).doesNotContain("instance ''");
    }

    /**
     * docs/api.md's power table ("Power is idempotent, so 'stop at 18:00' on an instance a user already stopped
     * succeeds": already there 204, moving toward it 204) holds for instances and groups; the stateful instances of
     * a group answer the same stop 409 (Spot's STATEFUL_INSTANCE_ALREADY_PAUSED / ACTION_IN_PROGRESS passed on). A
     * stop retried after a lost answer, or a scheduler's nightly stop, fails although the instance is stopped.
     * Compared side by side with a managed instance in the same states.
     */
    @Test
    void aStopOfAStatefulInstanceThatIsStoppedOrStoppingIsIdempotentAsForInstances() {
        Reply created = h.call("POST", "/main/instances", Harness.instanceBody(Harness.uniqueName("p")));
        assertThat(created.status()).as(created.body()).isEqualTo(200);
        String mi = created.json().asText();
        String group = statefulGroup(h.svc);
        String ssi = seed(group);
        String ssiPower = "/main/elastigroups/" + group + "/stateful-instances/" + ssi + "/power";
        String miPower = "/main/instances/" + mi + "/power";
        assertThat(h.call("PUT", ssiPower, "{\"state\":\"stop\"}").status()).isEqualTo(204);
        assertThat(h.call("PUT", miPower, "{\"state\":\"stop\"}").status()).isBetween(200, 204);
        // both PAUSED now (the harness's simulator takes no time)
        int miAgain = h.call("PUT", miPower, "{\"state\":\"stop\"}").status();
        Reply ssiAgain = h.call("PUT", ssiPower, "{\"state\":\"stop\"}");
        assertThat(miAgain).as("the managed instance's second stop").isBetween(200, 204);
        assertThat(ssiAgain.status()).as("the stateful instance's second stop: %s", ssiAgain.body()).isBetween(200, 204);
    }

    /** Imports an EC2 instance with a root volume and a detached data volume: {instance id, detached volume id}. */
    private String[] importedWithDetachedVolume(dev.spotapi.support.TestService svc) {
        Reply ec2 = h.svc.sim("POST", "/_sim/ec2Instances", "{\"accountId\": \"" + Harness.MAIN_ID + "\", \"region\":"
                + " \"us-east-1\", \"volumes\": [{\"deviceName\":\"/dev/xvda\",\"size\":8},"
                + "{\"deviceName\":\"/dev/sdf\",\"size\":100,\"attached\":false}]}");
        assertThat(ec2.status()).as(ec2.body()).isEqualTo(200);
        Reply imported = svc.call("POST", "/main/imports", importBody(ec2.json().path("id").asText()));
        assertThat(imported.status()).as(imported.body()).isEqualTo(200);
        String id = imported.json().path("id").asText();
        return new String[] {id, detachedVolumes(id).get(0)};
    }

    private List<String> detachedVolumes(String instance) {
        List<String> out = new ArrayList<>();
        for (JsonNode v : h.svc.sim("GET", "/_sim/state", null).json().path("accounts").path(Harness.MAIN_ID)
                .path("volumes")) {
            if (v.path("object").path("managedInstanceId").asText().equals(instance)
                    && !v.path("object").path("attached").asBoolean()) {
                out.add(v.path("object").path("id").asText());
            }
        }
        return out;
    }

    /**
     * Held: beta's detached volume named under alpha's own managed instance (the route's org check passes) is
     * Spot's 404 and stays; eight concurrent deletes of alpha's own detached volume are one 204 and 404s, no 5xx.
     */
    @Test
    void managedInstanceVolumesAcrossOrgsAndConcurrentDeletes() throws Exception {
        dev.spotapi.support.TestService beta = dev.spotapi.support.TestService.replica(h.svc.simulator, settings(),
                c -> c.withOrg("beta"));
        try {
            String[] alphas = importedWithDetachedVolume(h.svc);
            String[] betas = importedWithDetachedVolume(beta);
            Reply cross = h.call("DELETE", "/main/instances/" + alphas[0] + "/volumes/" + betas[1], null);
            assertThat(cross.status()).as(cross.body()).isEqualTo(404);
            assertThat(detachedVolumes(betas[0])).containsExactly(betas[1]);

            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Reply>> replies = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    replies.add(pool.submit((Callable<Reply>) () -> h.call("DELETE", "/main/instances/" + alphas[0]
                            + "/volumes/" + alphas[1], null)));
                }
                List<Integer> statuses = new ArrayList<>();
                for (Future<Reply> r : replies) {
                    statuses.add(r.get().status());
                }
                assertThat(statuses).as("%s", statuses).containsOnly(204, 404);
                assertThat(statuses.stream().filter(s -> s == 204).count()).as("%s", statuses).isEqualTo(1);
            } finally {
                pool.shutdownNow();
            }
            assertThat(detachedVolumes(alphas[0])).isEmpty();
        } finally {
            beta.close();
        }
    }
}
