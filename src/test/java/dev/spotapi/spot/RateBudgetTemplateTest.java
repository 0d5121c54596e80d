package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The unit Spot counts rate limits by (contract section 9.2): account, method and route template. */
class RateBudgetTemplateTest {
    @Test
    void idsInThePathBecomeOnePlaceholder() {
        assertThat(RateBudget.template("/aws/ec2/group")).isEqualTo("/aws/ec2/group");
        assertThat(RateBudget.template("/aws/ec2/group/sig-0a1b2c3d")).isEqualTo("/aws/ec2/group/{id}");
        assertThat(RateBudget.template("/aws/ec2/managedInstance/smi-89ba0299/status"))
                .isEqualTo("/aws/ec2/managedInstance/{id}/status");
        assertThat(RateBudget.bucket("main", SpotCall.put("pause", "/aws/ec2/managedInstance/smi-1234abcd/pause", null)))
                .isEqualTo("main PUT /aws/ec2/managedInstance/{id}/pause");
    }

    /**
     * Every id a caller chooses, of whatever kind or shape, is the placeholder: made-up ids never make budgets (nor
     * Redis keys) of their own (attack round 6: made-up migration ids each had a budget).
     */
    @Test
    void anyIdACallerChoosesIsOnePlaceholder() {
        for (String id : new String[] {"smg-a001", "smg-ffff", "ssi-1234", "sbgd-99", "vol-0abc", "i-0123", "anything",
                "%2e%2e", "sig-0a1b2c3d"}) {
            assertThat(RateBudget.template("/aws/ec2/managedInstance/migration/" + id))
                    .isEqualTo("/aws/ec2/managedInstance/migration/{id}");
            assertThat(RateBudget.template("/aws/ec2/group/sig-1/roll/" + id)).isEqualTo("/aws/ec2/group/{id}/roll/{id}");
            assertThat(RateBudget.template("/aws/ec2/group/sig-1/statefulInstance/" + id + "/volume/" + id))
                    .isEqualTo("/aws/ec2/group/{id}/statefulInstance/{id}/volume/{id}");
        }
        assertThat(RateBudget.template("/aws/ec2/group/sig-1/scale/up")).isEqualTo("/aws/ec2/group/{id}/scale/up");
        assertThat(RateBudget.template("/aws/ec2/managedInstance/migration/bulk"))
                .isEqualTo("/aws/ec2/managedInstance/migration/bulk");
    }
}
