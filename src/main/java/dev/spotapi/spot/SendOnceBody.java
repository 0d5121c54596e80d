package dev.spotapi.spot;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A request body that lets the JDK HTTP client send its request only once, so that {@code spot.maxAttempts}
 * is the whole truth about what reaches Spot (issue 10 item 5).
 *
 * <p>The JDK client resends a GET by itself when a reused keep-alive connection is closed before any byte of
 * the reply (its {@code ConnectionExpiredException} path), and no setting turns that off. It asks the body for
 * its length exactly once per HTTP/1.1 exchange, just before it writes the request headers; the second time
 * this body refuses, so the resend fails before a byte is written and {@link SpotRetryPolicy} decides instead.
 */
final class SendOnceBody implements HttpRequest.BodyPublisher {
    private final HttpRequest.BodyPublisher body;
    private final AtomicInteger sends = new AtomicInteger();

    SendOnceBody(HttpRequest.BodyPublisher body) {
        this.body = body;
    }

    @Override
    public long contentLength() {
        if (sends.incrementAndGet() > 1) {
            throw new ResendRefused();
        }
        return body.contentLength();
    }

    @Override
    public void subscribe(Flow.Subscriber<? super ByteBuffer> subscriber) {
        body.subscribe(subscriber);
    }

    /** The JDK client tried to send the request a second time; the first one may have reached Spot. */
    static final class ResendRefused extends RuntimeException {
        ResendRefused() {
            super("the HTTP client's own resend was refused", null, false, false);
        }
    }
}
