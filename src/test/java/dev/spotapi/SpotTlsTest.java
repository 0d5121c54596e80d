package dev.spotapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import dev.spotapi.spot.SpotHttp;
import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spot HTTP client builds its TLS context at start only when an account's endpoint is https (SpotTls, SpotHttp). */
class SpotTlsTest {
    @TempDir
    Path dir;

    private ServiceConfig config(String... endpoints) throws Exception {
        StringBuilder accounts = new StringBuilder();
        for (int i = 0; i < endpoints.length; i++) {
            accounts.append(i == 0 ? "" : ",").append("\"a").append(i).append("\": {\"region\": \"us-east-1\", ")
                    .append("\"id\": \"act-1234567").append(i).append("\", \"token\": \"spot-token\"")
                    .append(endpoints[i] == null ? "" : ", \"endpoint\": \"" + endpoints[i] + "\"").append('}');
        }
        Path file = dir.resolve("config.json");
        Files.writeString(file, "{\"listenAddress\": \"127.0.0.1:0\", \"token\": \"spot-tls-test-pre-shared-key\","
                + " \"org\": \"test\", \"accounts\": {" + accounts + "}}");
        return new ConfigLoader(Map.of()).load(file);
    }

    @Test
    void onlyHttpsEndpointsNeedTls() throws Exception {
        assertThat(SpotTls.needed(config("http://127.0.0.1:9", "http://sim.local:8080/"))).isFalse();
        assertThat(SpotTls.needed(config("http://127.0.0.1:9", "https://api.spotinst.io"))).isTrue();
        assertThat(SpotTls.needed(config((String) null))).as("no endpoint: the real Spot API, https").isTrue();
    }

    @Test
    void aClientThatNeedsTlsBuildsItsContextWhenItStarts() throws Exception {
        HttpClient client = SpotHttp.start(1_000, true);
        try {
            assertThat(client.getSslContextFactory().isStarted()).isTrue();
            assertThat(client.getSslContextFactory().getSslContext()).isNotNull();
            assertThat(client.getSslContextFactory().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        } finally {
            client.stop();
        }
    }

    @Test
    void aPlainHttpClientServesHttpWithoutBuildingATlsContext() throws Exception {
        HttpClient client = SpotHttp.start(1_000, false);
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "pong".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            ContentResponse reply = client.GET("http://127.0.0.1:" + server.getAddress().getPort() + "/ping");
            assertThat(reply.getStatus()).isEqualTo(200);
            assertThat(reply.getContentAsString()).isEqualTo("pong");
            assertThat(client.getSslContextFactory().isStarted()).as("no TLS context built").isFalse();
        } finally {
            server.stop(0);
            client.stop();
        }
    }

    /** Should TLS ever be asked of the plain client, its context is built then, verifying host names. */
    @Test
    void thePlainClientsTlsIsBuiltOnFirstUse() throws Exception {
        HttpClient client = SpotHttp.start(1_000, false);
        try {
            SSLEngine engine = client.getSslContextFactory().newSSLEngine("api.spotinst.io", 443);
            assertThat(client.getSslContextFactory().isStarted()).isTrue();
            assertThat(engine.getPeerHost()).isEqualTo("api.spotinst.io");
            assertThat(engine.getSSLParameters().getEndpointIdentificationAlgorithm()).isEqualTo("HTTPS");
        } finally {
            client.stop();
        }
    }
}
