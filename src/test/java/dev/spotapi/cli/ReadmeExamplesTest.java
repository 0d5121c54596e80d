package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README.md's "Try it" block, run as written by bash against a sandbox started as a user starts it,
 * after the banner's {@code export B=… T='…'} line: every command must succeed (curl fails the run on
 * any HTTP error status), top to bottom, with the ids it captures.
 */
@Order(14) // long: started first
class ReadmeExamplesTest {
    private static final String MARKER = "<!-- readme-examples -->";
    private static final Duration START = Duration.ofSeconds(240); // generous: the machine may be shared

    @TempDir
    Path dir;

    /** The first ```sh block after the marker comment. */
    static String examples() throws Exception {
        String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
        int marker = readme.indexOf(MARKER);
        assertThat(marker).as("README.md has the marker %s", MARKER).isNotNegative();
        int start = readme.indexOf("```sh\n", marker) + "```sh\n".length();
        int end = readme.indexOf("\n```", start);
        return readme.substring(start, end + 1);
    }

    @Test
    void theReadmeExamplesRunTopToBottomAgainstTheSandbox() throws Exception {
        String block = examples();
        assertThat(block).contains("$B/sandbox/elastigroups").contains("$B/sandbox/instances");
        int port = ProgramRun.freePort();
        try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port),
                "--sandbox", "--sandbox-dir", dir.resolve("sandbox").toString())) {
            String banner = run.awaitLine(l -> l.contains("export B="), START);
            String script = "set -euo pipefail\n"
                    + "curl() { command curl --fail-with-body \"$@\"; }\n"   // an HTTP error stops the run
                    + banner.substring(banner.indexOf("export ")) + "\n"
                    + block;
            Process bash = new ProcessBuilder("bash", "-c", script).directory(dir.toFile())
                    .redirectErrorStream(true).start();
            String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(bash.waitFor(2, TimeUnit.MINUTES)).isTrue();
            assertThat(bash.exitValue()).as("bash exit code; output:%n%s", out).isZero();

            assertThat(out).startsWith("pong\n");
            assertThat(out).containsPattern("(?m)^group sig-[0-9a-f]{8}$").containsPattern("(?m)^instance smi-[0-9a-f]{8}$");
            assertThat(out).as("the group update's reply").contains("\"target\":3").contains("[\"t3.small\",\"t3.micro\"]");
            assertThat(out).as("the instance's summary").contains("\"state\":\"ACTIVE\"");
            assertThat(out).as("both deletes").containsPattern("(?s)\nOK\n.*\nOK\n$");
        }
    }
}
