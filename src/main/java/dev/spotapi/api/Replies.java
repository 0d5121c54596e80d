package dev.spotapi.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.api.http.Exchange;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The one place that writes response bodies. */
public final class Replies {
    static final String JSON = "application/json";
    private final ObjectMapper mapper;
    private final InFlight inFlight;

    public Replies(ObjectMapper mapper) {
        this(mapper, new InFlight());
    }

    /** Replies whose asynchronous answers are cut short with a 503 when {@code inFlight} is abandoned. */
    public Replies(ObjectMapper mapper, InFlight inFlight) {
        this.mapper = mapper;
        this.inFlight = inFlight;
    }

    /** Writes {@code value} as JSON (a String becomes a JSON string, unlike {@code ctx.json}). */
    public void json(Exchange ctx, Object value) {
        jsonBytes(ctx, bytes(value));
    }

    /** Writes {@code json}, an already encoded JSON document, as the answer. */
    void jsonBytes(Exchange ctx, byte[] json) {
        ctx.contentType(JSON).result(json);
    }

    byte[] bytes(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode reply", e);
        }
    }

    /** Completes the request when {@code work} does, or with a 503 if the server stops first. */
    void later(Exchange ctx, CompletableFuture<?> work) {
        ctx.future(() -> inFlight.bounded(work));
    }

    public void text(Exchange ctx, String body) {
        ctx.contentType("text/plain; charset=utf-8").result(body);
    }

    /** Completes the request asynchronously with the JSON of what the future yields. */
    public <T> void jsonLater(Exchange ctx, CompletableFuture<T> future) {
        ctx.future(() -> inFlight.bounded(future).thenAccept(value -> json(ctx, value)));
    }

    /** Completes the request asynchronously with a plain-text body once the future succeeds. */
    public void textLater(Exchange ctx, CompletableFuture<?> future, String body) {
        ctx.future(() -> inFlight.bounded(future).thenAccept(ignored -> text(ctx, body)));
    }

    /** Completes the request asynchronously with 204 No Content once the future succeeds. */
    public void noContentLater(Exchange ctx, CompletableFuture<?> future) {
        ctx.future(() -> inFlight.bounded(future).thenAccept(ignored -> ctx.status(204)));
    }

    public <T, R> void jsonLater(Exchange ctx, CompletableFuture<T> future, Function<T, R> shape) {
        jsonLater(ctx, future.thenApply(shape));
    }
}
