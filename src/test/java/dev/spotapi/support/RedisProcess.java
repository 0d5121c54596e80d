package dev.spotapi.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import redis.embedded.RedisServer;

/**
 * A real {@code redis-server} process on a random loopback port, for the shared-state tests. The binary
 * comes with the {@code embedded-redis} test dependency (Maven Central), so a fresh machine needs
 * nothing installed. No persistence (every start is empty), unless started {@link #startIn in a directory}: then
 * {@code SAVE} writes a snapshot there that a restart loads.
 */
public final class RedisProcess implements AutoCloseable {
    private final int port;
    /** Where {@code SAVE} writes its snapshot and a start loads it from; null: none. */
    private final java.nio.file.Path dir;
    private RedisServer server;

    private RedisProcess(int port, java.nio.file.Path dir) {
        this.port = port;
        this.dir = dir;
    }

    /** Starts redis-server on a free loopback port. */
    public static RedisProcess start() {
        RedisProcess p = new RedisProcess(freePort(), null);
        p.startServer();
        return p;
    }

    /**
     * Starts redis-server on a free loopback port with {@code dir} as its working directory: nothing is saved by
     * itself, an explicit {@code SAVE} writes {@code dump.rdb} there, and {@link #restart()} loads it.
     */
    public static RedisProcess startIn(java.nio.file.Path dir) {
        RedisProcess p = new RedisProcess(freePort(), dir);
        p.startServer();
        return p;
    }

    /** {@code redis://127.0.0.1:PORT}. */
    public String url() {
        return "redis://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The redis-server process id (from its {@code INFO server}). */
    public long pid() {
        io.lettuce.core.RedisClient client = io.lettuce.core.RedisClient.create(url());
        try (var c = client.connect()) {
            return c.sync().info("server").lines().filter(l -> l.startsWith("process_id:"))
                    .map(l -> Long.parseLong(l.substring(11).trim())).findFirst().orElseThrow();
        } finally {
            client.shutdown();
        }
    }

    /** Sends the process {@code signal} ({@code STOP}: a stalled Redis, {@code CONT}: resumed) with {@code kill}. */
    public static void signal(String signal, long pid) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
            if (!kill.waitFor(5, java.util.concurrent.TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + pid + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the process (a Redis outage); {@link #restart()} brings it back on the same port, empty. */
    public void stop() {
        try {
            server.stop();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void restart() {
        startServer();
    }

    private void startServer() {
        for (int attempt = 1; ; attempt++) {
            try {
                var builder = RedisServer.newRedisServer()
                        .bind("127.0.0.1")
                        .port(port)
                        .setting("save \"\"")
                        .setting("appendonly no");
                if (dir != null) {
                    builder.setting("dir " + dir).setting("dbfilename dump.rdb");
                }
                server = builder.build();
                server.start();
                break;
            } catch (IOException e) {
                // embedded-redis writes the binary to a new temp file and runs it; a child process that another
                // test thread forks meanwhile inherits the file still open for writing, and the exec fails
                // with ETXTBSY until that child has exec'd (JDK-8068370): try again shortly
                if (attempt >= 10 || !textFileBusy(e)) {
                    throw new UncheckedIOException(e);
                }
                pause(50L * attempt);
            }
        }
        long until = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < until) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.onSpinWait();
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    private static boolean textFileBusy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && t.getMessage().contains("Text file busy")) {
                return true;
            }
        }
        return false;
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        if (server != null && server.isActive()) {
            stop();
        }
    }
}
