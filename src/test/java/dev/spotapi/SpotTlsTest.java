package dev.spotapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spot HttpClient gets the JDK's TLS context only when an account's endpoint is https (SpotTls). */
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
    void aClientThatNeedsTlsGetsTheDefaultContextAsBefore() throws Exception {
        HttpClient client = SpotTls.configure(HttpClient.newBuilder(), true).build();
        assertThat(client.sslContext()).isSameAs(SSLContext.getDefault());
        assertThat(client.sslParameters().getProtocols())
                .containsExactly(SSLContext.getDefault().getDefaultSSLParameters().getProtocols());
    }

    @Test
    void aPlainHttpClientServesHttpWithoutTheDefaultContext() throws Exception {
        HttpClient client = SpotTls.configure(HttpClient.newBuilder(), false).build();
        assertThat(client.sslContext()).isNotSameAs(SSLContext.getDefault());
        assertThat(client.sslParameters().getProtocols()).as("left to the engine's defaults").isNull();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            byte[] body = "pong".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            HttpResponse<String> reply = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/ping")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(reply.statusCode()).isEqualTo(200);
            assertThat(reply.body()).isEqualTo("pong");
        } finally {
            server.stop(0);
        }
    }

    /** Should TLS ever be asked of the deferred context, it is the JDK's default one's, with its defaults. */
    @Test
    void theDeferredContextIsTheDefaultOneOnFirstUse() throws Exception {
        SSLContext deferred = SpotTls.deferredDefault();
        SSLContext real = SSLContext.getDefault();
        assertThat(deferred.getDefaultSSLParameters().getProtocols())
                .containsExactly(real.getDefaultSSLParameters().getProtocols());
        assertThat(deferred.getDefaultSSLParameters().getCipherSuites())
                .containsExactly(real.getDefaultSSLParameters().getCipherSuites());
        SSLEngine engine = deferred.createSSLEngine("api.spotinst.io", 443);
        assertThat(engine.getPeerHost()).isEqualTo("api.spotinst.io");
        assertThat(engine.getEnabledProtocols()).containsExactly(real.createSSLEngine().getEnabledProtocols());
        assertThat(deferred.getClientSessionContext()).isSameAs(real.getClientSessionContext());
    }
}
