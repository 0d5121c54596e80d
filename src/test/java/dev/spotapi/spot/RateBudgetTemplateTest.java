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
}
