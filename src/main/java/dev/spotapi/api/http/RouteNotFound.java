package dev.spotapi.api.http;

/** No route matches the request's method and path, nor any other method on that path (answered 404). */
public final class RouteNotFound extends RuntimeException {
    /** @param method the request's method; @param path its raw path (both only for the message) */
    public RouteNotFound(String method, String path) {
        super("no route for " + method + " " + path, null, false, false);
    }
}
