package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.cost.CostQuery;
import dev.spotapi.power.PowerPlan;
import dev.spotapi.power.PowerState;
import dev.spotapi.tags.ResourceTagging;
import dev.spotapi.tags.TagChange;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;

/** The rules behind the portal's routes (issue 23): the power table, tag bodies, tagging defaults, cost queries. */
class PortalRulesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode json(String s) throws Exception {
        return (ObjectNode) JSON.readTree(s);
    }

    @Test
    void thePowerTable() {
        assertThat(PowerPlan.forInstance(PowerState.STOP, "PAUSED")).isEqualTo(PowerPlan.ALREADY);
        assertThat(PowerPlan.forInstance(PowerState.STOP, "pausing")).isEqualTo(PowerPlan.UNDER_WAY);
        assertThat(PowerPlan.forInstance(PowerState.STOP, "RESUMING")).isEqualTo(PowerPlan.OPPOSITE);
        assertThat(PowerPlan.forInstance(PowerState.STOP, "RECYCLING")).isEqualTo(PowerPlan.OPPOSITE);
        assertThat(PowerPlan.forInstance(PowerState.STOP, "ACTIVE")).isEqualTo(PowerPlan.ACT);
        assertThat(PowerPlan.forInstance(PowerState.START, "ACTIVE")).isEqualTo(PowerPlan.ALREADY);
        assertThat(PowerPlan.forInstance(PowerState.START, "RESUMING")).isEqualTo(PowerPlan.UNDER_WAY);
        assertThat(PowerPlan.forInstance(PowerState.START, "RECYCLING")).isEqualTo(PowerPlan.UNDER_WAY);
        assertThat(PowerPlan.forInstance(PowerState.START, "PAUSING")).isEqualTo(PowerPlan.OPPOSITE);
        assertThat(PowerPlan.forInstance(PowerState.START, "PAUSED")).isEqualTo(PowerPlan.ACT);
        assertThat(PowerPlan.forInstance(PowerState.START, "ERROR")).isEqualTo(PowerPlan.ACT);
        assertThat(PowerPlan.forInstance(PowerState.START, null)).isEqualTo(PowerPlan.ACT);
        for (String s : new String[] {"ACTIVE", "PAUSED", "PAUSING", "RESUMING", "RECYCLING"}) {
            assertThat(PowerPlan.forInstance(PowerState.REBOOT, s)).isEqualTo(PowerPlan.ACT);
        }
        assertThat(PowerPlan.alreadyThere(PowerState.STOP, "MANAGED_INSTANCE_ALREADY_PAUSED")).isTrue();
        assertThat(PowerPlan.alreadyThere(PowerState.START, "MANAGED_INSTANCE_NOT_PAUSED")).isTrue();
        assertThat(PowerPlan.alreadyThere(PowerState.START, "MANAGED_INSTANCE_IN_TRANSITION")).isFalse();
        assertThat(PowerPlan.alreadyThere(PowerState.REBOOT, "MANAGED_INSTANCE_ALREADY_PAUSED")).isFalse();
    }

    @Test
    void poweroffIsStop() throws Exception {
        assertThat(PowerState.fromBody(json("{\"state\":\"poweroff\"}"))).isEqualTo(PowerState.STOP);
        assertThat(PowerState.fromBody(json("{\"state\":\"PowerOff\"}"))).isEqualTo(PowerState.STOP);
    }

    @Test
    void tagBodies() throws Exception {
        TagChange c = TagChange.fromBody(json("{\"tags\":{\"a\":\"1\",\"b\":null,\"spinup:spaceid\":\"s\"}}"));
        assertThat(c.changes()).containsEntry("a", "1").containsEntry("b", null).containsEntry("spinup:spaceid", "s");
        assertThatThrownBy(() -> TagChange.fromBody(json("{\"tags\":{\"spinup:org\":\"x\",\"spot-api:y\":\"z\"}}")))
                .hasMessageContaining("spinup:org").hasMessageContaining("spot-api:y");
        assertThatThrownBy(() -> TagChange.fromBody(json("{\"tags\":{\"a\":1}}"))).hasMessageContaining("string or null");
        assertThatThrownBy(() -> TagChange.fromBody(json("{\"tags\":{\"\":\"x\"}}"))).hasMessageContaining("1 to 128");
        assertThatThrownBy(() -> TagChange.fromBody(json("{\"tags\":{\"a\":\"" + "v".repeat(257) + "\"}}")))
                .hasMessageContaining("256");
        assertThatThrownBy(() -> TagChange.fromBody(json("{\"tags\":{},\"extra\":1}"))).hasMessageContaining("extra");
        assertThatThrownBy(() -> TagChange.fromBody(json("{}"))).hasMessageContaining("tags is required");
    }

    @Test
    void volumesAndEnisAreTaggedUnlessTheCallerChose() throws Exception {
        ObjectNode out = ResourceTagging.withDefaults(json("{\"compute\":{\"launchSpecification\":{\"imageId\":\"ami-1\"}}}"));
        assertThat(out.at("/compute/launchSpecification/resourceTagSpecification").toString())
                .isEqualTo("{\"volumes\":{\"shouldTag\":true},\"enis\":{\"shouldTag\":true}}");
        ObjectNode chose = json("{\"compute\":{\"launchSpecification\":{\"resourceTagSpecification\":"
                + "{\"volumes\":{\"shouldTag\":false},\"amis\":{\"shouldTag\":true}}}}}");
        assertThat(ResourceTagging.withDefaults(chose).at("/compute/launchSpecification/resourceTagSpecification").toString())
                .isEqualTo("{\"volumes\":{\"shouldTag\":false},\"amis\":{\"shouldTag\":true},\"enis\":{\"shouldTag\":true}}");
        ObjectNode odd = json("{\"compute\":\"x\"}");
        assertThat(ResourceTagging.withDefaults(odd)).isEqualTo(odd);
        assertThat(ResourceTagging.withDefaults(json("{}")).at("/compute/launchSpecification/resourceTagSpecification/enis/shouldTag")
                .asBoolean()).isTrue();
    }

    @Test
    void costQueries() {
        CostQuery q = CostQuery.parse("2026-01-01", "2026-02-01", "", "SPACE", "daily");
        assertThat(q.start()).isEqualTo(LocalDate.of(2026, 1, 1));
        assertThat(q.space()).isNull();
        assertThat(q.groupBy()).isEqualTo(CostQuery.GroupBy.SPACE);
        assertThat(q.granularity()).isEqualTo(CostQuery.Granularity.DAILY);
        assertThat(CostQuery.parse("2026-01-01", "2026-01-02", "s", null, null).granularity())
                .isEqualTo(CostQuery.Granularity.MONTHLY);
        assertThatThrownBy(() -> CostQuery.parse("2026-01-02", "2026-01-02", null, null, null)).hasMessageContaining("after");
        assertThatThrownBy(() -> CostQuery.parse("2026-01-01", "2027-06-01", null, null, null)).hasMessageContaining("366");
        assertThatThrownBy(() -> CostQuery.parse("yesterday", "2026-01-02", null, null, null)).hasMessageContaining("yyyy-MM-dd");
        assertThatThrownBy(() -> CostQuery.parse(null, "2026-01-02", null, null, null)).hasMessageContaining("required");
        assertThatThrownBy(() -> CostQuery.parse("2026-01-01", "2026-01-02", null, "service", null)).hasMessageContaining("groupBy");
        assertThatThrownBy(() -> CostQuery.parse("2026-01-01", "2026-01-02", null, null, "hourly")).hasMessageContaining("granularity");
    }
}
