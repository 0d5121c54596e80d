package dev.spotapi.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A Spot endpoint that answers with raw bytes on a loopback socket, for the tests of how spot-api's HTTP client
 * meets a Spot that misbehaves at the TCP/HTTP level: every request (method and path) that reaches the socket
 * is counted, and a {@link Script} writes whatever it likes back (or nothing, or closes).
 */
final class RawSpot implements AutoCloseable {
    /** One request as it reached the socket: method, path without the query, headers (lower-case names). */
    record Request(String method, String path, String target, List<String> headerLines, byte[] body, int connection) {
        boolean is(String m) {
            return method.equals(m);
        }
    }

    /** Answers one request; returns false to close the connection after it, true to keep reading it. */
    interface Script {
        boolean answer(Request request, OutputStream out, Socket socket) throws Exception;
    }

    private final ServerSocket server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final AtomicInteger connections = new AtomicInteger();
    private volatile Script script;
    private volatile boolean closed;

    RawSpot(Script script) throws IOException {
        this.script = script;
        this.server = new ServerSocket(0, 512, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::acceptLoop, "raw-spot-accept");
        t.setDaemon(true);
        t.start();
    }

    String endpoint() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    int port() {
        return server.getLocalPort();
    }

    void script(Script s) {
        this.script = s;
    }

    List<Request> requests() {
        return new ArrayList<>(requests);
    }

    long count(String method) {
        return requests.stream().filter(r -> r.is(method)).count();
    }

    int connections() {
        return connections.get();
    }

    void clear() {
        requests.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                sockets.add(s);
                int n = connections.incrementAndGet();
                Thread t = new Thread(() -> serve(s, n), "raw-spot-conn-" + n);
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Socket s, int connection) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            while (!closed) {
                String head = readHead(in);
                if (head == null) {
                    return;
                }
                String[] lines = head.split("\r\n");
                String[] first = lines[0].split(" ");
                List<String> headers = new ArrayList<>();
                long length = 0;
                for (int i = 1; i < lines.length; i++) {
                    headers.add(lines[i]);
                    String lower = lines[i].toLowerCase(Locale.ROOT);
                    if (lower.startsWith("content-length:")) {
                        length = Long.parseLong(lower.substring("content-length:".length()).strip());
                    }
                }
                byte[] body = in.readNBytes((int) length);
                String path = first[1];
                int q = path.indexOf('?');
                Request r = new Request(first[0], q < 0 ? path : path.substring(0, q), path, headers, body, connection);
                requests.add(r);
                if (!script.answer(r, out, s)) {
                    return;
                }
                out.flush();
            }
        } catch (Exception e) {
            // the peer went away
        }
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) ? state + 1
                    : (c == '\n' && (state == 1 || state == 3)) ? state + 1 : 0;
            if (state == 4) {
                return b.toString(StandardCharsets.ISO_8859_1);
            }
        }
    }

    private static final java.net.http.HttpClient FORWARD = java.net.http.HttpClient.newHttpClient();

    /** A script that passes every request on to the simulator at {@code simBase} and writes its real reply back. */
    static Script proxyTo(String simBase) {
        return (r, out, s) -> {
            write(out, forward(simBase, r));
            return true;
        };
    }

    /** {@code r} sent to the simulator at {@code simBase}; its reply as raw text with Content-Length. */
    static String forward(String simBase, Request r) throws Exception {
        java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(java.net.URI.create(simBase + r.target()))
                .timeout(java.time.Duration.ofSeconds(10))
                .method(r.method(), r.body().length == 0 ? java.net.http.HttpRequest.BodyPublishers.noBody()
                        : java.net.http.HttpRequest.BodyPublishers.ofByteArray(r.body()));
        for (String h : r.headerLines()) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("authorization:") || lower.startsWith("content-type:")) {
                int c = h.indexOf(':');
                b.header(h.substring(0, c).strip(), h.substring(c + 1).strip());
            }
        }
        java.net.http.HttpResponse<String> resp = FORWARD.send(b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        String id = resp.headers().firstValue("x-request-id").orElse("raw-1");
        return reply(resp.statusCode(), "X", resp.body(), "x-request-id: " + id);
    }

    /** Writes {@code text} (ISO-8859-1) and flushes. */
    static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Writes a whole reply of {@code status} with the JSON {@code body} (bytes as they are) and its Content-Length. */
    static void writeJson(OutputStream out, int status, byte[] body) throws IOException {
        out.write(("HTTP/1.1 " + status + " X\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** A whole 200 reply with a JSON body and Content-Length. */
    static String ok(String json, String... extraHeaders) {
        return reply(200, "OK", json, extraHeaders);
    }

    static String reply(int status, String reason, String json, String... extraHeaders) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        StringBuilder b = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason).append("\r\n")
                .append("Content-Type: application/json\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        for (String h : extraHeaders) {
            b.append(h).append("\r\n");
        }
        return b.append("\r\n").append(new String(body, StandardCharsets.ISO_8859_1)).toString();
    }

    /** Holds the connection open without a byte until the socket is closed by either side. */
    static boolean hold(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        while (in.read() >= 0) {
            // discard
        }
        return false;
    }

    /** Closes every connection made so far (Spot ends them); the listener stays open. */
    void closeConnections() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
        sockets.clear();
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing
            }
        }
    }
}
