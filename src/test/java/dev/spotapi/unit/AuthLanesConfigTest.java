package dev.spotapi.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotapi.config.AuthSettings;
import dev.spotapi.config.ConfigException;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The verify lanes' settings ({@code auth.cheapLaneMaxCost}, {@code auth.cheapLaneThreads}) in the config file. */
class AuthLanesConfigTest {
    @TempDir
    Path dir;

    private ServiceConfig load(String auth) throws IOException {
        Path file = dir.resolve("config.json");
        Files.writeString(file, """
                {
                  "accounts": {"main": {"region": "us-east-1", "id": "act-12345678", "token": "spot_api_token"}},
                  "token": "the-pre-shared-key",
                  "org": "localdev"%s
                }""".formatted(auth == null ? "" : ",\n  \"auth\": " + auth), StandardCharsets.UTF_8);
        return new ConfigLoader(Map.of()).load(file);
    }

    @Test
    void theLanesAreReadAndDefaultToCost10AndOneThread() throws IOException {
        AuthSettings read = load("{\"cheapLaneMaxCost\": 8, \"cheapLaneThreads\": 2, \"verifyThreads\": 3}").auth();
        assertThat(read.cheapLaneMaxCost()).isEqualTo(8);
        assertThat(read.cheapLaneThreads()).isEqualTo(2);
        assertThat(read.verifyThreads()).isEqualTo(3);

        AuthSettings defaults = load(null).auth();
        assertThat(defaults.cheapLaneMaxCost()).isEqualTo(10);
        assertThat(defaults.cheapLaneThreads()).isEqualTo(1);
        assertThat(new AuthSettings(0, 1, 1, 5, 0)).isEqualTo(new AuthSettings(0, 1, 1, 5, 0, 10, 1));
    }

    @Test
    void impossibleLaneSettingsAreRefusedAtLoad() {
        assertThatThrownBy(() -> load("{\"cheapLaneMaxCost\": 40}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("auth.cheapLaneMaxCost");
        assertThatThrownBy(() -> load("{\"cheapLaneThreads\": 65}")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("auth.cheapLaneThreads");
    }
}
