package dev.spotapi.hardening;

import dev.spotapi.config.SpotClientSettings;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInstance;

/**
 * Base of the hardening test classes that share one service and simulator per class: started before the
 * class's first test with {@link #settings()} (default {@link Harness#quick()}), reset (simulator state,
 * faults, request log) before each test, closed after the class. One test instance per class, so that
 * {@link #settings()} can be overridden; the subclasses keep no per-test instance state. The harness is an
 * instance field, not a static one: subclasses run concurrently in the one test JVM.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class HarnessPerClass {
    Harness h;

    /** The Spot client settings of this class's service. */
    SpotClientSettings settings() {
        return Harness.quick();
    }

    /** Changes to this class's service config (tasks, auth, limits); none by default. */
    java.util.function.UnaryOperator<dev.spotapi.config.ServiceConfig> config() {
        return c -> c;
    }

    @BeforeAll
    void startHarness() {
        h = Harness.start(settings(), config());
    }

    @AfterAll
    void stopHarness() {
        if (h != null) {
            h.close();
            h = null;
        }
    }

    @BeforeEach
    void resetHarness() {
        h.reset();
    }
}
