package dev.spotapi;

import dev.spotapi.config.AccountConfig;
import dev.spotapi.config.ServiceConfig;
import java.net.http.HttpClient;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * TLS for the Spot HttpClient only when a configured Spot endpoint is {@code https} (the real Spot API).
 * The JDK's HttpClient builds the default TLS context when it is created: the CA trust store parsed into
 * ~150 certificates and ~400 classes, 150-250 ms of CPU of every start (docs/performance.md). With only
 * {@code http} endpoints (a simulator, a local proxy) the client is given a context that builds the
 * default one on first use instead, which never comes: every Spot request goes to a configured endpoint,
 * and the client follows no redirects.
 */
public final class SpotTls {
    private SpotTls() {
    }

    /** True when any account's effective endpoint (the real Spot API when none is set) is an https URL. */
    public static boolean needed(ServiceConfig config) {
        return config.accounts().values().stream().map(AccountConfig::effectiveEndpoint)
                .anyMatch(endpoint -> endpoint.regionMatches(true, 0, "https:", 0, 6));
    }

    /**
     * The builder as is when TLS is {@code needed} (the JDK's default context and parameters, built now);
     * else with a {@link #deferredDefault() deferred} default context and parameters left to it.
     */
    public static HttpClient.Builder configure(HttpClient.Builder builder, boolean needed) {
        if (needed) {
            return builder;
        }
        // Explicit parameters: the client otherwise asks the context for its defaults at once. Left empty,
        // a TLS engine keeps the default context's protocols and cipher suites (what they would hold).
        return builder.sslContext(deferredDefault()).sslParameters(new SSLParameters());
    }

    /** A context that does everything through {@link SSLContext#getDefault()}, looked up on its first use. */
    static SSLContext deferredDefault() {
        return new SSLContext(new DeferredSpi(), null, "Default") {
        };
    }

    /** Every operation on the JDK's default context; it cannot be initialised again (as the default one). */
    private static final class DeferredSpi extends SSLContextSpi {
        private static SSLContext context() {
            try {
                return SSLContext.getDefault();
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context: " + e.getMessage(), e);
            }
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) throws KeyManagementException {
            context().init(km, tm, sr);
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return context().getSocketFactory();
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return context().getServerSocketFactory();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            return context().createSSLEngine();
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            return context().createSSLEngine(host, port);
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return context().getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return context().getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            return context().getDefaultSSLParameters();
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            return context().getSupportedSSLParameters();
        }
    }
}
