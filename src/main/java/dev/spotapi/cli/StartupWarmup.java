package dev.spotapi.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * Runs the slow one-time initialisations of the start path on a second thread while the main thread
 * parses arguments and reads the config: the logging backend, the JDK's default TLS context (loads the
 * CA certificates; the Spot HttpClient needs it) and Jackson's databind classes. Each of them is
 * idempotent and thread-safe, so the main thread simply finds them done (or waits on their own locks).
 * With the C1-only JIT the second CPU is otherwise idle during start-up.
 */
final class StartupWarmup {
    private StartupWarmup() {
    }

    static void begin() {
        Thread thread = new Thread(StartupWarmup::run, "startup-warmup");
        thread.setDaemon(true);
        thread.start();
    }

    private static void run() {
        LoggerFactory.getILoggerFactory();
        try {
            SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
            // The HttpClient reports the same problem, with context, when it is built.
        }
        JsonMapper.builder().build().createObjectNode();
    }
}
