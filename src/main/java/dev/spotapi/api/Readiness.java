package dev.spotapi.api;

import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this instance should receive traffic, and whether it is still alive: serving until shutdown
 * begins; neither ready nor live once a fatal {@link Error} (an {@link OutOfMemoryError}, a {@link
 * StackOverflowError}, ...) was seen on a request path, because a JVM that has thrown one may no longer be
 * able to serve. {@code /ready} then answers 503 and {@code /ping} (the liveness probe) 503, so that the
 * orchestrator stops routing to the replica and restarts it. When the JVM runs with
 * {@code -XX:+ExitOnOutOfMemoryError} (the launcher and the image do), an {@link OutOfMemoryError} thrown by
 * Java code (direct buffer memory, which the flag itself does not cover) ends the process at once, as the
 * flag does for the heap.
 */
public final class Readiness {
    private static final Logger LOG = LoggerFactory.getLogger(Readiness.class);

    private final AtomicBoolean serving = new AtomicBoolean(true);
    private final AtomicReference<String> fatal = new AtomicReference<>();
    private final boolean exitOnOutOfMemory;

    /** Readiness that ends the process on an {@link OutOfMemoryError} when the JVM runs with ExitOnOutOfMemoryError. */
    public Readiness() {
        this(exitOnOutOfMemoryErrorFlag());
    }

    Readiness(boolean exitOnOutOfMemory) {
        this.exitOnOutOfMemory = exitOnOutOfMemory;
    }

    /** True while this instance should receive traffic: not shutting down, no fatal error seen. */
    public boolean serving() {
        return serving.get() && fatal.get() == null;
    }

    /** True until a fatal error was seen (the liveness answer). */
    public boolean alive() {
        return fatal.get() == null;
    }

    /** The first fatal error seen (class and message), or null. */
    public String fatalError() {
        return fatal.get();
    }

    /** Shutdown has begun: not ready from now on (still alive). */
    public void shutdownBegun() {
        serving.set(false);
    }

    /** Records a fatal error seen while serving a request: from now on neither ready nor live. */
    public void fatal(Throwable error) {
        if (fatal.compareAndSet(null, error.getClass().getSimpleName() + ": " + error.getMessage())) {
            LOG.error("fatal error on a request path: this replica is no longer ready nor live", error);
        }
        if (exitOnOutOfMemory && error instanceof OutOfMemoryError) {
            System.err.println("spot-api: " + error + ": exiting (-XX:+ExitOnOutOfMemoryError)");
            Runtime.getRuntime().halt(3);
        }
    }

    /** The first {@link Error} in {@code t}'s cause chain, or null. */
    static Error errorIn(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof Error e) {
                return e;
            }
        }
        return null;
    }

    private static boolean exitOnOutOfMemoryErrorFlag() {
        try {
            return "true".equals(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
                    .getVMOption("ExitOnOutOfMemoryError").getValue());
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
