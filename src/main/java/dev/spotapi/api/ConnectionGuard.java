package dev.spotapi.api;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.AbstractEndPoint;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the idle timeout cannot keep for the server's connections, checked every {@link #SWEEP_MS} ms on the
 * server's scheduler:
 * <ul>
 *   <li>A deadline for request headers. The idle timeout restarts at every byte, so headers dribbled one
 *       byte at a time would keep a connection (and its input buffer) forever; once the first byte of a
 *       request has arrived, its headers must be complete (the request reaches this handler) within
 *       {@code deadlineMs}, else the connection is closed.</li>
 *   <li>Slots taken back from connections that hold one without using it. The server holds at most
 *       {@code maxConnections} open (past that, new connections wait in the listen backlog); connections that
 *       send nothing (never a byte, or nothing after their last answer), or leave an answer unread so that its
 *       write cannot go on, would otherwise keep their slots for the whole idle timeout, and a client opening
 *       more of them than there are slots shut every other caller, and the liveness probe, out. Once
 *       {@link #RECLAIM_FROM} of the slots are open, such connections are closed, the one quiet the longest
 *       first, until {@link #RECLAIM_TO} are: idle ones (no request in progress, no byte of a next one) and
 *       stalled ones (an answer waiting for the client to read, no byte written for {@link #STALLED_MS} ms).
 *       A connection gets {@link #GRACE_MS} ms after it opened or finished a request before it counts as idle
 *       (its request may be on its way or not read yet), and one whose request waits for Spot or for its body
 *       is never closed. Closing an idle keep-alive connection is what its idle timeout would have done
 *       later; the client opens a new one.</li>
 * </ul>
 * An idle keep-alive connection is otherwise left to the idle timeout.
 *
 * <p>Register {@link #listener()} on each connector (as a bean) and insert this handler.
 */
final class ConnectionGuard extends Handler.Wrapper {
    static final long SWEEP_MS = 250;
    /** Share of the connection slots open from which idle connections are closed. */
    static final double RECLAIM_FROM = 0.875;
    /** Share of the slots left open once idle connections have been closed. */
    static final double RECLAIM_TO = 0.75;
    /** How long a connection that opened or finished a request is left alone before it counts as idle, ms. */
    static final long GRACE_MS = 1_000;
    /** How long an answer's write may wait for the client to read before the connection counts as stalled, ms. */
    static final long STALLED_MS = 1_000;
    /**
     * How long a request's headers may take from their first byte while the slots run short, ms (otherwise the header
     * deadline, {@code http.bodyTimeoutMs}): a client sends its headers in one go, so headers still incomplete after
     * a second are dribbled, as slowloris does (attack round 22: 600 connections dribbling one header byte a second,
     * reconnecting when cut, held every slot, and a new connection waited 4-8 s in the listen backlog, past a
     * probe's timeout); nginx and HAProxy bound header time the same way.
     */
    static final long SLOW_HEADERS_MS = 1_000;
    private static final long SLOW_HEADERS_NANOS = TimeUnit.MILLISECONDS.toNanos(SLOW_HEADERS_MS);
    private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(GRACE_MS);
    private static final long STALLED_NANOS = TimeUnit.MILLISECONDS.toNanos(STALLED_MS);

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);
    private static final dev.spotapi.log.Throttle RECLAIM_WARNINGS = new dev.spotapi.log.Throttle(10_000);

    private final long deadlineNanos;
    private final int reclaimFrom;
    private final int reclaimTo;
    private final Map<Connection, Waiting> connections = new ConcurrentHashMap<>();
    private final Connection.Listener listener = new Connection.Listener() {
        @Override
        public void onOpened(Connection connection) {
            connections.put(connection, new Waiting(connection.getBytesIn()));
        }

        @Override
        public void onClosed(Connection connection) {
            connections.remove(connection);
        }
    };

    /**
     * @param deadlineMs     how long a request's headers may take from its first byte, in ms
     * @param maxConnections the server's connection limit (its {@code NetworkConnectionLimit})
     */
    ConnectionGuard(long deadlineMs, int maxConnections) {
        this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(deadlineMs);
        this.reclaimFrom = Math.max(1, (int) (maxConnections * RECLAIM_FROM));
        this.reclaimTo = Math.max(0, (int) (maxConnections * RECLAIM_TO));
    }

    /** The listener that tells this handler of each connection: add it to every connector as a bean. */
    Connection.Listener listener() {
        return listener;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        schedule(getServer().getScheduler());
    }

    private void schedule(Scheduler scheduler) {
        scheduler.schedule(() -> {
            if (isRunning()) {
                try {
                    sweep();
                } catch (RuntimeException e) {
                    LOG.warn("connection sweep failed, tried again next period: {}", e.toString());
                }
                schedule(scheduler);
            }
        }, SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Connection connection = request.getConnectionMetaData().getConnection();
        Waiting waiting = connections.get(connection);
        if (waiting != null) {
            waiting.inRequest = true;
            Request.addCompletionListener(request, failure -> connections.computeIfPresent(connection,
                    (c, w) -> new Waiting(c.getBytesIn())));
        }
        return super.handle(request, response, callback);
    }

    /** Closes the connections past their header deadline, then idle ones when the slots run short. */
    private void sweep() {
        long now = System.nanoTime();
        connections.forEach((connection, waiting) -> {
            if (waiting.inRequest) {
                long out = connection.getBytesOut();
                if (out != waiting.bytesOut) {
                    waiting.bytesOut = out;
                    waiting.quietSince = now;
                }
                return;
            }
            if (waiting.firstByteAt == 0) {
                if (connection.getBytesIn() > waiting.bytesBefore) {
                    waiting.firstByteAt = now;
                }
            } else if (now - waiting.firstByteAt > deadlineNanos) {
                connections.remove(connection);
                connection.getEndPoint().close(new TimeoutException("request headers not received within "
                        + TimeUnit.NANOSECONDS.toMillis(deadlineNanos) + " ms"));
            }
        });
        int open = connections.size();
        if (open >= reclaimFrom) {
            reclaim(open);
        }
    }

    /**
     * Closes idle and stalled connections, the one quiet the longest first, until {@code reclaimTo} are open.
     */
    private void reclaim(int open) {
        long now = System.nanoTime();
        List<Map.Entry<Connection, Waiting>> unused = new ArrayList<>();
        for (Map.Entry<Connection, Waiting> e : connections.entrySet()) {
            if (unused(e.getKey(), e.getValue(), now)) {
                unused.add(e);
            }
        }
        unused.sort(Comparator.comparingLong(e -> e.getValue().quietSince));
        int closing = Math.min(unused.size(), open - reclaimTo);
        for (int i = 0; i < closing; i++) {
            Connection connection = unused.get(i).getKey();
            // only if it is still the same wait (a request may have begun or ended since the list was made)
            if (connections.remove(connection, unused.get(i).getValue())) {
                connection.getEndPoint().close(new TimeoutException("connection closed unused (idle, its answer"
                        + " left unread, or its headers dribbled): the server is near its connection limit"));
            }
        }
        long suppressed = RECLAIM_WARNINGS.allow("reclaim");
        if (suppressed >= 0) {
            LOG.atWarn().addKeyValue("open", open).addKeyValue("closed", closing).addKeyValue("suppressed", suppressed)
                    .log("{} connections open, near the limit: closed {} unused ones (idle, their answers left"
                            + " unread, or their headers dribbled), the one quiet the longest first (logged at most"
                            + " every 10 s)", open, closing);
        }
    }

    /**
     * Idle past its grace, in a request whose answer's write has waited for the client for a while, or with request
     * headers still incomplete {@link #SLOW_HEADERS_MS} ms after their first byte.
     */
    private static boolean unused(Connection connection, Waiting w, long now) {
        if (w.inRequest) {
            return now - w.quietSince > STALLED_NANOS
                    && connection.getEndPoint() instanceof AbstractEndPoint endPoint && endPoint.getWriteFlusher().isPending();
        }
        if (w.firstByteAt != 0) {
            return now - w.firstByteAt > SLOW_HEADERS_NANOS;
        }
        return connection.getBytesIn() == w.bytesBefore && now - w.quietSince > GRACE_NANOS;
    }

    /**
     * A connection between requests, or in one: the bytes it had received when it began to wait, when more
     * came, whether a request is in progress, and since when nothing happened on it (ns): since it opened or
     * finished its last request, or, in a request, since its last byte written.
     */
    private static final class Waiting {
        final long bytesBefore;
        volatile long quietSince = System.nanoTime();
        volatile long firstByteAt;
        volatile boolean inRequest;
        volatile long bytesOut;

        Waiting(long bytesBefore) {
            this.bytesBefore = bytesBefore;
        }
    }
}
