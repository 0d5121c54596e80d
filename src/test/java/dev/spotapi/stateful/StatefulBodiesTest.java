package dev.spotapi.stateful;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.power.PowerState;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The typed bodies of the stateful-node routes: what they accept, refuse, and what reaches Spot. */
class StatefulBodiesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode json(String text) throws Exception {
        return (ObjectNode) JSON.readTree(text);
    }

    @Test
    void importBuildsSpotsMigrationBodyFromTypedFieldsOnly() throws Exception {
        ImportRequest r = ImportRequest.parse(json("{\"originalInstanceId\":\"i-0a1b2c3d4e5f67890\",\"region\":\"us-east-1\","
                + "\"keepPrivateIp\":true,\"terminateOriginal\":true,\"name\":\"web-1\",\"instanceTypes\":[\"m5.large\"],"
                + "\"space\":\"s1\"}"));
        // the caller's name is given by the tag write after Spot's answer; in flight the instance carries the marker
        assertThat(r.toSpot("spot-api-import-0123")).isEqualTo(json("{\"migration\":{\"originalInstanceId\":\"i-0a1b2c3d4e5f67890\","
                + "\"region\":\"us-east-1\",\"shouldKeepPrivateIp\":true,\"shouldTerminateInstance\":true,"
                + "\"shouldKeepMetadataOptions\":false,\"managedInstanceName\":\"spot-api-import-0123\","
                + "\"spotInstanceTypes\":[\"m5.large\"]}}"));
        assertThat(r.finalName()).isEqualTo("web-1");
        assertThat(r.space()).isEqualTo("s1");
        assertThat(ImportRequest.parse(json("{\"originalInstanceId\":\"i-0a1b2c3d4e5f67890\",\"region\":\"us-east-1\"}"))
                .finalName()).as("no name: the EC2 instance's id").isEqualTo("i-0a1b2c3d4e5f67890");
    }

    @Test
    void importRefusesWhatSpotWouldRefuseOrWhatItDoesNotKnow() {
        for (String bad : List.of("{\"region\":\"us-east-1\"}",
                "{\"originalInstanceId\":\"i-0a1b2c3d\"}",
                "{\"originalInstanceId\":\"smi-0a1b2c3d\",\"region\":\"us-east-1\"}",
                "{\"originalInstanceId\":\"i-0a1b2c3d\",\"region\":\"moon\"}",
                "{\"originalInstanceId\":\"i-0a1b2c3d\",\"region\":\"us-east-1\",\"keepPrivateIp\":true}",
                "{\"originalInstanceId\":\"i-0a1b2c3d\",\"region\":\"us-east-1\",\"keepPrivateIp\":\"yes\"}",
                "{\"originalInstanceId\":\"i-0a1b2c3d\",\"region\":\"us-east-1\",\"instanceTypes\":\"m5.large\"}",
                "{\"originalInstanceId\":\"i-0a1b2c3d\",\"region\":\"us-east-1\",\"shouldTerminateInstance\":true}",
                "{\"originalInstanceId\":\"i-0a1b2c3d\",\"region\":\"us-east-1\",\"name\":\"spot-api-import-0123\"}")) {
            assertThatThrownBy(() -> ImportRequest.parse(json(bad))).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        // the rule in words, not the pattern
        assertThatThrownBy(() -> ImportRequest.parse(json("{\"originalInstanceId\":\"i-0a1b2c3d\",\"region\":\"us-east-1\","
                + "\"name\":\" x\"}"))).hasMessage("name must be 1 to 128 printable ASCII characters, not starting with a space");
        assertThatThrownBy(() -> ImportRequest.parse(json("{\"originalInstanceId\":\"i-0a\",\"region\":\"us-east-1\"}")))
                .hasMessageContaining("an EC2 instance id");
    }

    @Test
    void bulkPowerTakesStopOrStartAndDistinctManagedInstanceIds() throws Exception {
        BulkPower p = BulkPower.parse(json("{\"state\":\"PAUSE\",\"instances\":[\"smi-0a1b2c3d\",\"smi-1a2b3c4d\"]}"));
        assertThat(p.state()).isEqualTo(PowerState.STOP);
        assertThat(p.spotState()).isEqualTo("PAUSE");
        assertThat(p.instances()).containsExactly("smi-0a1b2c3d", "smi-1a2b3c4d");
        assertThat(BulkPower.parse(json("{\"state\":\"start\",\"instances\":[\"smi-0a1b2c3d\"]}")).spotState())
                .isEqualTo("RESUME");
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i <= BulkPower.MAX_IDS; i++) {
            many.append(i == 0 ? "" : ",").append("\"smi-").append(String.format("%08x", i)).append('"');
        }
        many.append(']');
        for (String bad : List.of("{\"state\":\"reboot\",\"instances\":[\"smi-0a1b2c3d\"]}",
                "{\"instances\":[\"smi-0a1b2c3d\"]}", "{\"state\":\"stop\"}", "{\"state\":\"stop\",\"instances\":[]}",
                "{\"state\":\"stop\",\"instances\":[\"sig-0a1b2c3d\"]}", "{\"state\":\"stop\",\"instances\":[1]}",
                "{\"state\":\"stop\",\"instances\":[\"smi-0a1b2c3d\",\"smi-0a1b2c3d\"]}",
                "{\"state\":\"stop\",\"instances\":" + many + "}",
                "{\"state\":\"stop\",\"instances\":[\"smi-0a1b2c3d\"],\"force\":true}")) {
            assertThatThrownBy(() -> BulkPower.parse(json(bad))).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
