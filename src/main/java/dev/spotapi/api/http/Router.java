package dev.spotapi.api.http;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The route table and the steps every request goes through, in the order {@link ApiHandler} runs them:
 * {@link #before} steps (every request), then, when a route matches, {@link #beforeMatched} steps, the route's
 * handler (or, when none matches, a {@link RouteNotFound} / {@link MethodNotAllowed} failure), the
 * {@link #afterMatched} steps, then the {@link #after} steps (every request) and, once the answer is written, the
 * {@link #requestLogger}s. A failure of a before step or handler skips the remaining before steps and the
 * handler; it is answered by the {@link #exception} handler of its nearest class; the after steps still run.
 * Routes are tried in the order they were added; the first that matches serves the request. Built before the
 * server starts, read-only afterwards.
 */
public final class Router {
    /**
     * What a request's steps run inside on each thread that runs them (the request's trace, for one): entered
     * before each stretch of steps that runs on one thread (the request's start, and each resumption after a
     * pending future), left after it (its answer written or its next future pending), whatever it threw.
     */
    @FunctionalInterface
    public interface StepScope {
        /** Does nothing. */
        StepScope NONE = ctx -> () -> { };

        /** Enters the scope of {@code ctx} on this thread; the action returned leaves it (never null). */
        Runnable enter(Exchange ctx);
    }

    /** Called once the answer is written: the request and its time in ms. */
    @FunctionalInterface
    public interface RequestLogger {
        void log(Exchange ctx, float millis);
    }

    /** The routes of each method by their number of segments (a path can only match templates of its own). */
    private final Map<Method, Map<Integer, List<Endpoint>>> bySegments = new HashMap<>();
    private final List<Endpoint> all = new ArrayList<>();
    final List<Handler> before = new ArrayList<>();
    final List<Handler> beforeMatched = new ArrayList<>();
    final List<Handler> afterMatched = new ArrayList<>();
    final List<Handler> after = new ArrayList<>();
    final List<RequestLogger> requestLoggers = new ArrayList<>();
    private final Map<Class<?>, ExceptionHandler<Exception>> exceptions = new LinkedHashMap<>();
    private volatile StepScope scope = StepScope.NONE;

    /**
     * Adds a route.
     *
     * @throws IllegalArgumentException when a route of the same method and template exists, or the template is
     *                                  not one {@link Endpoint} accepts
     */
    public Endpoint add(Method method, String path, boolean isPublic, Handler handler) {
        for (Endpoint e : all) {
            if (e.method.equals(method) && e.path.equals(path)) {
                throw new IllegalArgumentException("route " + method + " " + path + " already exists");
            }
        }
        Endpoint endpoint = new Endpoint(method, path, isPublic, handler);
        bySegments.computeIfAbsent(method, m -> new HashMap<>())
                .computeIfAbsent(endpoint.segments(), n -> new ArrayList<>()).add(endpoint);
        all.add(endpoint);
        return endpoint;
    }

    /** Sets the scope every stretch of a request's steps runs in ({@link StepScope#NONE} by default). */
    public void stepScope(StepScope scope) {
        this.scope = java.util.Objects.requireNonNull(scope);
    }

    StepScope stepScope() {
        return scope;
    }

    /** A step run before routing, for every request, matched or not. */
    public void before(Handler step) {
        before.add(step);
    }

    /** A step run before the handler, only when a route matches. */
    public void beforeMatched(Handler step) {
        beforeMatched.add(step);
    }

    /** A step run after the handler (also after its failure), only when a route matched. */
    public void afterMatched(Handler step) {
        afterMatched.add(step);
    }

    /** A step run after everything else, for every request. */
    public void after(Handler step) {
        after.add(step);
    }

    /** Answers failures of {@code type} (and its subclasses without a handler of their own). */
    @SuppressWarnings("unchecked")
    public <T extends Exception> void exception(Class<T> type, ExceptionHandler<? super T> handler) {
        exceptions.put(type, (ExceptionHandler<Exception>) handler);
    }

    /** Called once each answer is written. */
    public void requestLogger(RequestLogger logger) {
        requestLoggers.add(logger);
    }

    /** The first route of {@code method} matching {@code rawPath}, or null. */
    public Endpoint find(Method method, String rawPath) {
        Map<Integer, List<Endpoint>> byCount = bySegments.get(method);
        if (byCount == null) {
            return null;
        }
        List<Endpoint> candidates = byCount.get(Endpoint.segmentCount(rawPath));
        if (candidates == null) {
            return null;
        }
        for (Endpoint e : candidates) {
            if (e.matches(rawPath)) {
                return e;
            }
        }
        return null;
    }

    /** The known methods that have a route matching {@code rawPath}. */
    public List<Method> methodsFor(String rawPath) {
        List<Method> out = new ArrayList<>(2);
        for (Method m : Method.KNOWN) {
            if (find(m, rawPath) != null) {
                out.add(m);
            }
        }
        return out;
    }

    /** Every route, in the order added. */
    public List<Endpoint> all() {
        return List.copyOf(all);
    }

    /** The handler for {@code failure}: that of its class, else of its nearest superclass; null when none. */
    ExceptionHandler<Exception> exceptionHandler(Throwable failure) {
        for (Class<?> c = failure.getClass(); c != null && c != Throwable.class; c = c.getSuperclass()) {
            ExceptionHandler<Exception> h = exceptions.get(c);
            if (h != null) {
                return h;
            }
        }
        return null;
    }

    /** For each exception handler registered (tests and start-up checks). */
    void forEachException(BiConsumer<Class<?>, ExceptionHandler<Exception>> action) {
        exceptions.forEach(action);
    }
}
