package dev.spotapi.api;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A deadline for request headers. The idle timeout restarts at every byte, so headers dribbled one byte at
 * a time would keep a connection (and its input buffer) forever; here, once the first byte of a request
 * has arrived, its headers must be complete (the request reaches this handler) within {@code deadlineMs},
 * else the connection is closed. An idle keep-alive connection (no byte of a next request yet) is left to
 * the idle timeout. Checked every {@link #SWEEP_MS} ms on the server's scheduler, so the deadline is kept
 * to within that.
 *
 * <p>Register {@link #listener()} on each connector (as a bean) and insert this handler.
 */
final class HeaderDeadline extends Handler.Wrapper {
    static final long SWEEP_MS = 250;

    private final long deadlineNanos;
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

    /** @param deadlineMs how long a request's headers may take from its first byte, in ms */
    HeaderDeadline(long deadlineMs) {
        this.deadlineNanos = TimeUnit.MILLISECONDS.toNanos(deadlineMs);
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
                sweep();
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

    /** Closes the connections whose next request started arriving more than the deadline ago. */
    private void sweep() {
        long now = System.nanoTime();
        connections.forEach((connection, waiting) -> {
            if (waiting.inRequest) {
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
    }

    /** A connection between requests: the bytes it had received when it began to wait, and when more came. */
    private static final class Waiting {
        final long bytesBefore;
        volatile long firstByteAt;
        volatile boolean inRequest;

        Waiting(long bytesBefore) {
            this.bytesBefore = bytesBefore;
        }
    }
}
