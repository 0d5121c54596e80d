package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.LinkedHashMap;
import java.util.List;
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
        @JsonProperty("auth") AuthSettings auth,
        @JsonProperty("http") HttpSettings http,
        @JsonProperty("corsOrigins") List<String> corsOrigins,
        @JsonProperty("sharedState") SharedStateConfig sharedState,
        @JsonProperty("idempotency") IdempotencyConfig idempotency,
        @JsonProperty("orgIsolation") String orgIsolation,
        @JsonProperty("tasks") TaskConfig tasks) {

    public static final String DEFAULT_LISTEN = ":8080";
    /** Browsers on any origin may call the API (the token, not the origin, is the access control). */
    public static final List<String> ANY_ORIGIN = List.of("*");
    /** {@code orgIsolation} value: only this org's Spot resources are visible and touchable (the default). */
    public static final String ORG_ISOLATION_ENFORCE = "enforce";
    /** {@code orgIsolation} value: the old service's behaviour, every resource of the account (warned at start). */
    public static final String ORG_ISOLATION_OFF = "off";

    public ServiceConfig {
        listenAddress = listenAddress == null || listenAddress.isBlank() ? DEFAULT_LISTEN : listenAddress.strip();
        accounts = accounts == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(accounts));
        logLevel = logLevel == null || logLevel.isBlank() ? "info" : logLevel.strip().toLowerCase(java.util.Locale.ROOT);
        logFormat = logFormat == null || logFormat.isBlank() ? "text" : logFormat.strip().toLowerCase(java.util.Locale.ROOT);
        maxBodyBytes = Defaults.positiveOr(maxBodyBytes, 1_048_576);
        shutdownDelayMs = Math.max(0, shutdownDelayMs);
        spot = spot == null ? SpotClientSettings.DEFAULTS : spot;
        auth = auth == null ? AuthSettings.DEFAULTS : auth;
        http = http == null ? HttpSettings.DEFAULTS : http;
        corsOrigins = corsOrigins == null || corsOrigins.isEmpty() ? ANY_ORIGIN : List.copyOf(corsOrigins);
        sharedState = sharedState == null ? SharedStateConfig.EMBEDDED : sharedState;
        idempotency = idempotency == null ? IdempotencyConfig.DEFAULTS : idempotency;
        orgIsolation = orgIsolation == null || orgIsolation.isBlank() ? ORG_ISOLATION_ENFORCE
                : orgIsolation.strip().toLowerCase(java.util.Locale.ROOT);
        tasks = tasks == null ? TaskConfig.DEFAULTS : tasks;
    }

    /** The old canonical form: default task settings. */
    public ServiceConfig(String listenAddress, Map<String, AccountConfig> accounts, String token, String logLevel,
            String logFormat, String org, int maxBodyBytes, long shutdownDelayMs, SpotClientSettings spot,
            AuthSettings auth, HttpSettings http, List<String> corsOrigins, SharedStateConfig sharedState,
            IdempotencyConfig idempotency, String orgIsolation) {
        this(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs, spot, auth, http,
                corsOrigins, sharedState, idempotency, orgIsolation, null);
    }

    /** The same config with other task settings. */
    public ServiceConfig withTasks(TaskConfig newTasks) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, corsOrigins, sharedState, idempotency, orgIsolation, newTasks);
    }

    /** A config with the embedded shared state, default idempotency settings and org isolation ({@value #ORG_ISOLATION_ENFORCE}). */
    public ServiceConfig(String listenAddress, Map<String, AccountConfig> accounts, String token, String logLevel,
            String logFormat, String org, int maxBodyBytes, long shutdownDelayMs, SpotClientSettings spot,
            AuthSettings auth, HttpSettings http, List<String> corsOrigins) {
        this(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs, spot, auth, http,
                corsOrigins, null, null, null);
    }

    /** True unless {@code orgIsolation} is {@value #ORG_ISOLATION_OFF}. */
    public boolean orgIsolationEnforced() {
        return !ORG_ISOLATION_OFF.equals(orgIsolation);
    }

    /** The same config with another {@code orgIsolation} mode. */
    public ServiceConfig withOrgIsolation(String mode) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, corsOrigins, sharedState, idempotency, mode, tasks);
    }

    /** The same config for another org. */
    public ServiceConfig withOrg(String newOrg) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, newOrg, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, corsOrigins, sharedState, idempotency, orgIsolation, tasks);
    }

    /** A config with the default auth and HTTP settings. */
    public ServiceConfig(String listenAddress, Map<String, AccountConfig> accounts, String token, String logLevel,
            String logFormat, String org, int maxBodyBytes, long shutdownDelayMs, SpotClientSettings spot) {
        this(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs, spot, null, null, null, null, null, null);
    }

    /** A config without a shutdown delay. */
    public ServiceConfig(String listenAddress, Map<String, AccountConfig> accounts, String token, String logLevel,
            String logFormat, String org, int maxBodyBytes, SpotClientSettings spot) {
        this(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, 0, spot, null, null, null, null, null, null);
    }

    public ServiceConfig withToken(String newToken) {
        return new ServiceConfig(listenAddress, accounts, newToken, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, corsOrigins, sharedState, idempotency, orgIsolation, tasks);
    }

    public ServiceConfig withListenAddress(String newListen) {
        return new ServiceConfig(newListen, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, corsOrigins, sharedState, idempotency, orgIsolation, tasks);
    }

    /** The same config with other auth and HTTP settings. */
    public ServiceConfig withLimits(AuthSettings newAuth, HttpSettings newHttp) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, newAuth, newHttp, corsOrigins, sharedState, idempotency, orgIsolation, tasks);
    }

    /** The same config with other CORS origins ({@code ["*"]}, or a list of origins). */
    public ServiceConfig withCorsOrigins(List<String> origins) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, origins, sharedState, idempotency, orgIsolation, tasks);
    }

    /** The same config with another shared-state section. */
    public ServiceConfig withSharedState(SharedStateConfig newSharedState) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, corsOrigins, newSharedState, idempotency, orgIsolation, tasks);
    }

    /** The same config with other idempotency settings. */
    public ServiceConfig withIdempotency(IdempotencyConfig newIdempotency) {
        return new ServiceConfig(listenAddress, accounts, token, logLevel, logFormat, org, maxBodyBytes, shutdownDelayMs,
                spot, auth, http, corsOrigins, sharedState, newIdempotency, orgIsolation, tasks);
    }

    @Override
    public String toString() {
        return "ServiceConfig[listenAddress=" + listenAddress + ", accounts=" + accounts + ", token=****, logLevel="
                + logLevel + ", logFormat=" + logFormat + ", org=" + org + ", maxBodyBytes=" + maxBodyBytes
                + ", shutdownDelayMs=" + shutdownDelayMs + ", spot=" + spot + ", auth=" + auth + ", http=" + http
                + ", corsOrigins=" + corsOrigins + ", sharedState=" + sharedState + ", idempotency=" + idempotency
                + ", orgIsolation=" + orgIsolation + ", tasks=" + tasks + "]";
    }
}
