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

    /**
     * The JVM's launcher resolves every type in the main class's method signatures before {@code main} runs: none
     * of them may be picocli's (not in the class-data-sharing archive: a {@code -config FILE} start would read it
     * from its jar and open the jars before it, though it never parses a command line; {@link Commands}).
     */
    @Test
    void theMainClassNamesNoTypeOutsideTheJdkAndTheService() {
        for (java.lang.reflect.Method m : Main.class.getDeclaredMethods()) {
            java.util.List<Class<?>> types = new java.util.ArrayList<>(java.util.List.of(m.getParameterTypes()));
            types.add(m.getReturnType());
            for (Class<?> type : types) {
                Class<?> named = type.isArray() ? type.getComponentType() : type;
                assertThat(named.isPrimitive() || named.getName().startsWith("java.")
                        || named.getName().startsWith("dev.spotapi.")).as("%s names %s", m, named).isTrue();
            }
        }
    }

    /**
     * SLF4J is given Logback by name (no class-path scan at start) and says nothing about it: a one-shot command
     * prints its answer and nothing on stderr.
     */
    @Test
    @Timeout(60)
    void slf4jIsToldItsProviderAndStaysQuiet(@TempDir Path dir) throws Exception {
        assertThat(version(dir, "-Dspotapi.test=1")).isEmpty();
        // told to speak, SLF4J says where its provider came from: the property Main set
        assertThat(version(dir, "-D" + Main.SLF4J_VERBOSITY + "=INFO"))
                .contains("\"" + LogbackProvider.class.getName() + "\" specified via \"slf4j.provider\"");
    }

    /** Runs {@code Main --version} in a child JVM with {@code flag}; checks its answer, returns its stderr. */
    private static String version(Path dir, String flag) throws Exception {
        Path out = dir.resolve("out");
        Path err = dir.resolve("err");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), flag,
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--version")
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertThat(p.waitFor()).isZero();
        assertThat(Files.readString(out)).startsWith("spot-api ");
        return Files.readString(err);
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
        // what the archive's training prepares is archived: TLS only for the archive of an https config
        assertThat(Main.tlsLikely(new String[] {"cds-training", "--service-only"})).isFalse();
        assertThat(Main.tlsLikely(new String[] {"cds-training", "--service-only", "--tls"})).isTrue();
    }

    /** What Jetty would have asked the MBean server for (UseCompressedOops: 16, else 8), without it. */
    @Test
    void jettyPaddingIsWhatJettyWouldFindOut() {
        boolean compressed = "true".equals(java.lang.management.ManagementFactory.getPlatformMXBean(
                com.sun.management.HotSpotDiagnosticMXBean.class).getVMOption("UseCompressedOops").getValue());
        assertThat(Main.referencesPerCacheLine()).isEqualTo(compressed ? 16 : 8);
    }
}
