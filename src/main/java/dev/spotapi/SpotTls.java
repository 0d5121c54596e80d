package dev.spotapi;

import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ServiceConfig;

/**
 * Whether the Spot HTTP client needs TLS at start ({@link dev.spotapi.spot.SpotHttp#start}): only when a
 * configured Spot endpoint is {@code https} (the real Spot API). Otherwise (a simulator, a local proxy) its TLS
 * context (the CA trust store parsed into ~150 certificates and ~400 classes, 150-250 ms of CPU of every start,
 * docs/performance.md) is built on first use, which never comes: every Spot request goes to a configured
 * endpoint, and the client follows no redirects.
 */
public final class SpotTls {
    private SpotTls() {
    }

    /** True when any account's effective endpoint (the real Spot API when none is set) is an https URL. */
    public static boolean needed(ServiceConfig config) {
        return config.accounts().values().stream().map(AccountConfig::effectiveEndpoint)
                .anyMatch(endpoint -> endpoint.regionMatches(true, 0, "https:", 0, 6));
    }
}
