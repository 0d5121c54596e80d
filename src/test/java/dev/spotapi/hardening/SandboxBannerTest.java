package dev.spotapi.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 10, kind 10: the sandbox banner prints the pre-shared key (and a token for it) only when spot-api
 * generated the key; a key the operator chose with SPOT_API_TOKEN is never printed, nor any hash of it.
 * The program runs as its own JVM, as a user starts it.
 */
class SandboxBannerTest {
    private static final Pattern BCRYPT = Pattern.compile("\\$2[abxy]\\$\\d\\d\\$[./A-Za-z0-9]{53}");

    @TempDir
    Path dir;

    @Test
    void aKeyTheOperatorChoseIsNeverPrintedAndAGeneratedOneIs() throws Exception {
        String chosen = "operator-chosen-key-4711";
        String withChosenKey = banner(chosen);
        assertThat(withChosenKey).contains("Pre-shared key : from SPOT_API_TOKEN (not shown)")
                .contains("hash-token").doesNotContain(chosen);
        Matcher hashes = BCRYPT.matcher(withChosenKey);
        while (hashes.find()) {
            assertThat(BCrypt.verifyer().verify(chosen.toCharArray(), hashes.group()).verified)
                    .as("a printed hash of the chosen key is a credential too").isFalse();
        }

        String generated = banner(null);
        Matcher key = Pattern.compile("Pre-shared key : (\\S+)\\s+\\(generated").matcher(generated);
        assertThat(key.find()).as("a generated key is shown: %s", generated).isTrue();
        Matcher token = BCRYPT.matcher(generated);
        assertThat(token.find()).isTrue();
        assertThat(BCrypt.verifyer().verify(key.group(1).toCharArray(), token.group()).verified).isTrue();
    }

    /** Starts the sandbox (its own JVM), returns its output once the banner is complete, then stops it. */
    private String banner(String key) throws Exception {
        Path output = dir.resolve("out-" + System.nanoTime() + ".txt");
        List<String> command = new java.util.ArrayList<>(dev.spotapi.support.ChildJvm.command("128m"));
        command.addAll(List.of("dev.spotapi.cli.Main", "--sandbox", "--sandbox-dir", dir.resolve("sandbox").toString()));
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().remove("SPOT_API_TOKEN");
        pb.environment().put("SPOT_API_LISTEN", "127.0.0.1:" + freePort());
        if (key != null) {
            pb.environment().put("SPOT_API_TOKEN", key);
        }
        Process process = pb.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                String text = Files.exists(output) ? Files.readString(output) : "";
                if (text.contains("Try it")) {
                    return text;
                }
                if (!process.isAlive()) {
                    throw new AssertionError("the sandbox exited: " + text);
                }
                Thread.sleep(100);
            }
            throw new AssertionError("no banner within 60 s: " + Files.readString(output));
        } finally {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }


}
