package dev.spotapi.spot;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a Spot reply into memory up to {@link #MAX_REPLY_BYTES}; a longer one is abandoned as soon as it
 * passes the limit (the connection is dropped), so no single reply can run spot-api out of memory (issue 10
 * item 9). A real Spot reply is far smaller: a list of a thousand groups is a few MB.
 */
final class BoundedBody implements ReplyReader<byte[]> {
    /** The largest Spot reply spot-api reads, in bytes (32 MiB). */
    static final int MAX_REPLY_BYTES = 32 * 1024 * 1024;

    private final int max;
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    private final boolean declaredTooLarge;

    private BoundedBody(int max, boolean declaredTooLarge) {
        this.max = max;
        this.declaredTooLarge = declaredTooLarge;
    }

    /**
     * A reader of at most {@code max} bytes; more fails with {@link TooLarge}, at once when the reply's
     * {@code declaredLength} (its Content-Length, -1 when it has none) says so.
     */
    static BoundedBody reader(int max, long declaredLength) {
        return new BoundedBody(max, declaredLength > max);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        this.subscription = s;
        if (declaredTooLarge) { // not a byte of it is read
            s.cancel();
            body.completeExceptionally(new TooLarge(max));
            return;
        }
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> items) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer b : items) {
            if (bytes.size() + b.remaining() > max) {
                subscription.cancel();
                body.completeExceptionally(new TooLarge(max));
                return;
            }
            byte[] chunk = new byte[b.remaining()];
            b.get(chunk);
            bytes.write(chunk, 0, chunk.length);
        }
    }

    @Override
    public void onError(Throwable failure) {
        body.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
        body.complete(bytes.toByteArray());
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    /** The reply was longer than spot-api reads. */
    static final class TooLarge extends IOException {
        TooLarge(int max) {
            super("Spot's reply is larger than " + max / (1024 * 1024) + " MiB", null);
        }
    }
}
