package dev.spotapi.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.shared.RedisSharedState;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scaled overlay's Redis command, run for real (issue 25): the container's {@code sh -c} line of the
 * rendered StatefulSet, with the test's redis-server binary (embedded-redis) for {@code redis-server}, a free
 * loopback port for 6379 and a temporary directory for {@code /data}, and the Secret's values in its
 * environment. spot-api's client then authenticates as the ACL user, the {@code default} user is refused,
 * and writes land in the append-only file.
 */
class RedisManifestCommandTest {
    @Test
    void theRedisOfTheScaledOverlayServesTheAclUserAndKeepsAnAppendOnlyFile(@TempDir Path dir) throws Exception {
        StatefulSet redis = Manifests.render(Manifests.OVERLAYS.resolve("scaled")).stream()
                .map(Manifests.Manifest::object).filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast)
                .findFirst().orElseThrow();
        Container c = redis.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getCommand()).containsExactly("sh", "-c");
        int port = freePort();
        String script = c.getArgs().get(0);
        assertThat(script).startsWith("exec redis-server ").contains("--port 6379", "--dir /data");
        Path data = Files.createDirectories(dir.resolve("data"));
        script = script.replace("exec redis-server ", "exec " + binary(dir) + " --bind 127.0.0.1 ")
                .replace("--port 6379", "--port " + port).replace("--dir /data", "--dir " + data);
        String password = "p@ss w\"rd$x'1";
        List<String> command = new ArrayList<>(c.getCommand());
        command.add(script);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("redis.log").toFile());
        pb.environment().put("REDIS_USERNAME", "spot-api");
        pb.environment().put("REDIS_PASSWORD", password);
        Process process = start(pb);
        try {
            awaitPort(port, process, dir.resolve("redis.log"));
            String url = "redis://127.0.0.1:" + port;
            RedisSharedState asUser = new RedisSharedState(url, "spot-api", password, Duration.ofSeconds(2));
            try {
                assertThat(asUser.reachable()).isTrue();
                asUser.markWritten("manifest-test");
                assertThat(asUser.writeMark("manifest-test")).isNotNull();
            } finally {
                asUser.close();
            }
            for (String user : new String[] {null, "default"}) {
                RedisSharedState other = new RedisSharedState(url, user, password, Duration.ofSeconds(2));
                try {
                    assertThat(other.reachable()).as("user %s", user).isFalse();
                } finally {
                    other.close();
                }
            }
            // appendfsync everysec: the file has the write within about a second
            long until = System.nanoTime() + 5_000_000_000L;
            String aof = "";
            while (System.nanoTime() < until && !aof.contains("manifest-test")) {
                try (var files = Files.walk(data)) {
                    aof = files.filter(Files::isRegularFile).filter(p -> p.getFileName().toString().contains(".aof"))
                            .map(RedisManifestCommandTest::readLatin1).reduce("", String::concat);
                }
                Thread.sleep(50);
            }
            assertThat(aof).as("the append-only file in --dir").contains("manifest-test");
        } finally {
            process.destroy();
            process.waitFor();
        }
    }

    /** The redis-server binary embedded-redis ships for this machine, copied to {@code dir}. */
    private static Path binary(Path dir) throws IOException {
        String arch = System.getProperty("os.arch");
        String name = arch.contains("aarch64") || arch.contains("arm64") ? "redis-server-6.2.7-linux-arm64"
                : "redis-server-6.2.6-v5-linux-amd64";
        Path target = dir.resolve("redis-server");
        try (InputStream in = RedisManifestCommandTest.class.getResourceAsStream("/" + name)) {
            assertThat(in).as("embedded-redis binary %s", name).isNotNull();
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
        assertThat(target.toFile().setExecutable(true)).isTrue();
        return target;
    }

    /** Starts it, trying again while the just-written binary is still open in a sibling's fork (ETXTBSY). */
    private static Process start(ProcessBuilder pb) throws IOException, InterruptedException {
        for (int attempt = 1; ; attempt++) {
            Process p = pb.start();
            Thread.sleep(100);
            String log = readLatin1(pb.redirectOutput().file().toPath());
            if (p.isAlive() || !log.contains("Text file busy") || attempt >= 10) {
                return p;
            }
            Thread.sleep(50L * attempt);
        }
    }

    private static void awaitPort(int port, Process process, Path log) throws InterruptedException {
        long until = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < until) {
            assertThat(process.isAlive()).as("redis-server running: %s", readLatin1(log)).isTrue();
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(20);
            }
        }
        throw new AssertionError("redis-server did not listen: " + readLatin1(log));
    }

    private static String readLatin1(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
