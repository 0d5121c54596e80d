package dev.spotapi.spot;

import javax.net.ssl.SSLEngine;
import org.eclipse.jetty.client.ContentDecoder;
import org.eclipse.jetty.client.DuplexConnectionPool;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.ProxyAuthenticationProtocolHandler;
import org.eclipse.jetty.client.RedirectProtocolHandler;
import org.eclipse.jetty.client.ValidatingConnectionPool;
import org.eclipse.jetty.client.WWWAuthenticationProtocolHandler;
import org.eclipse.jetty.client.transport.HttpClientTransportOverHTTP;
import org.eclipse.jetty.http.HttpCookieStore;
import org.eclipse.jetty.io.ClientConnector;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.eclipse.jetty.util.thread.ScheduledExecutorScheduler;

/**
 * The HTTP client every {@link SpotClient} of the service shares: Jetty's, HTTP/1.1, kept-alive connections.
 *
 * <p>Jetty's rather than the JDK's {@code java.net.http} client: measured side by side against the simulator
 * (16 GETs in flight, the launcher's C1-only JIT), the JDK client used 117-132 µs of CPU per GET, Jetty's
 * 72-81 µs (docs/performance.md). Set up to do only what spot-api asks of it:
 * <ul>
 *   <li>every attempt is exactly one request ({@link SpotRetryPolicy} decides every other): Jetty resends a
 *       request only when it never left (a pooled connection timed out before it was written to);</li>
 *   <li>no redirects followed, no cookies kept, no authentication or upgrade (interim 1xx replies are
 *       skipped to the real one), no
 *       {@code Accept-Encoding} (Spot's reply is read as it is sent), no default {@code User-Agent};</li>
 *   <li>heap buffers only (direct memory is capped by the launcher), up to {@link #MAX_CONNECTIONS} connections
 *       per endpoint, idle ones closed after {@link #IDLE_CONNECTION_MS}, a reply's head bounded by
 *       {@link #MAX_REPLY_HEAD_BYTES} (its body by {@link BoundedBody#MAX_REPLY_BYTES});</li>
 *   <li>TLS only when an endpoint is https ({@code tls}): otherwise the TLS context (the CA trust store,
 *       ~400 classes, 150-250 ms of a start) is built on first use, which never comes.</li>
 * </ul>
 * Replies are read as they arrive on the client's own threads ({@code spot-http}), where the callers'
 * continuations run too.
 */
public final class SpotHttp {
    /** Connections kept open to one Spot endpoint at most; further requests wait for one. */
    public static final int MAX_CONNECTIONS = 256;
    /**
     * The tag ({@code Request.tag}) of a request that changes something in Spot (POST, PUT, DELETE): changes have
     * connections of their own, which go back into use {@link #REUSE_AFTER_MS} after their reply, not at once.
     */
    public static final String CHANGES = "changes";
    /**
     * How long (ms) a connection of {@link #CHANGES} waits after its reply before its next request (Jetty's
     * {@code ValidatingConnectionPool}): a Spot that closes the connection right after a reply (without {@code
     * Connection: close}) is seen closing meanwhile. Handed at once to the next change, such a connection failed it
     * (502 "may have been applied", never sent: attack round 4); a read that meets one is simply retried. Only
     * changes wait: they are few (Spot's rate limits), reads are many and keep reusing connections at once.
     */
    public static final long REUSE_AFTER_MS = 20;
    /** Requests that may wait for a connection to one endpoint; beyond that a request fails at once. */
    public static final int MAX_QUEUED = 4096;
    /** An unused kept-alive connection is closed after this long (ms), before a server is likely to close it. */
    public static final long IDLE_CONNECTION_MS = 30_000;
    /**
     * The most bytes of status line and headers read of one reply (64 KiB; Jetty's client reads them without a
     * bound by default): a longer head fails the exchange, so that no reply's headers can fill the heap.
     */
    public static final int MAX_REPLY_HEAD_BYTES = 64 * 1024;
    /** Threads of the client: one selector, the rest read replies and run what follows them. */
    private static final int MAX_THREADS = 32;
    /** A thread above the minimum ends after this long idle (ms), as the server's do. */
    private static final int IDLE_THREAD_MS = 10_000;

    private SpotHttp() {
    }

    /**
     * A started client. {@code connectTimeoutMs}: how long a new connection may take; {@code tls}: whether
     * an endpoint is https (its TLS context is then built now). Stop it with {@link HttpClient#stop()}.
     *
     * @throws IllegalStateException when the client cannot start
     */
    public static HttpClient start(long connectTimeoutMs, boolean tls) {
        QueuedThreadPool threads = new QueuedThreadPool(MAX_THREADS, 2, IDLE_THREAD_MS);
        threads.setName("spot-http");
        threads.setDaemon(true);
        threads.setMaxEvictCount(MAX_THREADS);
        ClientConnector connector = new ClientConnector();
        connector.setSelectors(1);
        connector.setExecutor(threads);
        SslContextFactory.Client ssl = tls ? new SslContextFactory.Client() : new OnFirstUse();
        ssl.setEndpointIdentificationAlgorithm("HTTPS");
        connector.setSslContextFactory(ssl);
        if (!tls) {
            connector.unmanage(ssl); // started on first use (OnFirstUse), not with the client
        }
        HttpClientTransportOverHTTP transport = new HttpClientTransportOverHTTP(connector);
        ScheduledExecutorScheduler timer = new ScheduledExecutorScheduler("spot-http-timer", true);
        transport.setConnectionPoolFactory(destination -> CHANGES.equals(destination.getOrigin().getTag())
                ? new ValidatingConnectionPool(destination, MAX_CONNECTIONS, timer, REUSE_AFTER_MS)
                : new DuplexConnectionPool(destination, MAX_CONNECTIONS));
        HttpClient client = new HttpClient(transport);
        client.setExecutor(threads);
        client.setScheduler(timer);
        client.setConnectTimeout(connectTimeoutMs);
        client.setIdleTimeout(IDLE_CONNECTION_MS);
        client.setFollowRedirects(false);
        client.setHttpCookieStore(new HttpCookieStore.Empty());
        client.setUserAgentField(null);
        client.setMaxConnectionsPerDestination(MAX_CONNECTIONS);
        client.setMaxRequestsQueuedPerDestination(MAX_QUEUED);
        client.setMaxResponseHeadersSize(MAX_REPLY_HEAD_BYTES);
        client.setUseInputDirectByteBuffers(false);
        client.setUseOutputDirectByteBuffers(false);
        // start() looks content decoders up on the class path (ServiceLoader: it opens every jar, ~20 ms of a
        // start) only when none is set: a placeholder, removed with the rest below
        client.getContentDecoderFactories().put(new NoDecoder());
        try {
            client.start();
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the Spot HTTP client: " + e.getMessage(), e);
        }
        // both are filled in by start(): a 401 is Spot's answer to hand on, not a challenge to answer, a redirect is
        // not followed, nothing is upgraded; interim replies (100, 102, 103) are still skipped to the real one. A
        // reply is read as Spot sent it (no Accept-Encoding is sent)
        client.getProtocolHandlers().remove(RedirectProtocolHandler.NAME);
        client.getProtocolHandlers().remove(WWWAuthenticationProtocolHandler.NAME);
        client.getProtocolHandlers().remove(ProxyAuthenticationProtocolHandler.NAME);
        client.getProtocolHandlers().remove("upgrade"); // UpgradeProtocolHandler (no NAME constant)
        client.getContentDecoderFactories().clear();
        return client;
    }

    /** Decodes nothing: only there while the client starts ({@link #start}). */
    private static final class NoDecoder extends ContentDecoder.Factory {
        NoDecoder() {
            super("identity");
        }

        @Override
        public Content.Source newDecoderContentSource(Content.Source contentSource) {
            return contentSource;
        }
    }

    /** A TLS context factory that builds its context when the first TLS connection asks for an engine. */
    static final class OnFirstUse extends SslContextFactory.Client {
        private synchronized void startOnce() {
            if (!isStarted()) {
                try {
                    start();
                } catch (Exception e) {
                    throw new IllegalStateException("cannot build the TLS context: " + e.getMessage(), e);
                }
            }
        }

        @Override
        public SSLEngine newSSLEngine() {
            startOnce();
            return super.newSSLEngine();
        }

        @Override
        public SSLEngine newSSLEngine(String host, int port) {
            startOnce();
            return super.newSSLEngine(host, port);
        }
    }
}
