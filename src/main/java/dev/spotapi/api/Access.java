package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;

/**
 * Who may call an endpoint, attached to each route ({@link dev.spotapi.api.http.Endpoint#isPublic}). Access is decided from
 * the endpoint the request matches (method and path template, exactly as the router routes it), never from
 * a path prefix: a request that matches no endpoint, or an endpoint not marked {@link #PUBLIC}, needs a
 * valid {@code X-Auth-Token}.
 */
public enum Access {
    /** Anyone: liveness, readiness, version, metrics and the API documentation. */
    PUBLIC,
    /** Callers presenting a valid X-Auth-Token. */
    TOKEN;

    /**
     * The access of the endpoint this request is routed to (HEAD is routed as its GET, {@code HeadAsGet}); uses
     * the method on the request line, never a method-override header. {@link #TOKEN} when nothing matches.
     */
    static Access of(Exchange ctx) {
        var endpoint = ctx.endpoint();
        return endpoint != null && endpoint.isPublic ? PUBLIC : TOKEN;
    }
}
