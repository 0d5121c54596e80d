package dev.spotapi.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.Javalin;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * Runs the slow one-time initialisations of the start path on a second thread while the main thread
 * reads the config and builds the service: the JDK's default TLS context (loads the CA certificates; the
 * Spot HttpClient needs it when an endpoint is https, {@link dev.spotapi.SpotTls}), Javalin's
 * configuration classes, the signed jar of bcrypt's byte helpers (its signature is checked when the first
 * class loads), Jackson's databind classes and, when this start runs the simulator, SQLite's native
 * library (an {@code uname} process and a copy to the temporary directory). Each of them is idempotent
 * and thread-safe, so the main thread simply finds them done (or waits on their own locks). With the
 * C1-only JIT the second CPU is otherwise idle during start-up. Measured by bench/first-run.sh and
 * docs/performance.md (warm start).
 */
final class StartupWarmup {
    private StartupWarmup() {
    }

    /**
     * Starts the warm-up thread (a daemon: it never delays the exit). {@code tls}: whether this start will
     * probably need the default TLS context ({@link Main#tlsLikely}); only a hint for what to prepare.
     */
    static void begin(boolean simulator, boolean tls) {
        Thread thread = new Thread(() -> run(simulator, tls), "startup-warmup");
        thread.setDaemon(true);
        thread.start();
    }

    private static void run(boolean simulator, boolean tls) {
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
        if (tls) {
            try {
                SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                // The HttpClient reports the same problem, with context, when it is built.
            }
        }
        Javalin.create(config -> config.startup.showJavalinBanner = false);
        at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, "warm-up".toCharArray());
        JsonMapper.builder().build().createObjectNode();
        LoggerFactory.getILoggerFactory();
    }
}
