package dev.spotapi.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.Javalin;
import java.lang.management.ManagementFactory;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * Runs the slow one-time initialisations of the start path on a second thread while the main thread
 * parses arguments (picocli alone takes ~150 ms) and reads the config: the logging backend, the JDK's
 * default TLS context (loads the CA certificates; the Spot HttpClient needs it), Jackson's databind
 * classes, the platform MBean server (Jetty's thread pool asks it for the cache line size: ~80 ms),
 * Jetty's server and connector classes (and Javalin's, for the simulator), the signed jar of bcrypt's byte helpers (its signature is checked
 * when the first class loads) and, when this start runs the simulator, SQLite's native library (an
 * {@code uname} process and a copy to the temporary directory). Each of them is idempotent and
 * thread-safe, so the main thread simply finds them done (or waits on their own locks). With the C1-only
 * JIT the second CPU is otherwise idle during start-up. Measured by bench/first-run.sh (warm start).
 */
final class StartupWarmup {
    private StartupWarmup() {
    }

    /** Starts the warm-up thread (a daemon: it never delays the exit). */
    static void begin(boolean simulator) {
        Thread thread = new Thread(() -> run(simulator), "startup-warmup");
        thread.setDaemon(true);
        thread.start();
    }

    private static void run(boolean simulator) {
        // SQLite first when the simulator runs in this process (it starts before the service); then what the
        // main thread needs late, latest first: it reaches the TLS context (the Spot HttpClient) and Jetty only
        // after the config, Logback, Jackson and Micrometer, which it starts on its own at once; done first
        // here, they are ready when it gets there instead of being raced for.
        if (simulator) {
            try {
                org.sqlite.SQLiteJDBCLoader.initialize();
            } catch (Exception e) {
                // The simulator reports the same problem, with context, when it opens its database.
            }
        }
        try {
            SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            // The HttpClient reports the same problem, with context, when it is built.
        }
        if (simulator) {
            Javalin.create(config -> config.startup.showJavalinBanner = false); // the simulator's HTTP server
        }
        org.eclipse.jetty.server.Server jetty = new org.eclipse.jetty.server.Server();
        jetty.addConnector(new org.eclipse.jetty.server.ServerConnector(jetty));
        ManagementFactory.getPlatformMBeanServer();
        at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, "warm-up".toCharArray());
        JsonMapper.builder().build().createObjectNode();
        LoggerFactory.getILoggerFactory();
    }
}
