package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spotapi.support.TestService;
import dev.spotapi.support.TestService.Reply;
import org.junit.jupiter.api.Test;

/** DELETE ...?keep=volumes,snapshots,images,networkInterfaces and ?detach=true: the deallocation flags Spot gets. */
class DeleteOptionsTest extends ApiTestSupport {

    private JsonNode deleteInstance(String query) {
        String id = createInstance();
        Reply r = call("DELETE", "/main/instances/" + id + query, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("OK");
        return onlySpotRequest("DELETE", "/aws/ec2/managedInstance/" + id).path("body");
    }

    private JsonNode deleteGroup(String query) {
        String id = createGroup();
        Reply r = call("DELETE", "/main/elastigroups/" + id + query, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return onlySpotRequest("DELETE", "/aws/ec2/group/" + id).path("body");
    }

    @Test
    void instanceKeepClearsTheMatchingFlags() {
        assertThat(deleteInstance("?keep=volumes,snapshots")).isEqualTo(TestService.json("""
                {"deallocationConfig":{"shouldDeleteVolumes":false,"shouldDeleteSnapshots":false,
                "shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":true,"shouldTerminateInstance":true},
                "amiBackup":{"shouldDeleteImages":true}}"""));
        assertThat(deleteInstance("?keep=images,networkInterfaces")).isEqualTo(TestService.json("""
                {"deallocationConfig":{"shouldDeleteVolumes":true,"shouldDeleteSnapshots":true,
                "shouldDeleteImages":false,"shouldDeleteNetworkInterfaces":false,"shouldTerminateInstance":true},
                "amiBackup":{"shouldDeleteImages":true}}"""));
        assertThat(deleteInstance("?keep=volumes,snapshots,images,networkInterfaces")).isEqualTo(TestService.json("""
                {"deallocationConfig":{"shouldDeleteVolumes":false,"shouldDeleteSnapshots":false,
                "shouldDeleteImages":false,"shouldDeleteNetworkInterfaces":false,"shouldTerminateInstance":true},
                "amiBackup":{"shouldDeleteImages":true}}"""));
        // issue 24: AMI backups are deleted unless kept (Terraform's default delete sends the flag)
        assertThat(deleteInstance("?keep=amiBackups")).isEqualTo(TestService.json("""
                {"deallocationConfig":{"shouldDeleteVolumes":true,"shouldDeleteSnapshots":true,
                "shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":true,"shouldTerminateInstance":true},
                "amiBackup":{"shouldDeleteImages":false}}"""));
    }

    /** Issue 20: a repeated parameter is ambiguous (one list or two?): 400, nothing deleted. */
    @Test
    void aRepeatedKeepIsRefusedAndNothingIsDeleted() {
        String id = createInstance();
        clearSpotRequests();

        String message = assertError(call("DELETE", "/main/instances/" + id + "?keep=images&keep=networkInterfaces",
                null), 400);

        assertThat(message).contains("'keep' is given 2 times", "keep=volumes,snapshots");
        assertThat(allSpotRequests()).isEmpty();
        assertThat(storedInstance(id).path("id").asText()).isEqualTo(id);
    }

    @Test
    void instanceDefaultsDeleteEverythingAsBefore() {
        assertThat(deleteInstance("")).isEqualTo(TestService.json("""
                {"deallocationConfig":{"shouldDeleteVolumes":true,"shouldDeleteSnapshots":true,
                "shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":true,"shouldTerminateInstance":true},
                "amiBackup":{"shouldDeleteImages":true}}"""));
        assertThat(deleteInstance("?keep=&detach=false").path("deallocationConfig").path("shouldTerminateInstance")
                .asBoolean()).isTrue();
    }

    @Test
    void detachLeavesTheEc2InstanceWithItsVolumesAndNetworkInterfaces() {
        assertThat(deleteInstance("?detach=true")).isEqualTo(TestService.json("""
                {"deallocationConfig":{"shouldDeleteVolumes":false,"shouldDeleteSnapshots":true,
                "shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":false,"shouldTerminateInstance":false},
                "amiBackup":{"shouldDeleteImages":true}}"""));
        assertThat(deleteInstance("?detach=true&keep=snapshots").path("deallocationConfig")
                .path("shouldDeleteSnapshots").asBoolean()).isFalse();
    }

    @Test
    void groupKeepSetsStatefulDeallocation() {
        assertThat(deleteGroup("?keep=volumes,networkInterfaces")).isEqualTo(TestService.json("""
                {"statefulDeallocation":{"shouldDeleteVolumes":false,"shouldDeleteSnapshots":true,
                "shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":false}}"""));
        assertThat(deleteGroup("")).isEqualTo(TestService.json("""
                {"statefulDeallocation":{"shouldDeleteVolumes":true,"shouldDeleteSnapshots":true,
                "shouldDeleteImages":true,"shouldDeleteNetworkInterfaces":true}}"""));
    }

    @Test
    void unknownValuesAre400AndNothingIsDeleted() {
        String instance = createInstance();
        String group = createGroup();
        clearSpotRequests();

        assertThat(assertError(call("DELETE", "/main/instances/" + instance + "?keep=disks", null), 400))
                .contains("disks").contains("volumes, snapshots, images, networkInterfaces");
        assertError(call("DELETE", "/main/instances/" + instance + "?keep=volumes,everything", null), 400);
        assertError(call("DELETE", "/main/instances/" + instance + "?detach=yes", null), 400);
        assertError(call("DELETE", "/main/elastigroups/" + group + "?keep=instances", null), 400);
        assertError(call("DELETE", "/main/elastigroups/" + group + "?detach=true", null), 400);
        assertThat(assertError(call("DELETE", "/main/elastigroups/" + group + "?keep=amiBackups", null), 400))
                .contains("managed instances only");

        assertOnlyOrgChecksReachedSpot();
        assertThat(storedInstance(instance).path("id").asText()).isEqualTo(instance);
        assertThat(storedGroup(group).path("id").asText()).isEqualTo(group);
    }

    @Test
    void unknownAndOtherAccountsIdsAre404() {
        String instance = createInstance();
        String group = createGroup();
        assertError(call("DELETE", "/main/instances/smi-00000000?keep=volumes", null), 404);
        assertError(call("DELETE", "/main/elastigroups/sig-00000000?keep=volumes", null), 404);
        assertError(call("DELETE", "/other/instances/" + instance + "?keep=volumes", null), 404);
        assertError(call("DELETE", "/other/elastigroups/" + group + "?keep=volumes", null), 404);
    }
}
