package dev.spotapi.hardening;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.sim.SpotSimulator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * For tests that run the real program ({@link dev.spotapi.cli.ProgramRun}) as an operator does, from config files they
 * write: one Spot simulator per class serving one Spot account, and the config file, URL, token and output helpers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ProgramHarness {
    static final Duration START = Duration.ofSeconds(60);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;
    SpotSimulator sim;
    private final String key;
    private final String spotId;
    private final String spotToken;
    private final String org;

    /** The program's pre-shared {@code key}, the one Spot account ({@code spotId}, {@code spotToken}) and its org. */
    ProgramHarness(String key, String spotId, String spotToken, String org) {
        this.key = key;
        this.spotId = spotId;
        this.spotToken = spotToken;
        this.org = org;
    }

    @BeforeAll
    void simulator() {
        sim = SpotSimulator.builder().port(0).account(spotId, spotToken).start();
    }

    @AfterAll
    void stopSimulator() throws Exception {
        if (sim != null) {
            sim.close();
        }
    }

    /** A config file listening on {@code port}, one account {@code account} (its fields over the simulator's), {@code extra} first. */
    Path config(String account, int port, Map<String, String> accountFields, String extra) throws IOException {
        Map<String, Object> acc = new LinkedHashMap<>();
        acc.put("id", spotId);
        acc.put("token", spotToken);
        acc.put("endpoint", "http://127.0.0.1:" + sim.port());
        acc.putAll(accountFields);
        String text = "{" + extra + "\"listenAddress\": \"127.0.0.1:" + port + "\", \"token\": \"" + key
                + "\", \"org\": \"" + org + "\", \"accounts\": {\"" + account + "\": " + JSON.writeValueAsString(acc) + "}}";
        Path file = Files.createTempFile(dir, "config", ".json");
        Files.writeString(file, text);
        return file;
    }

    static String base(int port) {
        return "http://127.0.0.1:" + port + "/v1/spot";
    }

    /** A cheap (cost 4) bcrypt hash of {@code key}: a valid X-Auth-Token. */
    static String hash(String key) {
        return BCrypt.withDefaults().hashToString(4, key.toCharArray());
    }

    static HttpResponse<String> get(String url, String token) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("X-Auth-Token", token)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static String lastLine(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
}
