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

    /** {@code -config FILE} alone, as the image starts the service, is served without picocli; anything else goes through it. */
    @Test
    void onlyAConfigFileAloneSkipsTheCommandLineParser() {
        assertThat(Main.isConfigOnly(new String[] {"-config", "/etc/spot-api/config.json"})).isTrue();
        assertThat(Main.isConfigOnly(new String[] {"--config", "c.json"})).isTrue();
        assertThat(Main.isConfigOnly(new String[] {"-config"})).isFalse();
        assertThat(Main.isConfigOnly(new String[] {"-config", "c.json", "--sandbox"})).isFalse();
        assertThat(Main.isConfigOnly(new String[] {"-config", "--sandbox"})).isFalse();
        assertThat(Main.isConfigOnly(new String[] {"-config", "@args.txt"})).isFalse();
        assertThat(Main.isConfigOnly(new String[] {"-config", ""})).isFalse();
        assertThat(Main.isConfigOnly(new String[] {"--sandbox-dir", "d"})).isFalse();
        assertThat(Main.isConfigOnly(new String[] {"simulator", "c.json"})).isFalse();
    }
}
