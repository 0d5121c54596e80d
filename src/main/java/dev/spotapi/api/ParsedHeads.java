package dev.spotapi.api;

import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpVersion;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.internal.HttpConnection;

/**
 * Jetty's HTTP/1.1 connections, each remembering what its parser has read of the current request: the method and the
 * target of its request line and the first {@code X-Request-Id}. A request Jetty's parser then refuses (two
 * {@code Host}s, two lengths, a bad header) reaches {@link JettyErrors} as a placeholder without any of it ("BAD
 * /badMessage", no headers): with this it is still logged as sent and keeps the caller's sane id (attack round 20).
 * Jetty's own parsing is unchanged: each step is handed on to it.
 */
final class ParsedHeads extends HttpConnectionFactory {
    /** What the parser read of a request: each null until read. */
    record Head(String method, String path, String requestId) {
    }

    ParsedHeads(HttpConfiguration config) {
        super(config);
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        Remembering connection = new Remembering(getHttpConfiguration(), connector, endPoint);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }

    /** What the connection of {@code request} read of its current request; null when it is not one of these. */
    static Head of(Request request) {
        return request.getConnectionMetaData() instanceof Remembering c && c.handler != null ? c.handler.head() : null;
    }

    private static final class Remembering extends HttpConnection {
        // set by newRequestHandler(), which HttpConnection's constructor calls: no initializer, or it would be reset
        private Heads handler;

        Remembering(HttpConfiguration config, Connector connector, EndPoint endPoint) {
            super(config, connector, endPoint);
        }

        @Override
        protected RequestHandler newRequestHandler() {
            handler = new Heads();
            return handler;
        }

        private final class Heads extends RequestHandler {
            private volatile String method;
            private volatile String path;
            private volatile String requestId;

            Head head() {
                return new Head(method, path, requestId);
            }

            @Override
            public void messageBegin() {
                method = null;
                path = null;
                requestId = null;
                super.messageBegin();
            }

            @Override
            public void startRequest(String method, String uri, HttpVersion version) {
                this.method = method;
                int query = uri == null ? -1 : uri.indexOf('?');
                this.path = query < 0 ? uri : uri.substring(0, query);
                super.startRequest(method, uri, version);
            }

            @Override
            public void parsedHeader(HttpField field) {
                if (requestId == null && RequestIds.HEADER.equalsIgnoreCase(field.getName())) {
                    requestId = field.getValue();
                }
                super.parsedHeader(field);
            }
        }
    }
}
