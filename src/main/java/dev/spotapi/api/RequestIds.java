package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The request id: the caller's {@code X-Request-Id} when it is sane, else a new UUID; a caller's id that was replaced
 * is kept, its printable characters clipped to {@value #MAX_CALLER_CHARS}, as {@link #callerOf} for the access line
 * (attack round 17: the portal's own id of a request was found nowhere in the log).
 */
final class RequestIds {
    static final String HEADER = "X-Request-Id";
    private static final String ATTRIBUTE = "spot-api.requestId";
    private static final String CALLER_ATTRIBUTE = "spot-api.callerRequestId";
    private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    /** The most characters kept of a caller's request id that was replaced. */
    static final int MAX_CALLER_CHARS = 128;

    private RequestIds() {
    }

    static String assign(Exchange ctx) {
        String[] ids = assign(ctx.header(HEADER));
        ctx.attribute(ATTRIBUTE, ids[0]);
        if (ids[1] != null) {
            ctx.attribute(CALLER_ATTRIBUTE, ids[1]);
        }
        ctx.header(HEADER, ids[0]);
        return ids[0];
    }

    /**
     * The request id for an {@code X-Request-Id} header value ({@code given}, null when absent), also for a request
     * answered before the router ({@link JettyErrors}): {@code [id, the caller's id it replaced (printable, clipped)
     * or null]}.
     */
    static String[] assign(String given) {
        boolean sane = given != null && SANE.matcher(given).matches();
        return new String[] {sane ? given : newId(), !sane && given != null && !given.isEmpty() ? printable(given) : null};
    }

    /** The caller's {@code X-Request-Id} this request's id replaced (printable, clipped), or null. */
    static String callerOf(Exchange ctx) {
        return ctx.attribute(CALLER_ATTRIBUTE);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), MAX_CALLER_CHARS));
        for (int i = 0; i < s.length() && b.length() < MAX_CALLER_CHARS; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }

    /**
     * A random (version 4 shaped) UUID from ThreadLocalRandom: request ids need to be unique, not
     * unguessable, and UUID.randomUUID() serialises every request on one SecureRandom.
     */
    static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (r.nextLong() & ~(0xC000000000000000L)) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }

    static String of(Exchange ctx) {
        String id = ctx.attribute(ATTRIBUTE);
        return id == null ? assign(ctx) : id;
    }
}
