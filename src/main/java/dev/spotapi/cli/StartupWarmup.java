package dev.spotapi.cli;

import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.spotapi.config.ServiceConfig;
import io.javalin.Javalin;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;

/**
 * Runs the slow one-time initialisations of the start path on a second thread while the main thread
 * reads the config and builds the service: the JDK's default TLS context (loads the CA certificates; the
 * Spot HttpClient needs it when an endpoint is https, {@link dev.spotapi.SpotTls}), Jetty's server and
 * connector classes (and Javalin's, for the simulator), Jackson's databind classes and, when this start runs the simulator, SQLite's native
 * library (an {@code uname} process and a copy to the temporary directory); once the service serves
 * ({@link #serving()}), the signed jar of bcrypt's byte helpers (its signature is checked when the first
 * class loads) for the first token verification. Each of them is idempotent
 * and thread-safe, so the main thread simply finds them done (or waits on their own locks). With the
 * C1-only JIT the second CPU is otherwise idle during start-up. Measured by bench/first-run.sh and
 * docs/performance.md (warm start).
 */
final class StartupWarmup {
    private StartupWarmup() {
    }

    /** Opened by the main thread once SLF4J and Logback are up ({@link #loggingReady()}). */
    private static final CountDownLatch LOGGING = new CountDownLatch(1);
    /** Opened by the main thread once the service answers HTTP ({@link #serving()}). */
    private static final CountDownLatch SERVING = new CountDownLatch(1);

    /**
     * Starts the warm-up thread (a daemon: it never delays the exit), before the main thread starts the
     * logging backend: until {@link #loggingReady()} it only does what logs nothing (Jackson, TLS). {@code tls}:
     * whether this start will probably need the default TLS context ({@link Main#tlsLikely}); only a hint.
     */
    static void begin(boolean simulator, boolean tls) {
        Thread thread = new Thread(() -> run(simulator, tls), "startup-warmup");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Called by the main thread once SLF4J and Logback are initialised: started by the warm-up thread and the
     * main thread at once, SLF4J replays the calls made meanwhile and prints a three-line warning about it.
     */
    static void loggingReady() {
        LOGGING.countDown();
    }

    /**
     * Called by the main thread once the service's server has started: what only the first requests need (bcrypt,
     * for the first token verification) is prepared after that, not while the main thread still needs the CPU.
     */
    static void serving() {
        SERVING.countDown();
    }

    private static void run(boolean simulator, boolean tls) {
        // Before the logging backend is up (the main thread starts it meanwhile): Jackson, which logs nothing,
        // with the config file's types (read by the main thread right after the logging backend), and the TLS
        // context (the JDK's, no SLF4J). Then what the main thread needs later, latest first: it reaches
        // Jetty (Javalin too, for the simulator) after Micrometer and the Spot HttpClient, which it starts on its own.
        try {
            JsonMapper.builder().build().readValue("{\"accounts\":{\"a\":{}}}", ServiceConfig.class);
        } catch (Exception e) {
            // Only the classes and the JDK's reflection caches matter here; the main thread reads the real file.
        }
        // The JVM's operating-system bean (MetricLimits' CPU counter, the readiness check; ~11 ms of the main
        // thread), Caffeine's cache classes of the shapes EmbeddedSharedState builds (~11 ms) and Spot's object
        // schemas (SpotSchema, read from the jar; ~9 ms): none of them logs (async-profiler, warm start)
        java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        com.github.benmanes.caffeine.cache.Caffeine.newBuilder().maximumWeight(1)
                .weigher((Object k, Object v) -> 1).expireAfter(new com.github.benmanes.caffeine.cache.Expiry<>() {
                    @Override
                    public long expireAfterCreate(Object key, Object value, long now) {
                        return 1;
                    }

                    @Override
                    public long expireAfterUpdate(Object key, Object value, long now, long current) {
                        return current;
                    }

                    @Override
                    public long expireAfterRead(Object key, Object value, long now, long current) {
                        return current;
                    }
                }).build();
        com.github.benmanes.caffeine.cache.Caffeine.newBuilder().expireAfterAccess(1, TimeUnit.MINUTES).build();
        com.github.benmanes.caffeine.cache.Caffeine.newBuilder().expireAfterWrite(1, TimeUnit.MINUTES).build();
        dev.spotapi.spot.SpotSchema.GROUP.getClass();
        if (tls) {
            try {
                SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                // The HttpClient reports the same problem, with context, when it is built.
            }
        }
        try {
            if (!LOGGING.await(30, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            return;
        }
        // SQLite first when the simulator runs in this process (it starts before the service)
        if (simulator) {
            try {
                org.sqlite.SQLiteJDBCLoader.initialize();
            } catch (Exception e) {
                // The simulator reports the same problem, with context, when it opens its database.
            }
        }
        if (simulator) {
            Javalin.create(config -> config.startup.showJavalinBanner = false); // the simulator's HTTP server
        }
        org.eclipse.jetty.server.Server jetty = new org.eclipse.jetty.server.Server();
        jetty.addConnector(new org.eclipse.jetty.server.ServerConnector(jetty));
        // bcrypt's helper jar is signed: its classes cannot be archived, and its signature is checked when the
        // first one loads (~30 ms of CPU, the JDK's PKCS#7 and X.509 classes): only once the service serves
        try {
            if (!SERVING.await(30, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            return;
        }
        at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hashToString(4, "warm-up".toCharArray());
    }
}
