package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One Spot account as the old service's config spells it. {@code id} is the Spot account id (sent as
 * {@code accountId}), {@code token} the Spot API token, {@code endpoint} the Spot API base URL.
 */
public record AccountConfig(
        @JsonProperty("region") String region,
        @JsonProperty("id") String id,
        @JsonProperty("token") String token,
        @JsonProperty("defaultVPC") String defaultVpc,
        @JsonProperty("endpoint") String endpoint) {

    public static final String DEFAULT_ENDPOINT = "https://api.spotinst.io";

    /** The id and token as they are without blanks around them (pasted from a console, a Secret's final newline). */
    public AccountConfig {
        id = id == null ? null : id.strip();
        token = token == null ? null : token.strip();
    }

    /** The configured endpoint without trailing slashes, or the real Spot API when none is set. */
    public String effectiveEndpoint() {
        if (endpoint == null || endpoint.isBlank()) {
            return DEFAULT_ENDPOINT;
        }
        String e = endpoint.strip();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        return e;
    }

    public boolean hasDefaultVpc() {
        return defaultVpc != null && !defaultVpc.isBlank();
    }

    @Override
    public String toString() {
        return "AccountConfig[region=" + region + ", id=" + id + ", token=****, defaultVPC=" + defaultVpc
                + ", endpoint=" + effectiveEndpoint() + "]";
    }
}
