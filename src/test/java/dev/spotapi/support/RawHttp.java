package dev.spotapi.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A bare HTTP/1.1 client over a socket to 127.0.0.1, for requests that a well-behaved client library
 * refuses to send or silently repairs: raw bytes in the path, odd methods, huge headers, bodies that
 * lie about their size. Every request asks for {@code Connection: close}; reads are bounded in time.
 */
public final class RawHttp {
    private RawHttp() {
    }

    /** The answer, or how the exchange failed when no status line arrived. */
    public record Answer(int status, Map<String, String> headers, String body, String failure, long millis) {
        /** The header's value (any case), or null. */
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return failure != null ? "no answer (" + failure + ") after " + millis + " ms"
                    : status + " " + headers + " " + (body.length() > 300 ? body.substring(0, 300) + "..." : body);
        }
    }

    /**
     * Sends {@code method target} with the given extra header lines (each "Name: value", no CRLF) and
     * body, and reads the reply until the server closes the connection or {@code timeoutMs} passes.
     */
    public static Answer send(int port, String method, byte[] target, Map<String, String> headers, byte[] body,
            int timeoutMs) {
        return send(port, method, target, headers, body, timeoutMs, socket -> { });
    }

    /**
     * {@link #send(int, String, byte[], Map, byte[], int)}, telling {@code connected} the socket once it is
     * connected: a load generator closes the sockets still waiting when it stops, instead of waiting out
     * their timeouts.
     */
    public static Answer send(int port, String method, byte[] target, Map<String, String> headers, byte[] body,
            int timeoutMs, java.util.function.Consumer<Socket> connected) {
        return sendFrom(null, port, method, target, headers, body, timeoutMs, connected);
    }

    /**
     * {@link #send(int, String, byte[], Map, byte[], int, java.util.function.Consumer)} from the local address
     * {@code source} (e.g. 127.0.0.2: the whole 127.0.0.0/8 is loopback on Linux), so that the server sees
     * another client address; null: the system's choice.
     */
    public static Answer sendFrom(java.net.InetAddress source, int port, String method, byte[] target,
            Map<String, String> headers, byte[] body, int timeoutMs, java.util.function.Consumer<Socket> connected) {
        long start = System.nanoTime();
        try (Socket socket = new Socket()) {
            if (source != null) {
                socket.bind(new InetSocketAddress(source, 0));
            }
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
            connected.accept(socket);
            socket.setSoTimeout(timeoutMs);
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            head.write(method.getBytes(StandardCharsets.ISO_8859_1));
            head.write(' ');
            head.write(target);
            head.write(" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n".getBytes(StandardCharsets.ISO_8859_1));
            for (Map.Entry<String, String> h : headers.entrySet()) {
                head.write((h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.UTF_8));
            }
            if (body != null && !headers.keySet().stream().anyMatch(k -> k.equalsIgnoreCase("Content-Length")
                    || k.equalsIgnoreCase("Transfer-Encoding"))) {
                head.write(("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            head.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
            OutputStream out = socket.getOutputStream();
            try {
                out.write(head.toByteArray());
                if (body != null) {
                    out.write(body);
                }
                out.flush();
            } catch (IOException writeFailed) {
                // the server may answer and close before reading everything (413, 431): read what it said
            }
            byte[] raw = readUntilClosed(socket.getInputStream(), timeoutMs, start);
            return parse(raw, millisSince(start));
        } catch (IOException e) {
            return new Answer(-1, Map.of(), "", e.getClass().getSimpleName() + ": " + e.getMessage(),
                    millisSince(start));
        }
    }

    public static Answer send(int port, String method, String target, Map<String, String> headers, byte[] body) {
        return send(port, method, target.getBytes(StandardCharsets.UTF_8), headers, body, 10_000);
    }

    private static byte[] readUntilClosed(InputStream in, int timeoutMs, long start) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        while (millisSince(start) < timeoutMs + 5_000L) {
            int n;
            try {
                n = in.read(chunk);
            } catch (SocketTimeoutException e) {
                break;
            } catch (IOException reset) {
                break; // a reset after the reply: keep what arrived
            }
            if (n < 0) {
                break;
            }
            buf.write(chunk, 0, n);
            if (buf.size() > 4_000_000) {
                break;
            }
        }
        return buf.toByteArray();
    }

    private static Answer parse(byte[] raw, long millis) {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int headEnd = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.") || headEnd < 0) {
            return new Answer(-1, Map.of(), text, raw.length == 0 ? "connection closed without a reply"
                    : "not an HTTP reply: " + text.substring(0, Math.min(80, text.length())), millis);
        }
        String[] lines = text.substring(0, headEnd).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        byte[] bodyBytes = java.util.Arrays.copyOfRange(raw, headEnd + 4, raw.length);
        if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
            bodyBytes = dechunk(bodyBytes);
        }
        return new Answer(status, headers, new String(bodyBytes, StandardCharsets.UTF_8), null, millis);
    }

    private static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < chunked.length) {
            int lineEnd = indexOfCrlf(chunked, i);
            if (lineEnd < 0) {
                break;
            }
            String sizeText = new String(chunked, i, lineEnd - i, StandardCharsets.ISO_8859_1).split(";")[0].trim();
            int size;
            try {
                size = Integer.parseInt(sizeText, 16);
            } catch (NumberFormatException e) {
                break;
            }
            if (size == 0) {
                break;
            }
            int from = lineEnd + 2;
            int to = Math.min(chunked.length, from + size);
            out.write(chunked, from, to - from);
            i = to + 2;
        }
        return out.toByteArray();
    }

    private static int indexOfCrlf(byte[] b, int from) {
        for (int i = from; i + 1 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n') {
                return i;
            }
        }
        return -1;
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * Stops a pool of raw senders: interrupts them, closes their open {@code sockets} (a blocked read or write ends) and
     * waits up to 15 s for them to finish.
     */
    public static void stopSenders(java.util.concurrent.ExecutorService pool, java.util.Collection<Socket> sockets)
            throws InterruptedException {
        pool.shutdownNow();
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        pool.awaitTermination(15, java.util.concurrent.TimeUnit.SECONDS);
    }
}
