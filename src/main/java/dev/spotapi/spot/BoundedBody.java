package dev.spotapi.spot;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads a Spot reply into memory up to {@link #MAX_REPLY_BYTES}; a longer one is abandoned as soon as it
 * passes the limit (the connection is dropped), so no single reply can run spot-api out of memory (issue 10
 * item 9). A real Spot reply is far smaller: a list of a thousand groups is a few MB. The replies being read into memory
 * at once count against {@link #IN_FLIGHT_BYTES} too, by the bytes that arrived (attack round 16: a 12 MB reply, read
 * into a doubling buffer, copied, then parsed, ended a 64 MiB heap); a reply that would pass it fails the same way.
 */
final class BoundedBody implements ReplyReader<byte[]> {
    /**
     * The largest Spot reply spot-api reads into memory, in bytes: an eighth of the heap, 4 to 32 MiB (8 MiB with the
     * launcher's 64 MiB heap). Lists read as they arrive ({@link StreamedEnvelope}) keep only what they need and are
     * bounded by {@link #MAX_STREAMED_BYTES}.
     */
    static final int MAX_REPLY_BYTES = heapShare(8);
    /**
     * The most bytes of all the replies being read into memory at once: an eighth of the heap too (at least one
     * reply's bound, at most 64 MiB): a reply's tree, and its copy written back to a caller, take about as much again
     * each (attack round 17: two replies of 7.5 MB, each under its bound, ended a 64 MiB heap together).
     */
    static final long IN_FLIGHT_BYTES = Math.max(MAX_REPLY_BYTES, Math.min(64L << 20,
            Runtime.getRuntime().maxMemory() / 8));
    /** The first buffer of a reply (bytes): it grows as bytes come, never ahead of them to a declared length. */
    private static final int FIRST_BUFFER = 64 * 1024;
    /** The largest list reply read as it arrives (32 MiB): only the items' kept fields stay in memory. */
    static final int MAX_STREAMED_BYTES = 32 * 1024 * 1024;

    /** The bytes of every reply being read into memory in this process, against {@link #IN_FLIGHT_BYTES}. */
    static final InFlight SHARED = new InFlight(IN_FLIGHT_BYTES);

    /** A count of reply bytes being read at once, and its bound (bytes). */
    static final class InFlight {
        private final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();
        private final long limit;

        InFlight(long limit) {
            this.limit = limit;
        }

        /** The bytes counted now. */
        long bytes() {
            return bytes.get();
        }
    }

    private final InFlight inFlight;
    private final int max;
    private final CompletableFuture<byte[]> body = new CompletableFuture<>();
    /** The reply's Content-Length, -1 without one: the buffer's first size (no doubling, no copy once complete). */
    private final long declaredLength;
    private byte[] bytes;
    private int count;
    /** The buffer's size counted in {@link #inFlight}, given back once the reply is read (or abandoned). */
    private long counted;
    private Flow.Subscription subscription;

    private final boolean declaredTooLarge;

    private BoundedBody(int max, long declaredLength, InFlight inFlight) {
        this.max = max;
        this.inFlight = inFlight;
        this.declaredTooLarge = declaredLength > max;
        this.declaredLength = declaredLength;
    }

    /** {@code 1/divisor} of the heap's maximum, kept between 4 and 32 MiB. */
    private static int heapShare(int divisor) {
        long share = Runtime.getRuntime().maxMemory() / divisor;
        return (int) Math.max(4L << 20, Math.min(32L << 20, share));
    }

    /**
     * A reader of at most {@code max} bytes; more fails with {@link TooLarge}, at once when the reply's
     * {@code declaredLength} (its Content-Length, -1 when it has none) says so.
     */
    static BoundedBody reader(int max, long declaredLength) {
        return reader(max, declaredLength, SHARED);
    }

    /** {@link #reader(int, long)} counting against {@code inFlight} instead of the process's own count. */
    static BoundedBody reader(int max, long declaredLength, InFlight inFlight) {
        return new BoundedBody(max, declaredLength, inFlight);
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
            int n = b.remaining();
            if (count + n > max) {
                abandon(new TooLarge(max));
                return;
            }
            if (bytes == null || count + n > bytes.length) {
                // grown as bytes come (doubling, up to the Content-Length when Spot sent one): what is counted is
                // what arrived, so a reply that declares much and sends little holds little (attack round 17)
                long limit = declaredLength >= count + n ? Math.min(max, declaredLength) : max;
                int capacity = (int) Math.min(limit, Math.max(count + n,
                        bytes == null ? FIRST_BUFFER : 2L * bytes.length));
                if (!count(capacity)) {
                    abandon(new TooLarge("Spot's replies being read at once are larger than "
                            + inFlight.limit / (1024 * 1024) + " MiB, the most spot-api holds"));
                    return;
                }
                bytes = bytes == null ? new byte[capacity] : java.util.Arrays.copyOf(bytes, capacity);
            }
            b.get(bytes, count, n);
            count += n;
        }
    }

    /** Counts this reply's buffer as {@code capacity} bytes in flight; false when that passes the bound. */
    private boolean count(long capacity) {
        long step = capacity - counted;
        if (inFlight.bytes.addAndGet(step) > inFlight.limit) {
            inFlight.bytes.addAndGet(-step);
            return false;
        }
        counted += step;
        return true;
    }

    private void abandon(IOException why) {
        subscription.cancel();
        release();
        body.completeExceptionally(why);
    }

    private void release() {
        inFlight.bytes.addAndGet(-counted);
        counted = 0;
        bytes = null;
    }

    @Override
    public void onError(Throwable failure) {
        release();
        body.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
        byte[] whole = bytes == null ? new byte[0] : count == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, count);
        long held = counted;
        counted = 0;
        bytes = null;
        try {
            body.complete(whole); // what reads it synchronously (the envelope's parse) still counts
        } finally {
            inFlight.bytes.addAndGet(-held);
        }
    }

    @Override
    public CompletionStage<byte[]> getBody() {
        return body;
    }

    /** The reply was longer than spot-api reads, or would pass what it holds of all replies at once. */
    static final class TooLarge extends IOException {
        TooLarge(int max) {
            this("Spot's reply is larger than " + max / (1024 * 1024) + " MiB, the most spot-api reads");
        }

        TooLarge(String message) {
            super(message, null);
        }
    }
}
