package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

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

    /** The warm-up's hint: TLS unless the config file names only http endpoints (the service decides exactly). */
    @Test
    @Timeout(20)
    void tlsIsLikelyUnlessTheConfigNamesOnlyHttpEndpoints(@TempDir Path dir) throws Exception {
        Path http = Files.writeString(dir.resolve("http.json"),
                "{\"accounts\": {\"a\": {\"endpoint\": \"http://127.0.0.1:9\"}}}");
        Path https = Files.writeString(dir.resolve("https.json"),
                "{\"accounts\": {\"a\": {\"endpoint\": \"http://127.0.0.1:9\"}, \"b\": {\"endpoint\": \"HTTPS://x\"}}}");
        Path none = Files.writeString(dir.resolve("none.json"), "{\"accounts\": {\"a\": {\"id\": \"act-1\"}}}");
        assertThat(Main.tlsLikely(new String[] {"-config", http.toString()})).isFalse();
        assertThat(Main.tlsLikely(new String[] {"--config", https.toString()})).isTrue();
        assertThat(Main.tlsLikely(new String[] {"-config", none.toString()})).as("the real Spot API").isTrue();
        assertThat(Main.tlsLikely(new String[] {"-config", dir.resolve("missing.json").toString()})).isTrue();
        assertThat(Main.tlsLikely(new String[] {"--sandbox-dir", "d", "-config", http.toString()})).isTrue();
        // not a regular file (e.g. a pipe: read only once, by the config loader): not read here
        assertThat(Main.tlsLikely(new String[] {"-config", dir.toString()})).isTrue();
        Path fifo = dir.resolve("fifo.json");
        if (new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor() == 0) {
            assertThat(Main.tlsLikely(new String[] {"-config", fifo.toString()})).as("returns without blocking").isTrue();
        }
    }

    /** What Jetty would have asked the MBean server for (UseCompressedOops: 16, else 8), without it. */
    @Test
    void jettyPaddingIsWhatJettyWouldFindOut() {
        boolean compressed = "true".equals(java.lang.management.ManagementFactory.getPlatformMXBean(
                com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("UseCompressedOops").getValue());
        assertThat(Main.referencesPerCacheLine()).isEqualTo(compressed ? 16 : 8);
    }
}
