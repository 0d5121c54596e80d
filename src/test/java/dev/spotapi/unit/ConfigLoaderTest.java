package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ConfigException;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.Placeholders;
import dev.spotapi.config.ServiceConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Reading the JSON config file, environment overrides and validation (seed-api.md "Configuration"). */
class ConfigLoaderTest {
    private static final String VALID = """
            {
              "listenAddress": "127.0.0.1:8181",
              "accounts": {
                "someaccount": {"region": "us-east-1", "id": "act-12345678", "token": "spot_api_token",
                                "defaultVPC": "vpc-1234567890", "endpoint": ""}
              },
              "token": "the-pre-shared-key",
              "logLevel": "info",
              "org": "localdev"
            }""";

    @TempDir
    Path dir;

    private Path write(String json) {
        try {
            Path file = dir.resolve("config.json");
            Files.writeString(file, json, StandardCharsets.UTF_8);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ServiceConfig load(Path file) {
        return new ConfigLoader(Map.of()).load(file);
    }

    /** VALID with one {@code "key": value} replaced (or removed when {@code replacement} is null). */
    private static String valid(String key, String replacement) {
        String line = VALID.lines().filter(l -> l.trim().startsWith("\"" + key + "\"")).findFirst().orElseThrow();
        String end = line.trim().endsWith(",") ? "," : "";
        String with = replacement == null ? "" : "  \"" + key + "\": " + replacement + end;
        return VALID.replace(line, with);
    }

    @Test
    void theContractsExampleLoads() {
        ServiceConfig c = load(write(VALID));

        assertThat(c.listenAddress()).isEqualTo("127.0.0.1:8181");
        assertThat(c.token()).isEqualTo("the-pre-shared-key");
        assertThat(c.org()).isEqualTo("localdev");
        assertThat(c.logLevel()).isEqualTo("info");
        AccountConfig a = c.accounts().get("someaccount");
        assertThat(a.id()).isEqualTo("act-12345678");
        assertThat(a.token()).isEqualTo("spot_api_token");
        assertThat(a.defaultVpc()).isEqualTo("vpc-1234567890");
        assertThat(a.hasDefaultVpc()).isTrue();
        assertThat(a.effectiveEndpoint()).as("empty endpoint means the real Spot API")
                .isEqualTo("https://api.spotinst.io");
    }

    @Test
    void listenAddressDefaultsTo8080AndLogLevelToInfo() {
        String json = valid("logLevel", null).replace("\"listenAddress\": \"127.0.0.1:8181\",", "");

        ServiceConfig c = load(write(json));

        assertThat(c.listenAddress()).isEqualTo(":8080");
        assertThat(c.logLevel()).isEqualTo("info");
    }

    @Test
    void anEndpointIsUsedWithoutTrailingSlash() {
        ServiceConfig c = load(write(VALID.replace("\"endpoint\": \"\"", "\"endpoint\": \"http://127.0.0.1:9999/\"")));

        assertThat(c.accounts().get("someaccount").effectiveEndpoint()).isEqualTo("http://127.0.0.1:9999");
    }

    @Test
    void unknownFieldsAreTolerated() {
        ServiceConfig c = load(write(VALID.replace("\"org\": \"localdev\"", "\"org\": \"localdev\", \"legacy\": 1")));

        assertThat(c.org()).isEqualTo("localdev");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "missing", "   "})
    void anEmptyOrMissingOrgIsRefused(String org) {
        String json = org.equals("missing") ? VALID.replace(",\n  \"org\": \"localdev\"", "")
                : VALID.replace("\"org\": \"localdev\"", "\"org\": \"" + org + "\"");

        assertThatThrownBy(() -> load(write(json)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("org");
    }

    @Test
    void aMissingTokenIsRefused() {
        assertThatThrownBy(() -> load(write(valid("token", null))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("token");
        assertThatThrownBy(() -> load(write(valid("token", "\"\""))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("token");
    }

    @Test
    void aPreSharedKeyShorterThan16CharactersIsRefusedWithItsLengthAndTheMinimum() {
        assertThatThrownBy(() -> load(write(valid("token", "\"abcde\""))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("token").hasMessageContaining("5 characters").hasMessageContaining("at least 16")
                .hasMessageNotContaining("abcde");
        assertThatThrownBy(() -> new ConfigLoader(Map.of(ConfigLoader.ENV_TOKEN, "fifteen-chars-x")).load(write(valid("token", null))))
                .isInstanceOf(ConfigException.class).hasMessageContaining("at least 16");
        assertThat(new ConfigLoader(Map.of(ConfigLoader.ENV_TOKEN, "sixteen-chars-xy")).load(write(valid("token", null)))
                .token()).hasSize(16);
    }

    @Test
    void spotApiTokenFromTheEnvironmentFillsAMissingToken() {
        Path file = write(valid("token", null));

        ServiceConfig c = new ConfigLoader(Map.of(ConfigLoader.ENV_TOKEN, "from-env-0123456789")).load(file);

        assertThat(c.token()).isEqualTo("from-env-0123456789");
    }

    @Test
    void spotApiTokenFromTheEnvironmentOverridesTheFile() {
        ServiceConfig c = new ConfigLoader(Map.of("SPOT_API_TOKEN", "from-env-0123456789")).load(write(VALID));

        assertThat(c.token()).isEqualTo("from-env-0123456789");
    }

    @Test
    void spotApiListenFromTheEnvironmentOverridesTheFile() {
        ServiceConfig c = new ConfigLoader(Map.of("SPOT_API_LISTEN", "127.0.0.1:9090")).load(write(VALID));

        assertThat(c.listenAddress()).isEqualTo("127.0.0.1:9090");
    }

    @Test
    void emptyEnvironmentValuesDoNotOverride() {
        ServiceConfig c = new ConfigLoader(Map.of("SPOT_API_LISTEN", "", "SPOT_API_TOKEN", "")).load(write(VALID));

        assertThat(c.listenAddress()).isEqualTo("127.0.0.1:8181");
        assertThat(c.token()).isEqualTo("the-pre-shared-key");
    }

    @Test
    void aBadListenAddressFromTheEnvironmentIsRefused() {
        ConfigLoader loader = new ConfigLoader(Map.of("SPOT_API_LISTEN", "nonsense"));
        Path file = write(VALID);

        assertThatThrownBy(() -> loader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listenAddress");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"8080\"", "\"localhost\"", "\"127.0.0.1:http\"", "\":70000\"", "\":-1\"", "\"127.0.0.1:\""})
    void aBadListenAddressIsRefused(String listen) {
        assertThatThrownBy(() -> load(write(valid("listenAddress", listen))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listenAddress");
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://example.com", "not a url", "http://", "example.com", "file:///etc/passwd"})
    void aBadEndpointIsRefusedNamingTheAccount(String endpoint) {
        String json = VALID.replace("\"endpoint\": \"\"", "\"endpoint\": \"" + endpoint + "\"");

        assertThatThrownBy(() -> load(write(json)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("accounts.someaccount.endpoint");
    }

    @ParameterizedTest
    @ValueSource(strings = {"verbose", "trace", "fatal", "infos"})
    void anUnknownLogLevelIsRefused(String level) {
        assertThatThrownBy(() -> load(write(valid("logLevel", "\"" + level + "\""))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("logLevel");
    }

    @ParameterizedTest
    @ValueSource(strings = {"error", "warn", "info", "debug", "DEBUG"})
    void everyDocumentedLogLevelIsAccepted(String level) {
        ServiceConfig c = load(write(valid("logLevel", "\"" + level + "\"")));

        assertThat(c.logLevel()).isEqualTo(level.toLowerCase(java.util.Locale.ROOT));
    }

    @Test
    void anAccountWithoutIdOrTokenIsRefusedNamingTheField() {
        assertThatThrownBy(() -> load(write(VALID.replace("\"id\": \"act-12345678\", ", ""))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("accounts.someaccount.id");
        assertThatThrownBy(() -> load(write(VALID.replace("\"token\": \"spot_api_token\",", ""))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("accounts.someaccount.token");
    }

    @Test
    void invalidJsonIsAConfigException() {
        assertThatThrownBy(() -> load(write("{\"org\": ")))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void aMissingFileIsAConfigException() {
        assertThatThrownBy(() -> load(dir.resolve("nope.json")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("nope.json");
    }

    // ---- the same rules on an already-built config (independent of reading the file) ----------

    private static ServiceConfig config(String listen, String token, String logLevel, String org, String endpoint) {
        return new ServiceConfig(listen, Map.of("someaccount",
                new AccountConfig("us-east-1", "act-12345678", "spot_api_token", null, endpoint)),
                token, logLevel, null, org, 0, null);
    }

    @Test
    void validateAcceptsASaneConfig() {
        ServiceConfig c = ConfigLoader.validate(config(null, "a-long-enough-key-42", null, "org", null));

        assertThat(c.listenAddress()).isEqualTo(":8080");
        assertThat(c.logLevel()).isEqualTo("info");
    }

    @Test
    void validateNamesTheOffendingField() {
        assertThatThrownBy(() -> ConfigLoader.validate(config(null, "a-long-enough-key-42", null, "", null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("org");
        assertThatThrownBy(() -> ConfigLoader.validate(config(null, "a-long-enough-key-42", null, null, null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("org");
        assertThatThrownBy(() -> ConfigLoader.validate(config(null, null, null, "org", null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("token");
        assertThatThrownBy(() -> ConfigLoader.validate(config("8080", "a-long-enough-key-42", null, "org", null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listenAddress");
        assertThatThrownBy(() -> ConfigLoader.validate(config(":99999", "a-long-enough-key-42", null, "org", null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listenAddress");
        assertThatThrownBy(() -> ConfigLoader.validate(config(null, "a-long-enough-key-42", "chatty", "org", null)))
                .isInstanceOf(ConfigException.class).hasMessageContaining("logLevel");
        assertThatThrownBy(() -> ConfigLoader.validate(config(null, "a-long-enough-key-42", null, "org", "gopher://x")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("accounts.someaccount.endpoint");
    }

    @Test
    void applyEnvironmentOverridesTokenAndListenAddress() {
        ServiceConfig base = config("127.0.0.1:1", "file-key", null, "org", null);

        ServiceConfig c = new ConfigLoader(Map.of("SPOT_API_TOKEN", "env-key-0123456789", "SPOT_API_LISTEN", " 127.0.0.1:2 "))
                .applyEnvironment(base);

        assertThat(c.token()).isEqualTo("env-key-0123456789");
        assertThat(c.listenAddress()).isEqualTo("127.0.0.1:2");
        assertThat(new ConfigLoader(Map.of()).applyEnvironment(base)).isEqualTo(base);
    }

    @Test
    void secretsDoNotAppearInToString() {
        ServiceConfig c = load(write(VALID));

        assertThat(c.toString()).doesNotContain("the-pre-shared-key").doesNotContain("spot_api_token");
    }

    /** The documented placeholder values (docs/configuration.md "The config file", {@link Placeholders}) are refused, naming the field. */
    @ParameterizedTest
    @ValueSource(strings = {"REPLACE-WITH-A-LONG-RANDOM-PRE-SHARED-KEY", "replace_me", " CHANGEME ", "change-me",
            "changeit", "<your-key>", "${SPOT_API_TOKEN}", "xxxxxxxx", "***", "placeholder", "TODO", "your-token"})
    void placeholderKeysAndTokensAreRefusedNamingTheField(String placeholder) {
        assertThat(Placeholders.isPlaceholder(placeholder)).isTrue();
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(VALID.replace("the-pre-shared-key", placeholder))))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("token: still the example's placeholder");
        assertThatThrownBy(() -> new ConfigLoader(Map.of(ConfigLoader.ENV_TOKEN, placeholder)).load(write(VALID)))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("token: ");
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(write(VALID.replace("spot_api_token", placeholder))))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("accounts.someaccount.token: still the example's placeholder");
    }

    /** Real-looking values, including ones that merely contain a placeholder word, are accepted. */
    @ParameterizedTest
    @ValueSource(strings = {"the-pre-shared-key", "k3Q9xReplaceable", "xx", "changeme2024!", "0123456789abcdef",
            "sandbox", "my-example-key-1"})
    void realValuesAreNotPlaceholders(String value) {
        assertThat(Placeholders.isPlaceholder(value)).isFalse();
        // (the ones shorter than 16 characters are refused for their length, not as placeholders: issue 25)
        if (value.length() >= ConfigLoader.MIN_TOKEN_LENGTH) {
            assertThat(new ConfigLoader(Map.of(ConfigLoader.ENV_TOKEN, value)).load(write(VALID)).token()).isEqualTo(value);
        } else {
            assertThatThrownBy(() -> new ConfigLoader(Map.of(ConfigLoader.ENV_TOKEN, value)).load(write(VALID)))
                    .hasMessageContaining("at least 16").hasMessageNotContaining("placeholder");
        }
    }
}
