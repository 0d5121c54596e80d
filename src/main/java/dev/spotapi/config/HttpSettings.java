package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The HTTP server's limits ({@code "http": {...}} in the config file; every field optional, zero or
 * absent means the default).
 *
 * <ul>
 *   <li>{@code maxThreads} (default 64): Jetty's worker threads.</li>
 *   <li>{@code idleTimeoutMs} (default 30000): a connection on which nothing arrives for this long is closed.</li>
 *   <li>{@code bodyTimeoutMs} (default 10000): a request body must arrive completely within this time after
 *       the headers, else 408. Bodies are read without holding a worker thread, so slow senders only cost a
 *       connection. The same time bounds a request's headers from its first byte (else the connection is
 *       closed).</li>
 *   <li>{@code minBodyBytesPerSecond} (default 1024): after the first second, a body arriving slower than
 *       this on average is refused with 408.</li>
 *   <li>{@code stopTimeoutMs} (default 10000): how long a stop waits for in-flight requests; those still
 *       running then are answered 503.</li>
 * </ul>
 */
public record HttpSettings(
        @JsonProperty("maxThreads") int maxThreads,
        @JsonProperty("idleTimeoutMs") long idleTimeoutMs,
        @JsonProperty("bodyTimeoutMs") long bodyTimeoutMs,
        @JsonProperty("minBodyBytesPerSecond") long minBodyBytesPerSecond,
        @JsonProperty("stopTimeoutMs") long stopTimeoutMs) {

    public static final HttpSettings DEFAULTS = new HttpSettings(0, 0, 0, 0, 0);

    public HttpSettings {
        maxThreads = Defaults.positiveOr(maxThreads, 64);
        idleTimeoutMs = Defaults.positiveOr(idleTimeoutMs, 30_000);
        bodyTimeoutMs = Defaults.positiveOr(bodyTimeoutMs, 10_000);
        minBodyBytesPerSecond = Defaults.positiveOr(minBodyBytesPerSecond, 1_024);
        stopTimeoutMs = Defaults.positiveOr(stopTimeoutMs, 10_000);
    }

    /** Refuses values that cannot work. */
    void validate() {
        if (maxThreads < 8) {
            throw new ConfigException("http.maxThreads: at least 8, got " + maxThreads);
        }
    }
}
