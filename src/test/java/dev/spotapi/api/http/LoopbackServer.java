package dev.spotapi.api.http;

import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/** A started Jetty server on 127.0.0.1 (a free port) serving one {@link ApiHandler}, and its base URL. */
record LoopbackServer(Server server, String base) {
    /** Starts a server that serves {@code router}; a fatal error is answered 500 with {@code fatalBody}. */
    static LoopbackServer start(Router router, String fatalBody) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        server.addConnector(connector);
        server.setHandler(new ApiHandler(router, (ctx, error) -> ctx.status(500).result(fatalBody)));
        server.start();
        return new LoopbackServer(server, "http://127.0.0.1:" + connector.getLocalPort());
    }
}
