package dev.spotapi.hardening;

import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.support.TestService;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One standalone simulator for a test class of the wire tests, which put {@link RawSpot} between spot-api's client and
 * it: {@code @RegisterExtension static final SimulatorPerClass SIM = new SimulatorPerClass();}. Started before the
 * class's first test and closed after its last; a static field of each class, so classes running at once do not share it.
 */
final class SimulatorPerClass implements BeforeAllCallback, AfterAllCallback {
    private volatile SpotSimulator sim;

    @Override
    public void beforeAll(ExtensionContext context) {
        sim = TestService.simulator();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        sim.close();
    }

    /** The simulator's base URL ({@code http://127.0.0.1:PORT}). */
    String baseUrl() {
        return sim.baseUrl();
    }

    /** A {@link RawSpot} script that hands every request on to the simulator, answered as it answers. */
    RawSpot.Script proxy() {
        return RawSpot.proxyTo(sim.baseUrl());
    }
}
