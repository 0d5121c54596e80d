package dev.spotapi.api.http;

import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An HTTP request method as sent on the request line ({@code GET}, ..., or any other token, e.g. {@code FOO}):
 * the known ones are shared constants, another is a new value (never added to a table, so untrusted methods
 * cannot grow memory).
 *
 * @param name the method name, case as sent
 */
public record Method(String name) {
    public static final Method GET = new Method("GET");
    public static final Method POST = new Method("POST");
    public static final Method QUERY = new Method("QUERY");
    public static final Method PUT = new Method("PUT");
    public static final Method PATCH = new Method("PATCH");
    public static final Method DELETE = new Method("DELETE");
    public static final Method HEAD = new Method("HEAD");
    public static final Method TRACE = new Method("TRACE");
    public static final Method CONNECT = new Method("CONNECT");
    public static final Method OPTIONS = new Method("OPTIONS");

    /** The known methods, in the order an {@code Allow} header lists them. */
    public static final List<Method> KNOWN = List.of(GET, POST, QUERY, PUT, PATCH, DELETE, HEAD, TRACE, CONNECT, OPTIONS);

    private static final Map<String, Method> BY_NAME = KNOWN.stream()
            .collect(Collectors.toUnmodifiableMap(Method::name, Function.identity()));

    /** The constant for a known method name, else a new value carrying {@code name}. */
    public static Method of(String name) {
        Method known = BY_NAME.get(name);
        return known != null ? known : new Method(name);
    }

    @Override
    public String toString() {
        return name;
    }

    // written out: a record's generated equals and hashCode go through method handles, which the service's
    // C1-only JIT does not inline (every route lookup compares methods)
    @Override
    public boolean equals(Object o) {
        return this == o || o instanceof Method m && name.equals(m.name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }
}
