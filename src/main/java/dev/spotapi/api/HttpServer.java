package dev.spotapi.api;

import dev.spotapi.api.http.Endpoint;
import dev.spotapi.api.http.Router;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.util.List;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** The service's HTTP server (Jetty, serving the {@link Router} built by {@link ApiServer}): start, stop, port. */
public final class HttpServer {
    private final Server server;
    private final ServerConnector connector;
    private final Router router;

    HttpServer(Server server, ServerConnector connector, Router router) {
        this.server = server;
        this.connector = connector;
        this.router = router;
    }

    /**
     * Binds the listen address and starts serving.
     *
     * @throws UncheckedIOException with a {@link BindException} cause when the address cannot be bound
     * @throws IllegalStateException when Jetty fails to start otherwise
     */
    public HttpServer start() {
        try {
            server.start();
        } catch (BindException e) {
            stopQuietly();
            throw new UncheckedIOException(e);
        } catch (IOException e) {
            stopQuietly();
            throw e.getCause() instanceof BindException b ? new UncheckedIOException(b) : new UncheckedIOException(e);
        } catch (Exception e) {
            stopQuietly();
            throw new IllegalStateException("the HTTP server failed to start: " + e.getMessage(), e);
        }
        return this;
    }

    /**
     * Stops: no new connections, in-flight requests get the stop timeout (graceful).
     *
     * @throws IllegalStateException when Jetty fails to stop cleanly
     */
    public void stop() {
        try {
            server.stop();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("the HTTP server failed to stop: " + e.getMessage(), e);
        }
    }

    private void stopQuietly() {
        try {
            server.stop();
        } catch (Exception ignored) {
            // failing start: the original failure is what the caller needs
        }
    }

    /** The port it listens on (the one bound when 0 was asked for); -1 before start. */
    public int port() {
        return connector.getLocalPort();
    }

    /** The Jetty server (for its metrics). */
    public Server jetty() {
        return server;
    }

    /** "METHOD /path" of every route served, in routing order. */
    public List<String> routes() {
        return router.all().stream().map(Endpoint::toString).toList();
    }
}
