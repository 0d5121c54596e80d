package dev.spotapi.api.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A route: method, path template and handler. A template is literal segments and {@code {name}} parameters,
 * each parameter one whole, non-empty path segment ({@code /v1/spot/{account}/instances/{instance}}). A request
 * path matches when it has the same segments (literal ones equal, case-sensitive; the raw, still
 * percent-encoded path), one trailing slash ignored; a parameter's value is percent-decoded ({@code +} stays
 * {@code +}). These are the rules Javalin's router applied (its default settings), kept as they were.
 */
public final class Endpoint {
    /** The request method this route serves. */
    public final Method method;
    /** The path template, e.g. {@code /v1/spot/{account}/instances/{instance}}. */
    public final String path;
    /** What the route does. */
    public final Handler handler;
    /** Whether anyone may call it ({@code false}: the caller needs a valid token). */
    public final boolean isPublic;

    /** Each segment: a literal, or null for a parameter. */
    private final String[] literals;
    /** The parameter names, by segment index (null for literal segments). */
    private final String[] names;
    private final int parameterCount;

    /**
     * A route of {@code method} on {@code path} (a template: literal segments and whole-segment {@code {name}}
     * parameters, e.g. {@code /v1/spot/{account}/instances}).
     *
     * @throws IllegalArgumentException for a template that does not start with {@code /} or has a segment that
     *                                  is neither a literal nor one whole parameter ({@code *}, {@code <x>}, {@code a{b}})
     */
    public Endpoint(Method method, String path, boolean isPublic, Handler handler) {
        this.method = method;
        this.path = path;
        this.handler = handler;
        this.isPublic = isPublic;
        String[] segments = segments(path);
        this.literals = new String[segments.length];
        this.names = new String[segments.length];
        int params = 0;
        for (int i = 0; i < segments.length; i++) {
            String s = segments[i];
            if (s.length() > 2 && s.startsWith("{") && s.endsWith("}")) {
                names[i] = s.substring(1, s.length() - 1);
                params++;
            } else if (s.contains("{") || s.contains("}") || s.contains("<") || s.contains("*")) {
                throw new IllegalArgumentException("unsupported path template segment '" + s + "' in " + path);
            } else {
                literals[i] = s;
            }
        }
        this.parameterCount = params;
    }

    /** The number of path segments this template matches ({@link #segmentCount(String)} of those paths). */
    int segments() {
        return literals.length;
    }

    /**
     * The number of segments of {@code rawPath} as templates count them: its slashes, one trailing slash
     * ignored ({@code /} has none); -1 when it does not start with a slash.
     */
    static int segmentCount(String rawPath) {
        int end = rawPath.length();
        if (end == 0 || rawPath.charAt(0) != '/') {
            return -1;
        }
        if (end > 1 && rawPath.charAt(end - 1) == '/') {
            end--;
        }
        int n = 0;
        for (int i = 0; i < end; i++) {
            if (rawPath.charAt(i) == '/') {
                n++;
            }
        }
        return end == 1 ? 0 : n;
    }

    /** Whether {@code rawPath} (the request's path as sent, percent-encoded) matches this template. */
    public boolean matches(String rawPath) {
        int end = rawPath.length();
        if (end > 1 && rawPath.charAt(end - 1) == '/') {
            end--;
        }
        if (end == 0 || rawPath.charAt(0) != '/') {
            return false;
        }
        int start = 1;
        for (int i = 0; i < literals.length; i++) {
            if (start > end) {
                return false;
            }
            int slash = rawPath.indexOf('/', start);
            int segmentEnd = slash < 0 || slash > end ? end : slash;
            String literal = literals[i];
            if (literal == null) {
                if (segmentEnd == start) {
                    return false; // a parameter is never empty
                }
            } else if (segmentEnd - start != literal.length() || !rawPath.startsWith(literal, start)) {
                return false;
            }
            start = segmentEnd + 1;
            if (i == literals.length - 1 && segmentEnd != end) {
                return false; // more segments than the template
            }
        }
        return literals.length > 0 || end == 1;
    }

    /** The percent-decoded parameter values of a path this template {@link #matches}, by name. */
    public Map<String, String> pathParams(String rawPath) {
        if (parameterCount == 0) {
            return Map.of();
        }
        Map<String, String> out = new HashMap<>(parameterCount * 2);
        int end = rawPath.length();
        if (end > 1 && rawPath.charAt(end - 1) == '/') {
            end--;
        }
        int start = 1;
        for (int i = 0; i < names.length && start <= end; i++) {
            int slash = rawPath.indexOf('/', start);
            int segmentEnd = slash < 0 || slash > end ? end : slash;
            if (names[i] != null) {
                out.put(names[i], decode(rawPath.substring(start, segmentEnd)));
            }
            start = segmentEnd + 1;
        }
        return out;
    }

    /** Percent-decoding of a path segment; {@code +} is kept as is (it means a space only in a query). */
    static String decode(String s) {
        if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
            return s;
        }
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String[] segments(String template) {
        String t = template.length() > 1 && template.endsWith("/") ? template.substring(0, template.length() - 1)
                : template;
        if (!t.startsWith("/")) {
            throw new IllegalArgumentException("a path template starts with '/': " + template);
        }
        if (t.equals("/")) {
            return new String[0];
        }
        List<String> out = new ArrayList<>(List.of(t.substring(1).split("/", -1)));
        return out.toArray(String[]::new);
    }

    @Override
    public String toString() {
        return method + " " + path;
    }
}
