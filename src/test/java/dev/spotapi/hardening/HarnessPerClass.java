package dev.spotapi.hardening;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * Base of the hardening test classes that share one {@link Harness#quick()} service and simulator per
 * class: started before the class's first test, reset (simulator state, faults, request log) before
 * each test, closed after the class.
 */
abstract class HarnessPerClass {
    static Harness h;

    @BeforeAll
    static void startHarness() {
        h = Harness.start(Harness.quick());
    }

    @AfterAll
    static void stopHarness() {
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
