package dev.spotapi.api.http;

/** Answers a failure of type {@code T} thrown by a step of a request (or by the future it returned). */
@FunctionalInterface
public interface ExceptionHandler<T extends Exception> {
    void handle(T exception, Exchange ctx);
}
