package dev.spotapi.api.http;

/** One step of a request: a route's handler, or a before/after step of every request ({@link Router}). */
@FunctionalInterface
public interface Handler {
    /** Handles {@code ctx}; a thrown exception is answered by the router's exception handlers. */
    void handle(Exchange ctx) throws Exception;
}
