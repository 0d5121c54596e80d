package dev.spotapi.sim.faults;

import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.http.Envelope;
import dev.spotapi.sim.SpotException;

import com.fasterxml.jackson.databind.JsonNode;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The faults configured through {@code /_sim/faults}, applied to Spot API requests before auth. */
public final class FaultInjector {
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjector.class);

    private static final String HOLD_REPLY_MS = "sim.holdReplyMs";
    private static final String DROP_REPLY = "sim.dropReply";
    private static final String CLOSED = "sim.closed";

    private final Envelope envelope;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final AtomicLong ids = new AtomicLong();
    /** Counted down when the simulator stops: every delay still held ends at once. */
    private final CountDownLatch closed = new CountDownLatch(1);

    public FaultInjector(Envelope envelope) {
        this.envelope = envelope;
    }

    /** Adds a fault; at most {@link Fault#MAX_FAULTS} are kept (one more is an {@link AdminException}). */
    public synchronized Fault add(JsonNode body) {
        if (faults.size() >= Fault.MAX_FAULTS) {
            throw new AdminException("at most " + Fault.MAX_FAULTS + " faults at once: DELETE /_sim/faults first");
        }
        Fault fault = Fault.parse(ids.incrementAndGet(), body);
        faults.add(fault);
        return fault;
    }

    public List<Fault> list() {
        return List.copyOf(faults);
    }

    public synchronized void clear() {
        faults.clear();
    }

    /**
     * The simulator is stopping: delays still held end now (the requests go on as after their delay), so
     * that the stop does not wait for them (Jetty would interrupt them after half its 5 s stop timeout).
     */
    public void close() {
        closed.countDown();
    }

    /**
     * Applies the first matching fault that fires. Returns true when the request has been answered
     * (or dropped) and must not be handled further; a delay returns false after sleeping.
     */
    public boolean intercept(Context ctx) {
        if (faults.isEmpty()) {
            return false;
        }
        String method = ctx.method().name();
        String path = ctx.path();
        for (Fault fault : faults) {
            if (fault.matches(method, path) && fault.tryFire()) {
                LOG.debug("fault {} fires on {} {}", fault.action().jsonName(), method, path);
                return apply(fault, ctx);
            }
        }
        return false;
    }

    /** After the request was handled: holds the reply of a {@code delay} fault with {@code after: true}. */
    public static void holdReply(Context ctx) {
        Long millis = ctx.attribute(HOLD_REPLY_MS);
        if (millis != null) {
            sleep(millis, ctx.attribute(CLOSED));
        }
    }

    private boolean apply(Fault fault, Context ctx) {
        if (fault.retryAfter() != null) {
            ctx.header("Retry-After", Integer.toString(fault.retryAfter()));
        }
        switch (fault.action()) {
            case DELAY -> {
                if (fault.after()) {
                    ctx.attribute(HOLD_REPLY_MS, fault.delayMs());
                    ctx.attribute(CLOSED, closed);
                } else {
                    sleep(fault.delayMs(), closed);
                }
                return false;
            }
            case DROP -> drop(ctx);
            case DROP_REPLY -> {
                ctx.attribute(DROP_REPLY, true);
                return false;
            }
            case STATUS -> envelope.error(ctx, fault.status(), fault.errors()
                    ? List.of(new SpotException(fault.status(), fault.errorCode(), fault.message(), null))
                    : List.of());
            case HTML -> ctx.status(fault.status()).contentType("text/html; charset=utf-8").result(html(fault.status()));
            case EMPTY -> ctx.status(fault.status()).result(new byte[0]);
            case GARBAGE -> ctx.status(fault.status()).contentType(Envelope.CONTENT_TYPE).result(garbage());
            case JSON -> ctx.status(fault.status()).contentType(Envelope.CONTENT_TYPE).result(fault.body());
        }
        return true;
    }

    /** After the request was handled: closes the connection of a request a {@code drop_reply} fault marked. */
    public void afterHandling(Context ctx) {
        if (Boolean.TRUE.equals(ctx.attribute(DROP_REPLY))) {
            drop(ctx);
        }
    }

    /** Closes the connection without a reply: the client sees an I/O error, not a status. */
    private static void drop(Context ctx) {
        ServletContextRequest.getServletContextRequest(ctx.req()).getServletChannel().getEndPoint().close();
    }

    private static String html(int status) {
        String title = status + " " + Envelope.reason(status);
        return "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head>\n<body><center><h1>" + title
                + "</h1></center><hr><center>spot-simulator</center></body></html>\n";
    }

    /** Random bytes that can never parse as JSON (the first one is never a valid JSON start). */
    private static byte[] garbage() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        byte[] bytes = new byte[random.nextInt(32, 256)];
        random.nextBytes(bytes);
        byte[] prefix = "~garbage~".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(prefix, 0, bytes, 0, prefix.length);
        return bytes;
    }

    /** Waits {@code millis} ms, less if the simulator stops meanwhile ({@code closed} counted down). */
    private static void sleep(long millis, CountDownLatch closed) {
        try {
            closed.await(millis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
