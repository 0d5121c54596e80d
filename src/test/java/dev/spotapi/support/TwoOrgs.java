package dev.spotapi.support;

import dev.spotapi.SpotApi;
import dev.spotapi.sim.SpotSimulator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Two deployments of different orgs ({@code alpha} and {@code beta}, test settings) over one simulator account, for a
 * test class's org isolation tests: register it as a static {@code @RegisterExtension} field; started before the
 * class's tests, stopped after them.
 */
public final class TwoOrgs implements BeforeAllCallback, AfterAllCallback {
    private SpotSimulator sim;
    private SpotApi alpha;
    private SpotApi beta;

    @Override
    public void beforeAll(ExtensionContext context) {
        sim = SpotSimulator.builder().port(0).account(TestService.MAIN_ID, "main-spot-token").start();
        alpha = SpotApi.start(TestService.config(sim.baseUrl(), TestService.fastSettings()).withOrg("alpha"));
        beta = SpotApi.start(TestService.config(sim.baseUrl(), TestService.fastSettings()).withOrg("beta"));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        TestService.closeAll(alpha, beta, sim);
    }

    /** The simulator both deployments call (account {@link TestService#MAIN_ID}, token {@code main-spot-token}). */
    public SpotSimulator sim() {
        return sim;
    }

    /** The deployment of org {@code alpha}. */
    public SpotApi alpha() {
        return alpha;
    }

    /** The deployment of org {@code beta}. */
    public SpotApi beta() {
        return beta;
    }
}
