package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.Map;

/** The service configuration: the old Go service's JSON config, plus optional tuning sections. */
public record ServiceConfig(
        @JsonProperty("listenAddress") String listenAddress,
        @JsonProperty("accounts") Map<String, AccountConfig> accounts,
        @JsonProperty("token") String token,
        @JsonProperty("logLevel") String logLevel,
        @JsonProperty("logFormat") String logFormat,
        @JsonProperty("org") String org,
        @JsonProperty("maxBodyBytes") int maxBodyBytes,
        @JsonProperty("shutdownDelayMs") long shutdownDelayMs,
        @JsonProperty("spot") SpotClientSettings spot,
        @JsonProperty("sharedState") SharedStateConfig sharedState,
        @JsonProperty("idempotency") IdempotencyConfig idempotency) {

    public static final String DEFAULT_LISTEN = ":8080";

    public ServiceConfig {
        listenAddress = listenAddress == null || listenAddress.isBlank() ? DEFAULT_LISTEN : listenAddress.strip();
        accounts = accounts == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(accounts));
        logLevel = logLevel == null || logLevel.isBlank() ? "info" : logLevel.strip().toLowerCase(java.util.Locale.ROOT);
        logFormat = logFormat == null || logFormat.isBlank() ? "text" : logFormat.strip().toLowerCase(java.util.Locale.ROOT);
        maxBodyBytes = maxBodyBytes > 0 ? maxBodyBytes : 1_048_576;
        shutdownDelayMs = Math.max(0, shutdownDelayMs);
        spot = spot == null ? SpotClientSettings.DEFAULTS : spot;
        sharedState = sharedState == null ? SharedStateConfig.EMBEDDED : sharedState;
        idempotency = idempotency == null ? IdempotencyConfig.DEFAULTS : idempotency;
    }

    /** A config with the embedded shared state and default idempotency settings. */
    public ServiceConfig(String listenAddress, Map<String, AccountConfig> accounts, String token, String logLevel,
            String logFormat, String org, int maxBodyBytes, long shutdownDelayMs, SpotClientSettings spot) {
        this(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs, spot, null, null);
    }

    /** A config without a shutdown delay. */
    public ServiceConfig(String listenAddress, Map<String, AccountConfig> accounts, String token, String logLevel,
            String logFormat, String org, int maxBodyBytes, SpotClientSettings spot) {
        this(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, 0, spot);
    }

    public ServiceConfig withToken(String newToken) {
        return new ServiceConfig(listenAddress, accounts, newToken, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs, spot,
                sharedState, idempotency);
    }

    public ServiceConfig withListenAddress(String newListen) {
        return new ServiceConfig(newListen, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs, spot,
                sharedState, idempotency);
    }

    /** The same config with another shared-state section. */
    public ServiceConfig withSharedState(SharedStateConfig newSharedState) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs, spot,
                newSharedState, idempotency);
    }

    @Override
    public String toString() {
        return "ServiceConfig[listenAddress=" + listenAddress + ", accounts=" + accounts + ", token=****, logLevel="
                + logLevel + ", logFormat=" + logFormat + ", org=" + org + ", maxBodyBytes=" + maxBodyBytes
                + ", shutdownDelayMs=" + shutdownDelayMs + ", spot=" + spot + ", sharedState=" + sharedState
                + ", idempotency=" + idempotency + "]";
    }
}
