package dev.spotapi.api.http;

import java.util.List;

/** Routes match the request's path, but none for its method (answered 405 with {@code Allow}). */
public final class MethodNotAllowed extends RuntimeException {
    private final List<Method> allowed;

    /** @param allowed the methods that have a route for the request's path (not empty) */
    public MethodNotAllowed(List<Method> allowed) {
        super("method not allowed", null, false, false);
        this.allowed = List.copyOf(allowed);
    }

    /** The methods the path has routes for, in {@link Method#KNOWN} order. */
    public List<Method> allowed() {
        return allowed;
    }

    /**
     * The value of the {@code Allow} header: the allowed methods joined by {@code ", "}, with {@code HEAD} after
     * {@code GET} (every GET route answers HEAD too: {@code api.HeadAsGet}).
     */
    public String allowHeader() {
        java.util.List<String> names = new java.util.ArrayList<>(allowed.stream().map(Method::name).toList());
        int get = names.indexOf("GET");
        if (get >= 0 && !names.contains("HEAD")) {
            names.add(get + 1, "HEAD");
        }
        return String.join(", ", names);
    }
}
