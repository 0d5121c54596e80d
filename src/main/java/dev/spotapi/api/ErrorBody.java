package dev.spotapi.api;

/** Every error spot-api answers: a readable message and the request id to quote in a support request. */
public record ErrorBody(int status, String message, String requestId) {
}
