package dev.spotapi.spot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import org.junit.jupiter.api.Test;

/**
 * What a reply read into memory may hold (attack round 16): each reply at most its bound, all replies being read at
 * once at most theirs, counted by buffer size and given back when a reply is read, abandoned or fails.
 */
class BoundedBodyTest {
    private static final int MIB = 1024 * 1024;

    private static final Flow.Subscription NOTHING = new Flow.Subscription() {
        @Override
        public void request(long n) {
        }

        @Override
        public void cancel() {
        }
    };

    private static BoundedBody started(int max, long declared, BoundedBody.InFlight inFlight) {
        BoundedBody body = BoundedBody.reader(max, declared, inFlight);
        body.onSubscribe(NOTHING);
        return body;
    }

    private static void feed(BoundedBody body, int bytes) {
        for (int sent = 0; sent < bytes; sent += 64 * 1024) {
            body.onNext(List.of(ByteBuffer.allocate(Math.min(64 * 1024, bytes - sent))));
        }
    }

    private static byte[] result(BoundedBody body) throws Exception {
        return ((CompletableFuture<byte[]>) body.getBody().toCompletableFuture()).get();
    }

    @Test
    void aReplyLongerThanItsBoundIsAbandonedAndGivesItsBytesBack() {
        BoundedBody.InFlight inFlight = new BoundedBody.InFlight(16 * MIB);
        BoundedBody body = started(2 * MIB, -1, inFlight);
        feed(body, 3 * MIB);
        assertThatThrownBy(() -> result(body)).isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(BoundedBody.TooLarge.class).hasMessageContaining("larger than 2 MiB");
        assertThat(inFlight.bytes()).isZero();
    }

    @Test
    void repliesBeingReadAtOnceAreBoundedTogetherAndTheirBytesComeBackWhenRead() throws Exception {
        BoundedBody.InFlight inFlight = new BoundedBody.InFlight(9 * MIB);
        BoundedBody first = started(8 * MIB, 4 * MIB, inFlight);
        feed(first, 4 * MIB);
        BoundedBody second = started(8 * MIB, 4 * MIB, inFlight);
        feed(second, 4 * MIB);
        assertThat(inFlight.bytes()).isEqualTo(8L * MIB);

        BoundedBody third = started(8 * MIB, 4 * MIB, inFlight);
        feed(third, 2 * MIB);
        assertThatThrownBy(() -> result(third)).hasCauseInstanceOf(BoundedBody.TooLarge.class)
                .hasMessageContaining("being read at once");
        assertThat(inFlight.bytes()).as("the refused reply holds nothing").isEqualTo(8L * MIB);

        first.onComplete();
        assertThat(result(first)).hasSize(4 * MIB);
        assertThat(inFlight.bytes()).isEqualTo(4L * MIB);
        second.onError(new java.io.IOException("connection reset"));
        assertThat(inFlight.bytes()).isZero();

        BoundedBody fourth = started(8 * MIB, -1, inFlight);
        feed(fourth, 5 * MIB);
        fourth.onComplete();
        assertThat(result(fourth)).hasSize(5 * MIB);
        assertThat(inFlight.bytes()).isZero();
    }

    /** A reply that declares much and trickles holds what arrived, not what it declared (attack round 17). */
    @Test
    void aTrickleCountsWhatArrivedNotWhatItDeclared() {
        BoundedBody.InFlight inFlight = new BoundedBody.InFlight(9 * MIB);
        BoundedBody trickle = started(8 * MIB, 8 * MIB, inFlight);
        feed(trickle, 10);
        assertThat(inFlight.bytes()).isEqualTo(64L * 1024);
        BoundedBody other = started(8 * MIB, 6 * MIB, inFlight);
        feed(other, 6 * MIB);
        assertThat(inFlight.bytes()).isEqualTo(6L * MIB + 64 * 1024);
    }

    @Test
    void aDeclaredLengthCostsNothingUntilItsBytesCome() throws Exception {
        BoundedBody.InFlight inFlight = new BoundedBody.InFlight(4 * MIB);
        BoundedBody silent = started(8 * MIB, 3 * MIB, inFlight);
        assertThat(inFlight.bytes()).isZero();
        BoundedBody empty = started(8 * MIB, 0, inFlight);
        empty.onComplete();
        assertThat(result(empty)).isEmpty();
        silent.onError(new java.io.IOException("closed"));
        assertThat(inFlight.bytes()).isZero();
    }

    @Test
    void theBoundsFollowTheHeap() {
        long heap = Runtime.getRuntime().maxMemory();
        assertThat((long) BoundedBody.MAX_REPLY_BYTES).isBetween(4L * MIB, 32L * MIB)
                .isEqualTo(Math.max(4L * MIB, Math.min(32L * MIB, heap / 8)));
        assertThat(BoundedBody.IN_FLIGHT_BYTES).isEqualTo(Math.max(BoundedBody.MAX_REPLY_BYTES,
                Math.min(64L * MIB, heap / 8)));
    }
}
