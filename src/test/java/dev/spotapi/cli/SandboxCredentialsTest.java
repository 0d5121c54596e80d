package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox's credentials as a newcomer uses them: the banner's {@code export B=… T='…'} line pasted
 * into bash works, the key (kept in the sandbox directory) stays valid across restarts, and a busy
 * port is one line naming SPOT_API_LISTEN with exit code 2.
 */
class SandboxCredentialsTest {
    private static final Duration START = Duration.ofSeconds(240); // generous: the machine may be shared

    @TempDir
    Path dir;

    @Test
    void theBannersExportLineWorksInBashAndStaysValidAfterARestart() throws Exception {
        int port = ProgramRun.freePort();
        Map<String, String> env = Map.of("SPOT_API_LISTEN", "127.0.0.1:" + port);
        String firstExport;
        String key;
        try (ProgramRun run = ProgramRun.start(dir, env)) {
            firstExport = run.awaitLine(l -> l.contains("export B="), START).strip();
            assertThat(firstExport).matches("In your shell  : export B=http://127\\.0\\.0\\.1:" + port
                    + "/v1/spot T='\\$2a\\$10\\$[./A-Za-z0-9]{53}' S=http://127\\.0\\.0\\.1:[0-9]+");
            key = Files.readString(dir.resolve(".sandbox/pre-shared-key")).strip();
            assertThat(run.output()).contains("Pre-shared key : " + key + "  (generated now, kept in .sandbox/pre-shared-key")
                    .contains("Docs           : http://127.0.0.1:" + port + "/v1/spot/docs")
                    .doesNotContain("SLF4J");
            assertThat(Files.getPosixFilePermissions(dir.resolve(".sandbox/pre-shared-key")))
                    .containsExactlyInAnyOrder(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
            assertThat(pasted(firstExport)).isEqualTo("200 []");
            assertThat(run.terminate(Duration.ofSeconds(30))).isIn(0, 143);
        }
        try (ProgramRun again = ProgramRun.start(dir, env)) {
            again.awaitLine(l -> l.contains("export B="), START);
            assertThat(again.output()).contains("Pre-shared key : " + key + "  (from an earlier start, kept in")
                    .doesNotContain("generated");
            assertThat(pasted(firstExport)).as("the first start's T still works").isEqualTo("200 []");
        }
    }

    @Test
    void aBusyPortIsOneLineNamingSpotApiListenAndExitCode2() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String address = "127.0.0.1:" + taken.getLocalPort();
            try (ProgramRun run = ProgramRun.start(dir, Map.of("SPOT_API_LISTEN", address), "--sandbox")) {
                assertThat(run.exitCode(START)).isEqualTo(2);
                List<String> lines = run.output().lines().filter(l -> !l.isBlank()).toList();
                assertThat(lines).hasSize(1);
                assertThat(lines.get(0)).startsWith("spot-api: cannot listen on " + address).contains("SPOT_API_LISTEN");
            }
        }
    }

    /** Runs the pasted line and a curl with $T and $B in bash: "<status> <body>". */
    private static String pasted(String bannerLine) throws Exception {
        String export = bannerLine.substring(bannerLine.indexOf("export "));
        Process bash = new ProcessBuilder("bash", "-c", export
                + "; curl -s -w ' %{http_code}' -H \"X-Auth-Token: $T\" \"$B/sandbox/instances\"")
                .redirectErrorStream(true).start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(bash.waitFor()).as("bash: %s", out).isZero();
        int space = out.lastIndexOf(' ');
        return out.substring(space + 1) + " " + out.substring(0, space);
    }
}
