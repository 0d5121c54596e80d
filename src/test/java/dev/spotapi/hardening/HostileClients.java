package dev.spotapi.hardening;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Load generators for clients that cost a server without ever finishing: each runs its own threads until
 * {@link #close()}, replacing a connection the server answers or closes, and counts what it got.
 */
abstract class HostileClients implements AutoCloseable {
    final int port;
    final Map<Integer, AtomicInteger> answers = new ConcurrentHashMap<>();
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger open = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    volatile boolean running = true;
    /** How long a client waits before its next connection, in ms. */
    volatile long reconnectPauseMs = 50;

    HostileClients(int port) {
        this.port = port;
    }

    /** Starts {@code n} clients, each on its own daemon thread. */
    HostileClients start(int n, String name) {
        for (int i = 0; i < n; i++) {
            Thread t = new Thread(() -> {
                while (running) {
                    try (Socket s = new Socket()) {
                        s.connect(new InetSocketAddress("127.0.0.1", port), 10_000);
                        sockets.add(s);
                        connections.incrementAndGet();
                        open.incrementAndGet();
                        try {
                            once(s);
                        } finally {
                            open.decrementAndGet();
                            sockets.remove(s);
                        }
                    } catch (IOException e) {
                        // closed by the server or by close(): next connection
                    }
                    pause(reconnectPauseMs);
                }
            }, name + "-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        return this;
    }

    /** One connection's behaviour; returns (or throws) when the connection is done with. */
    abstract void once(Socket socket) throws IOException;

    /** The status of the reply that starts {@code in}'s next bytes (-1 if the connection closed without one). */
    int awaitStatus(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        socket.setSoTimeout(200);
        byte[] head = new byte[12];
        int got = 0;
        while (running && got < head.length) {
            try {
                int n = in.read(head, got, head.length - got);
                if (n < 0) {
                    break;
                }
                got += n;
            } catch (SocketTimeoutException e) {
                // still waiting
            }
        }
        int status = got == head.length && new String(head, 0, 9, StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 ")
                ? Integer.parseInt(new String(head, 9, 3, StandardCharsets.ISO_8859_1)) : -1;
        if (running) {
            answers.computeIfAbsent(status, k -> new AtomicInteger()).incrementAndGet();
        }
        return status;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
    }

    static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Creates with a declared body of {@code declared} bytes, of which {@code sent} are sent at once; then
     * the client stalls until it is answered or closed. {@code token} may be null (none sent).
     */
    static HostileClients stalledBodies(int port, String token, int declared, int sent) {
        return new HostileClients(port) {
            @Override
            void once(Socket s) throws IOException {
                OutputStream out = s.getOutputStream();
                out.write(("POST /v1/spot/main/instances HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                        + (token == null ? "" : "X-Auth-Token: " + token + "\r\n")
                        + "Content-Type: application/json\r\nContent-Length: " + declared + "\r\n\r\n{\"a\":\"")
                        .getBytes(StandardCharsets.ISO_8859_1));
                byte[] piece = new byte[16_384];
                java.util.Arrays.fill(piece, (byte) 'x');
                try {
                    for (int done = 0; done < sent && running; done += piece.length) {
                        out.write(piece, 0, Math.min(piece.length, sent - done));
                    }
                    out.flush();
                } catch (IOException refused) {
                    // the server answered and closed without reading the rest: read its answer
                }
                awaitStatus(s);
            }
        };
    }

    /**
     * Pipelines {@code requests} GETs of {@code path} on one connection and never reads an answer: the
     * connection stays open (and unread) until the server closes it or the test ends.
     */
    static HostileClients nonReading(int port, String path, int requests) {
        return new HostileClients(port) {
            @Override
            void once(Socket s) throws IOException {
                byte[] request = ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
                OutputStream out = s.getOutputStream();
                for (int i = 0; i < requests; i++) {
                    out.write(request);
                }
                out.flush();
                while (running && !s.isClosed()) {
                    pause(100);
                }
            }
        };
    }

    /**
     * Sends the first line of a request, then one header byte every {@code everyMs}, forever; records in
     * {@code closedAfterMs} how long each connection lasted before the server closed it.
     */
    static HostileClients headerDribble(int port, long everyMs, List<Long> closedAfterMs) {
        return new HostileClients(port) {
            @Override
            void once(Socket s) throws IOException {
                long start = System.nanoTime();
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                s.setSoTimeout(1);
                out.write("GET /v1/spot/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
                while (running) {
                    try {
                        if (in.read() < 0) {
                            break;
                        }
                    } catch (SocketTimeoutException stillOpen) {
                        // nothing from the server: go on
                    } catch (IOException reset) {
                        break;
                    }
                    try {
                        out.write('a');
                        out.flush();
                    } catch (IOException closed) {
                        break;
                    }
                    pause(everyMs);
                }
                if (running) {
                    closedAfterMs.add((System.nanoTime() - start) / 1_000_000);
                }
            }
        };
    }
}
