package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The start-up warm-up runs only for commands that start a server. */
class MainTest {
    @Test
    void serversAreTheDefaultCommandTheSimulatorAndTheTraining() {
        assertThat(Main.startsAServer(new String[0])).isTrue();
        assertThat(Main.startsAServer(new String[] {"-config", "c.json"})).isTrue();
        assertThat(Main.startsAServer(new String[] {"--sandbox", "--sandbox-dir", "d"})).isTrue();
        assertThat(Main.startsAServer(new String[] {"simulator", "--port", "0"})).isTrue();
        assertThat(Main.startsAServer(new String[] {"cds-training"})).isTrue();
    }

    @Test
    void oneShotCommandsAreNot() {
        assertThat(Main.startsAServer(new String[] {"-version"})).isFalse();
        assertThat(Main.startsAServer(new String[] {"--help"})).isFalse();
        assertThat(Main.startsAServer(new String[] {"simulator", "-h"})).isFalse();
        assertThat(Main.startsAServer(new String[] {"hash-token", "key"})).isFalse();
        assertThat(Main.startsAServer(new String[] {"-config", "c.json", "--version"})).isFalse();
    }
}
