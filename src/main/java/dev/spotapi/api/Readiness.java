package dev.spotapi.api;

import java.util.concurrent.atomic.AtomicBoolean;

/** Whether this instance should receive traffic: true while serving, false once shutdown has begun. */
public final class Readiness {
    private final AtomicBoolean serving = new AtomicBoolean(true);

    public boolean serving() {
        return serving.get();
    }

    public void shutdownBegun() {
        serving.set(false);
    }
}
