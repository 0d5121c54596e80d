package dev.spotapi.spot;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Reads the body of one Spot reply as its parts arrive, in order, on one thread at a time ({@link SpotExchange}
 * feeds it). A part's buffer is only valid during {@link #onNext}: a reader consumes or copies it before it
 * returns. Cancelling the subscription drops the connection (a reader does so once the reply is too long,
 * {@link BoundedBody#MAX_REPLY_BYTES}); {@link #getBody()} is then already failed with the reason.
 *
 * @param <T> what the whole body is read into
 */
interface ReplyReader<T> extends Flow.Subscriber<List<ByteBuffer>> {
    /** Completed with the body once it has all arrived ({@link #onComplete()}), or with why it could not be. */
    CompletionStage<T> getBody();
}
