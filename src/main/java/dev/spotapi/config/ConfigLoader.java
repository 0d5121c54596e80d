package dev.spotapi.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.DeserializationProblemHandler;
import dev.spotapi.api.ApiServer;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads the JSON config file, applies environment overrides and validates every field. */
public final class ConfigLoader {
    public static final String ENV_TOKEN = "SPOT_API_TOKEN";
    public static final String ENV_LISTEN = "SPOT_API_LISTEN";
    /** Overrides {@code sharedState.redisUrl} (e.g. from a Kubernetes Secret). */
    public static final String ENV_REDIS_URL = "SPOT_API_REDIS_URL";
    /** The Redis ACL user name (instead of {@code sharedState.redisUsername}). */
    public static final String ENV_REDIS_USERNAME = "SPOT_API_REDIS_USERNAME";
    /** The Redis password; never read from the config file. */
    public static final String ENV_REDIS_PASSWORD = "SPOT_API_REDIS_PASSWORD";

    private static final Set<String> LOG_LEVELS = Set.of("error", "warn", "info", "debug");
    private static final Set<String> LOG_FORMATS = Set.of("text", "json");
    private static final Pattern CORS_ORIGIN = Pattern.compile("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?");
    private static final Pattern ACCOUNT_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");
    /** A Spot account id: {@code act-} and letters or digits (Spot's are {@code act-} and 8 hex digits). */
    private static final Pattern ACCOUNT_ID = Pattern.compile("act-[A-Za-z0-9]{1,32}");

    /**
     * The numeric settings whose default stands for an absent field (0 once read): an explicit value of 0 or less is
     * refused, naming it (attack round 17: {@code spot.maxAttempts: 0} silently became 4 attempts). Paths as in the
     * file.
     */
    static final Set<String> POSITIVE_SETTINGS = Set.of("maxBodyBytes",
            "auth.maxCost", "auth.verifyThreads", "auth.verifyQueue", "auth.failedVerificationsPerMinute",
            "auth.cachedVerdicts", "auth.cheapLaneMaxCost", "auth.cheapLaneThreads",
            "http.maxThreads", "http.idleTimeoutMs", "http.bodyTimeoutMs", "http.minBodyBytesPerSecond",
            "http.stopTimeoutMs", "idempotency.ttlSeconds", "sharedState.timeoutMs",
            "spot.connectTimeoutMs", "spot.attemptTimeoutMs", "spot.deadlineMs", "spot.maxAttempts",
            "spot.initialBackoffMs", "spot.maxBackoffMs", "spot.rateWindowMs", "spot.orphanSearchMs",
            "tasks.ttlSeconds", "tasks.pollMs", "tasks.maxRunning", "tasks.maxQueue", "tasks.maxEvents",
            "tasks.leaseSeconds", "tasks.staleSeconds", "tasks.maxReads");

    private static final Logger LOG = LoggerFactory.getLogger(ConfigLoader.class);

    private final Map<String, String> env;
    private final List<String> warnings = new ArrayList<>();

    public ConfigLoader(Map<String, String> env) {
        this.env = env;
    }

    /**
     * What {@link #load} found worth a warning (unknown fields), not yet logged: the caller logs them
     * once logging has the config's format, so that with {@code logFormat: json} even these lines are JSON.
     */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** Logs {@link #warnings()} at WARN (call after the config's logging is applied). */
    public void logWarnings() {
        warnings.forEach(LOG::warn);
    }

    public ServiceConfig load(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ConfigException("config file not found: " + file, e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        ServiceConfig parsed;
        List<String> unknown = new ArrayList<>();
        try {
            parsed = mapperCollectingUnknownFields(unknown).readValue(bytes, ServiceConfig.class);
        } catch (JsonProcessingException e) {
            throw new ConfigException("config " + file + ": invalid JSON at " + fieldPath(e) + ": "
                    + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        if (parsed == null) {
            throw new ConfigException("config " + file + ": empty");
        }
        try {
            refuseNonPositive(new ObjectMapper().readTree(bytes), "");
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage(), e);
        }
        // The old service ignored fields it did not know; keep loading such files, but say so.
        unknown.forEach(name -> warnings.add("config " + file + ": ignoring unknown field '" + name + "'"));
        if (parsed.token() != null) {
            parsed = parsed.withToken(parsed.token().strip());
        }
        ServiceConfig config = validate(applyEnvironment(parsed));
        config.accounts().forEach((name, account) -> cleartext(name, account).ifPresent(warnings::add));
        return config;
    }

    /**
     * Refuses a {@link #POSITIVE_SETTINGS} field, or a {@code tasks.deadlineSeconds.<kind>}, given as anything but a
     * whole number above 0 (0 or less, a fraction Jackson would cut to 0, a string it would read as a number), at any
     * depth, keys matched in any case (attack round 18: those forms still became the default silently).
     */
    private static void refuseNonPositive(com.fasterxml.jackson.databind.JsonNode node, String path) {
        if (!node.isObject()) {
            return;
        }
        node.fields().forEachRemaining(field -> {
            String key = path.isEmpty() ? field.getKey() : path + "." + field.getKey();
            JsonNode value = field.getValue();
            String known = POSITIVE_SETTINGS.stream().filter(k -> k.equalsIgnoreCase(key)).findFirst().orElse(null);
            if (known == null && key.toLowerCase(java.util.Locale.ROOT).startsWith("tasks.deadlineseconds.")) {
                known = "tasks.deadlineSeconds." + field.getKey();
            }
            if (known != null && !value.isNull()
                    && !(value.isIntegralNumber() && value.canConvertToLong() && value.asLong() > 0)) {
                throw new ConfigException(known + ": must be a whole number above 0 (leave it out for the default);"
                        + " got " + value);
            }
            if (!(path.isEmpty() && "accounts".equalsIgnoreCase(field.getKey()))) {
                refuseNonPositive(value, key);
            }
        });
    }

    /**
     * A warning for an account whose endpoint is plain http to a host that is not this machine: its Spot API token
     * would travel in clear text (a simulator's is no secret: then the warning only says so).
     */
    static java.util.Optional<String> cleartext(String name, AccountConfig account) {
        URI uri = URI.create(account.effectiveEndpoint());
        String host = uri.getHost();
        boolean loopback = host.equals("localhost") || host.startsWith("127.") || host.equals("[::1]") || host.equals("::1");
        if (!"http".equals(uri.getScheme()) || loopback) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of("accounts." + name + ".endpoint: plain http to " + host + ": the account's Spot API"
                + " token is sent in clear text on the network; use https (a Spot simulator's token is no secret)");
    }

    private static ObjectMapper mapperCollectingUnknownFields(List<String> unknown) {
        return JsonMapper.builder()
                // the Go service's encoding/json matched keys in any case: its files load unchanged (defaultVpc,
                // redisURL: attack round 17, they were ignored)
                .enable(com.fasterxml.jackson.databind.MapperFeature.ACCEPT_CASE_INSENSITIVE_PROPERTIES)
                .addHandler(new DeserializationProblemHandler() {
                    @Override
                    public boolean handleUnknownProperty(DeserializationContext ctxt, JsonParser p,
                            JsonDeserializer<?> deserializer, Object beanOrClass, String propertyName)
                            throws IOException {
                        String pointer = p.getParsingContext().pathAsPointer().toString();
                        unknown.add(pointer.length() > 1 ? pointer.substring(1).replace('/', '.') : propertyName);
                        p.skipChildren();
                        return true;
                    }
                })
                .build();
    }

    public ServiceConfig applyEnvironment(ServiceConfig config) {
        ServiceConfig result = config;
        String token = env.get(ENV_TOKEN);
        if (token != null && !token.isBlank()) {
            // a Secret made from a file usually ends in a newline: the key is what is around it (attack round 17)
            result = result.withToken(token.strip());
        }
        String listen = env.get(ENV_LISTEN);
        if (listen != null && !listen.isBlank()) {
            result = result.withListenAddress(listen.strip());
        }
        Placeholders.refuse(ENV_REDIS_PASSWORD, env.get(ENV_REDIS_PASSWORD), "the Redis password");
        String redisUrl = env.get(ENV_REDIS_URL);
        if (redisUrl != null && !redisUrl.isBlank()) {
            result = result.withSharedState(new SharedStateConfig(redisUrl, result.sharedState().timeoutMs(),
                    result.sharedState().redisUsername()));
        }
        String redisUsername = env.get(ENV_REDIS_USERNAME);
        if (redisUsername != null && !redisUsername.isBlank()) {
            result = result.withSharedState(new SharedStateConfig(result.sharedState().redisUrl(),
                    result.sharedState().timeoutMs(), redisUsername));
        }
        return result;
    }

    /** Shortest pre-shared key accepted: 16 characters (a guessable key protects nothing). */
    public static final int MIN_TOKEN_LENGTH = 16;

    public static ServiceConfig validate(ServiceConfig config) {
        ListenAddress.parse(config.listenAddress());
        if (config.token() == null || config.token().isEmpty()) {
            throw new ConfigException("token: the pre-shared key must be set (in the file or " + ENV_TOKEN + ")");
        }
        Placeholders.refuse("token", config.token(),
                "a long random pre-shared key (in the file or " + ENV_TOKEN + ", e.g. the Secret's token key)");
        if (config.token().length() < MIN_TOKEN_LENGTH) {
            throw new ConfigException("token: the pre-shared key is " + config.token().length() + " characters long;"
                    + " use at least " + MIN_TOKEN_LENGTH + " random characters (e.g. openssl rand -base64 24)");
        }
        if (config.org() == null || config.org().isBlank()) {
            throw new ConfigException("org: must not be empty");
        }
        if (!ServiceConfig.ORG_ISOLATION_ENFORCE.equals(config.orgIsolation())
                && !ServiceConfig.ORG_ISOLATION_OFF.equals(config.orgIsolation())) {
            throw new ConfigException("orgIsolation: must be enforce or off; got '" + config.orgIsolation() + "'");
        }
        if (!LOG_LEVELS.contains(config.logLevel())) {
            throw new ConfigException("logLevel: must be one of error, warn, info, debug; got '" + config.logLevel() + "'");
        }
        if (!LOG_FORMATS.contains(config.logFormat())) {
            throw new ConfigException("logFormat: must be text or json; got '" + config.logFormat() + "'");
        }
        if (config.accounts().isEmpty()) {
            throw new ConfigException("accounts: at least one account must be configured");
        }
        config.accounts().forEach(ConfigLoader::validateAccount);
        config.auth().validate();
        config.http().validate();
        for (String origin : config.corsOrigins()) {
            if (!origin.equals("*") && !CORS_ORIGIN.matcher(origin).matches()) {
                throw new ConfigException("corsOrigins: '" + origin + "' is not \"*\" nor an origin like"
                        + " https://portal.example.com (scheme, host, optional port, no path)");
            }
        }
        if (config.corsOrigins().contains("*") && config.corsOrigins().size() > 1) {
            throw new ConfigException("corsOrigins: \"*\" allows every origin; list origins or \"*\" alone");
        }
        validateSharedState(config.sharedState());
        config.tasks().validate();
        return config;
    }

    private static void validateSharedState(SharedStateConfig shared) {
        if (!shared.usesRedis()) {
            return;
        }
        URI uri;
        try {
            uri = URI.create(shared.redisUrl());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("sharedState.redisUrl: not a URL: '" + shared.redisUrlForLogs() + "'");
        }
        if (!("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new ConfigException("sharedState.redisUrl: must be redis://host:port or rediss://host:port, got '"
                    + shared.redisUrlForLogs() + "'");
        }
        if (uri.getUserInfo() != null) {
            throw new ConfigException("sharedState.redisUrl: must not carry a password; set " + ENV_REDIS_PASSWORD
                    + " instead");
        }
        try {
            io.lettuce.core.RedisURI.create(shared.redisUrl()); // what the client will read: port, database, options
        } catch (RuntimeException e) {
            throw new ConfigException("sharedState.redisUrl (or " + ENV_REDIS_URL + "): '" + shared.redisUrlForLogs()
                    + "' cannot be used: " + e.getMessage());
        }
    }

    private static void validateAccount(String name, AccountConfig account) {
        String where = "accounts." + name;
        if (!ACCOUNT_NAME.matcher(name).matches()) {
            throw new ConfigException(where + ": account names are 1-64 letters, digits, '.', '_' or '-'");
        }
        if (ApiServer.RESERVED_ACCOUNT_NAMES.contains(name.toLowerCase(java.util.Locale.ROOT))) {
            throw new ConfigException(where + ": '" + name + "' is the name of a public route (/v1/spot/" + name
                    + "); choose another account name (reserved: "
                    + new java.util.TreeSet<>(ApiServer.RESERVED_ACCOUNT_NAMES) + ")");
        }
        if (account == null) {
            throw new ConfigException(where + ": must be an object");
        }
        if (account.id() == null || account.id().isBlank()) {
            throw new ConfigException(where + ".id: the Spot account id must be set");
        }
        if (!ACCOUNT_ID.matcher(account.id()).matches()) {
            throw new ConfigException(where + ".id: a Spot account id is act- and letters or digits (e.g."
                    + " act-12345678); got '" + (account.id().length() > 40 ? account.id().substring(0, 40) + "..."
                    : account.id()) + "'");
        }
        if (account.token() == null || account.token().isBlank()) {
            throw new ConfigException(where + ".token: the Spot API token must be set");
        }
        Placeholders.refuse(where + ".token", account.token(), "the account's Spot API token");
        Placeholders.refuse(where + ".id", account.id(), "the Spot account id (act-…)");
        String endpoint = account.effectiveEndpoint();
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(where + ".endpoint: not a URL: '" + endpoint + "'");
        }
        if (!("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new ConfigException(where + ".endpoint: must be an http(s) URL with a host, got '" + endpoint + "'");
        }
    }

    private static String fieldPath(JsonProcessingException e) {
        if (e instanceof com.fasterxml.jackson.databind.JsonMappingException m && !m.getPath().isEmpty()) {
            StringBuilder sb = new StringBuilder();
            for (var ref : m.getPath()) {
                if (ref.getFieldName() != null) {
                    if (sb.length() > 0) {
                        sb.append('.');
                    }
                    sb.append(ref.getFieldName());
                } else if (ref.getIndex() >= 0) {
                    sb.append('[').append(ref.getIndex()).append(']');
                }
            }
            return sb.toString();
        }
        return e.getLocation() == null ? "?" : "line " + e.getLocation().getLineNr();
    }
}
