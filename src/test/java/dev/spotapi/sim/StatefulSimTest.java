package dev.spotapi.sim;

import static dev.spotapi.sim.SimTestBase.INSTANCES;
import static dev.spotapi.sim.SimTestBase.instanceBody;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The simulator's stateful-node operations (issue 26) in simulated time, with Spot's refusals, and their
 * state (EC2 instances, migrations, volumes) through a restart and a {@code /_sim/state} export and import.
 */
class StatefulSimTest {
    private static final String ACCOUNT = "act-0000bbbb";
    private static final String TOKEN = "stateful-token";

    @TempDir
    Path dataDir;

    private SpotSimulator start() {
        return SpotSimulator.builder().port(0).dataDir(dataDir).account(ACCOUNT, TOKEN).start();
    }

    private static String ec2(SimClient c, String volumes) {
        return c.admin("POST", "/_sim/ec2Instances", "{\"region\":\"us-east-1\",\"privateIp\":\"10.0.0.9\",\"volumes\":"
                + volumes + "}").json().path("id").asText();
    }

    private static String migration(String ec2, boolean keepIp, boolean terminate) {
        return "{\"migration\":{\"originalInstanceId\":\"" + ec2 + "\",\"region\":\"us-east-1\",\"shouldKeepPrivateIp\":"
                + keepIp + ",\"shouldTerminateInstance\":" + terminate + "}}";
    }

    @Test
    void importRunsInSimulatedTimeAndIsRefusedAsSpotDoes() {
        try (SpotSimulator sim = start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            String ec2 = ec2(c, "[]");
            assertThat(c.post(INSTANCES + "/migration", migration(ec2, true, false)).status()).isEqualTo(400);
            assertThat(c.post(INSTANCES + "/migration", migration("i-00000000", false, false)).errorCode())
                    .isEqualTo("EC2_INSTANCE_DOESNT_EXIST");
            SimClient.Reply started = c.post(INSTANCES + "/migration", migration(ec2, true, true));
            assertThat(started.status()).isEqualTo(200);
            JsonNode item = started.item();
            assertThat(item.path("state").asText()).isEqualTo("MIGRATE_START");
            assertThat(item.path("data").path("shouldKeepPrivateIp").asBoolean()).isTrue();
            String mi = item.path("managedInstanceId").asText();
            String mig = item.path("migrationId").asText();
            assertThat(c.post(INSTANCES + "/migration", migration(ec2, false, false)).errorCode())
                    .isEqualTo("INSTANCE_ALREADY_MANAGED");
            assertThat(c.get(INSTANCES + "/" + mi + "/status").item().path("status").asText()).isEqualTo("RESUMING");
            c.admin("POST", "/_sim/clock/advance", "{\"seconds\": 61}");
            assertThat(c.get(INSTANCES + "/migration/" + mig).item().path("state").asText()).isEqualTo("MIGRATE_FINISH");
            JsonNode status = c.get(INSTANCES + "/" + mi + "/status").item();
            assertThat(status.path("status").asText()).isEqualTo("ACTIVE");
            assertThat(status.path("privateIp").asText()).isEqualTo("10.0.0.9");
            assertThat(c.get(INSTANCES + "/migration/smg-00000000").errorCode()).isEqualTo("MIGRATION_DOESNT_EXIST");
        }
    }

    @Test
    void bulkImportStartsEachMigrationAndListsRefusalsAsFailures() {
        try (SpotSimulator sim = start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            String a = ec2(c, "[]");
            String b = ec2(c, "[]");
            String managed = ec2(c, "[]");
            assertThat(c.post(INSTANCES + "/migration", migration(managed, false, false)).status()).isEqualTo(200);
            SimClient.Reply reply = c.post(INSTANCES + "/migration/bulk", "{\"migrations\":["
                    + "{\"originalInstanceId\":\"" + a + "\",\"region\":\"us-east-1\"},"
                    + "{\"originalInstanceId\":\"i-00000000\",\"region\":\"us-east-1\"},"
                    + "{\"originalInstanceId\":\"" + managed + "\",\"region\":\"us-east-1\"},"
                    + "{\"originalInstanceId\":\"" + b + "\",\"region\":\"us-east-1\",\"shouldKeepPrivateIp\":true}]}");
            assertThat(reply.status()).isEqualTo(200);
            JsonNode response = reply.json().path("response");
            assertThat(response.path("items")).hasSize(1);
            JsonNode item = response.path("items").get(0);
            assertThat(item.path("data").path("originalInstanceId").asText()).isEqualTo(a);
            assertThat(item.path("state").asText()).isEqualTo("MIGRATE_START");
            JsonNode failures = response.path("failures");
            assertThat(failures).hasSize(3);
            assertThat(failures.get(0).path("resourceId").asText()).isEqualTo("i-00000000");
            assertThat(failures.get(1).path("resourceId").asText()).isEqualTo(managed);
            assertThat(failures.get(1).path("errorMessage").asText()).contains("already managed");
            assertThat(failures.get(2).path("resourceId").asText()).isEqualTo(b);
            // the refused ones were not imported: b can still be imported on its own
            assertThat(c.post(INSTANCES + "/migration", migration(b, false, false)).status()).isEqualTo(200);
            assertThat(c.post(INSTANCES + "/migration/bulk", "{\"migrations\":[]}").status()).isEqualTo(400);

            String mig = item.path("migrationId").asText();
            JsonNode found = c.post(INSTANCES + "/migration/search", "{\"migrationIds\":[\"" + mig
                    + "\",\"smg-00000000\"]}").json().path("response").path("items");
            assertThat(found).hasSize(1);
            assertThat(found.get(0).path("migrationId").asText()).isEqualTo(mig);
            assertThat(found.get(0).path("instanceId").asText()).isEqualTo(a);
            c.admin("POST", "/_sim/clock/advance", "{\"seconds\": 61}");
            assertThat(c.post(INSTANCES + "/migration/search", "{\"migrationIds\":[\"" + mig + "\"]}").json()
                    .path("response").path("items").get(0).path("state").asText()).isEqualTo("MIGRATE_FINISH");
        }
    }

    /**
     * OAS {@code miBulkImportInstance} (contract §7.4): a schema error in one entry is one ValidationError naming
     * the entry's path (field and Joi-style label), and no entry is imported; a single import's wrong type names
     * {@code migration.<field>}; a detaching delete (OAS {@code mi-delete}, shouldTerminateInstance false) frees the
     * EC2 instance, a terminating one does not.
     */
    @Test
    void schemaErrorsNameTheirPathAndADetachingDeleteFreesTheEc2Instance() {
        try (SpotSimulator sim = start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            String a = ec2(c, "[]");
            String b = ec2(c, "[]");
            SimClient.Reply refused = c.post(INSTANCES + "/migration/bulk", "{\"migrations\":[{\"originalInstanceId\":\""
                    + a + "\",\"region\":\"us-east-1\"},{\"originalInstanceId\":\"" + b + "\"}]}");
            assertThat(refused.errorCode()).as(refused.toString()).isEqualTo("ValidationError");
            assertThat(refused.error().path("field").asText()).isEqualTo("body:migrations[1].region");
            assertThat(refused.error().path("message").asText()).isEqualTo("\"migrations[1].region\" is required");
            SimClient.Reply typed = c.post(INSTANCES + "/migration", "{\"migration\":{\"originalInstanceId\":\"" + a
                    + "\",\"region\":\"us-east-1\",\"spotInstanceTypes\":[\"m5.large\",3]}}");
            assertThat(typed.error().path("field").asText()).isEqualTo("body:migration.spotInstanceTypes.1");
            // nothing of the refused bulk was imported
            String mi = c.post(INSTANCES + "/migration", migration(a, false, false)).item().path("managedInstanceId").asText();
            String other = c.post(INSTANCES + "/migration", migration(b, false, false)).item().path("managedInstanceId")
                    .asText();
            assertThat(c.delete(INSTANCES + "/" + mi, "{}").status()).isEqualTo(200);
            assertThat(c.post(INSTANCES + "/migration", migration(a, false, false)).status()).isEqualTo(200);
            assertThat(c.delete(INSTANCES + "/" + other, "{\"deallocationConfig\":{\"shouldTerminateInstance\":true}}")
                    .status()).isEqualTo(200);
            // terminated with the managed instance [INF]: not importable again
            assertThat(c.post(INSTANCES + "/migration", migration(b, false, false)).status()).isEqualTo(400);
        }
    }

    @Test
    void bulkStateIsAllOrNothing() {
        try (SpotSimulator sim = SpotSimulator.builder().port(0).transitionDuration(java.time.Duration.ZERO)
                .account(ACCOUNT, TOKEN).start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            String a = c.post(INSTANCES, instanceBody("a", "t3a.micro")).item().path("id").asText();
            String b = c.post(INSTANCES, instanceBody("b", "t3a.micro")).item().path("id").asText();
            c.put(INSTANCES + "/" + b + "/pause", null);
            SimClient.Reply refused = c.put(INSTANCES + "/state", "{\"managedInstanceStates\":[{\"id\":\"" + a
                    + "\",\"state\":\"PAUSE\"},{\"id\":\"" + b + "\",\"state\":\"PAUSE\"}]}");
            assertThat(refused.errorCode()).isEqualTo("MANAGED_INSTANCE_ALREADY_PAUSED");
            assertThat(c.get(INSTANCES + "/" + a + "/status").item().path("status").asText()).isEqualTo("ACTIVE");
            assertThat(c.put(INSTANCES + "/state", "{\"managedInstanceStates\":[{\"id\":\"smi-00000000\",\"state\":\"PAUSE\"}]}")
                    .errorCode()).isEqualTo("MANAGED_INSTANCE_DOESNT_EXIST");
            assertThat(c.put(INSTANCES + "/state", "{\"managedInstanceStates\":[{\"id\":\"" + a + "\",\"state\":\"STOP\"}]}")
                    .status()).isEqualTo(400);
            assertThat(c.put(INSTANCES + "/state", "{\"managedInstanceStates\":[{\"id\":\"" + a
                    + "\",\"state\":\"PAUSE\"},{\"id\":\"" + b + "\",\"state\":\"RESUME\"}]}").status()).isEqualTo(200);
            assertThat(c.get(INSTANCES + "/" + a + "/status").item().path("status").asText()).isEqualTo("PAUSED");
            assertThat(c.get(INSTANCES + "/" + b + "/status").item().path("status").asText()).isEqualTo("ACTIVE");
        }
    }

    @Test
    void migrationsVolumesAndEc2InstancesSurviveRestartsAndSnapshots() {
        String mi;
        String mig;
        String detached;
        String spare;
        JsonNode exported;
        try (SpotSimulator sim = start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            spare = ec2(c, "[]");
            String ec2 = ec2(c, "[{\"deviceName\":\"/dev/xvda\",\"size\":8},{\"deviceName\":\"/dev/sdf\",\"size\":50,\"attached\":false}]");
            JsonNode item = c.post(INSTANCES + "/migration", migration(ec2, false, false)).item();
            mi = item.path("managedInstanceId").asText();
            mig = item.path("migrationId").asText();
            exported = c.admin("GET", "/_sim/state", null).json();
            detached = null;
            for (JsonNode v : exported.path("accounts").path(ACCOUNT).path("volumes")) {
                if (!v.path("object").path("attached").asBoolean()) {
                    detached = v.path("object").path("id").asText();
                }
            }
            assertThat(detached).startsWith("vol-");
        }
        try (SpotSimulator sim = start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            assertThat(c.get(INSTANCES + "/migration/" + mig).item().path("managedInstanceId").asText()).isEqualTo(mi);
            assertThat(c.admin("GET", "/_sim/ec2Instances", null).json().toString()).contains(spare);
            assertThat(c.delete(INSTANCES + "/" + mi + "/volume/" + detached, null).status()).isEqualTo(200);
            assertThat(c.delete(INSTANCES + "/" + mi + "/volume/" + detached, null).errorCode())
                    .isEqualTo("VOLUME_DOESNT_EXIST");
            // the snapshot taken before brings the volume back
            assertThat(c.admin("PUT", "/_sim/state", exported.toString()).status()).isEqualTo(200);
            assertThat(c.get(INSTANCES + "/migration/" + mig).status()).isEqualTo(200);
            for (JsonNode v : c.admin("GET", "/_sim/state", null).json().path("accounts").path(ACCOUNT).path("volumes")) {
                if (v.path("object").path("attached").asBoolean()) {
                    assertThat(c.delete(INSTANCES + "/" + mi + "/volume/" + v.path("object").path("id").asText(), null)
                            .errorCode()).isEqualTo("VOLUME_IN_USE");
                }
            }
            assertThat(c.delete(INSTANCES + "/" + mi + "/volume/" + detached, null).status()).isEqualTo(200);
        }
    }

    @Test
    void statefulInstancesOfAGroupSurviveRestartsAndSnapshots() {
        String group;
        String ssi;
        JsonNode exported;
        try (SpotSimulator sim = start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            group = c.post(SimTestBase.GROUPS, SimTestBase.groupBody("stateful", 0, 1, 2)).item().path("id").asText();
            ssi = c.admin("POST", "/_sim/groups/" + group + "/statefulInstances", "{\"privateIp\": \"10.0.0.5\"}")
                    .json().path("id").asText();
            assertThat(c.put(SimTestBase.GROUPS + "/" + group + "/statefulInstance/" + ssi + "/pause", null).status())
                    .isEqualTo(200);
            assertThat(c.put(SimTestBase.GROUPS + "/" + group + "/statefulInstance/" + ssi + "/pause", null).errorCode())
                    .isEqualTo("STATEFUL_INSTANCE_ACTION_IN_PROGRESS");
            exported = c.admin("GET", "/_sim/state", null).json();
            assertThat(exported.path("accounts").path(ACCOUNT).path("statefulInstances")).hasSize(1);
        }
        try (SpotSimulator sim = start()) {
            SimClient c = new SimClient(sim.baseUrl(), ACCOUNT, TOKEN);
            JsonNode item = c.get(SimTestBase.GROUPS + "/" + group + "/statefulInstance").items().get(0);
            assertThat(item.path("id").asText()).isEqualTo(ssi);
            assertThat(item.path("state").asText()).isEqualTo("PAUSING");
            c.admin("POST", "/_sim/clock/advance", "{\"seconds\": 61}");
            assertThat(c.get(SimTestBase.GROUPS + "/" + group + "/statefulInstance").items().get(0).path("state").asText())
                    .isEqualTo("PAUSED");
            assertThat(c.put(SimTestBase.GROUPS + "/" + group + "/statefulInstance/" + ssi + "/recycle", null).errorCode())
                    .isEqualTo("STATEFUL_INSTANCE_NOT_ACTIVE");
            assertThat(c.put(SimTestBase.GROUPS + "/" + group + "/statefulInstance/ssi-00000000/pause", null).errorCode())
                    .isEqualTo("STATEFUL_INSTANCE_DOESNT_EXIST");
            // back to the snapshot: PAUSING again, then PAUSED as of its due time
            assertThat(c.admin("PUT", "/_sim/state", exported.toString()).status()).isEqualTo(200);
            assertThat(c.get(SimTestBase.GROUPS + "/" + group + "/statefulInstance").items().get(0).path("state").asText())
                    .isEqualTo("PAUSED");
        }
    }
}
