package dev.spotapi.trace;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * A W3C Trace Context (https://www.w3.org/TR/trace-context/) as spot-api takes part in it: the
 * trace id (from the caller's {@code traceparent}, else a new one), the span id of spot-api's own
 * work on the request, the trace flags, and the caller's {@code tracestate} (passed on unchanged).
 *
 * <p>The context of the request being served is held in a thread-local ({@link #current()}), set by
 * the HTTP layer and carried by the Spot client onto the threads where its replies complete, so that
 * each Spot call sends {@code traceparent: 00-<trace id>-<our span id>-<flags>}.
 */
public final class TraceContext {
    /** The request header (and the header sent to Spot). */
    public static final String TRACEPARENT = "traceparent";
    /** The vendor-specific companion header, passed on as received. */
    public static final String TRACESTATE = "tracestate";

    private static final Pattern HEX2 = Pattern.compile("[0-9a-f]{2}");
    private static final Pattern HEX32 = Pattern.compile("[0-9a-f]{32}");
    private static final Pattern HEX16 = Pattern.compile("[0-9a-f]{16}");
    private static final int MAX_TRACESTATE = 512;
    private static final ThreadLocal<TraceContext> CURRENT = new ThreadLocal<>();

    private final String traceId;
    private final String spanId;
    private final String flags;
    private final String tracestate;
    private final boolean continued;

    private TraceContext(String traceId, String spanId, String flags, String tracestate, boolean continued) {
        this.traceId = traceId;
        this.spanId = spanId;
        this.flags = flags;
        this.tracestate = tracestate;
        this.continued = continued;
    }

    /**
     * The context for a request carrying these headers (either may be null): the caller's trace when its
     * {@code traceparent} is valid per the W3C rules (version 00, or a later version of at least the same
     * fields, never ff; lowercase hex; trace id and parent id not all zeros), else a new trace. Either way
     * with a new span id of our own; {@code tracestate} is kept only with a valid {@code traceparent}.
     */
    public static TraceContext fromHeaders(String traceparent, String tracestate) {
        String[] parsed = parse(traceparent);
        if (parsed == null) {
            return new TraceContext(randomHex(16), randomHex(8), "00", null, false);
        }
        String state = tracestate == null || tracestate.isBlank() || tracestate.length() > MAX_TRACESTATE
                ? null : tracestate.strip();
        return new TraceContext(parsed[0], randomHex(8), parsed[2], state, true);
    }

    /** {trace id, parent id, flags} of a valid header value, or null. */
    static String[] parse(String header) {
        if (header == null) {
            return null;
        }
        String value = header.strip();
        if (value.length() < 55) {
            return null;
        }
        String version = value.substring(0, 2);
        if (!HEX2.matcher(version).matches() || version.equals("ff")) {
            return null;
        }
        if (version.equals("00") ? value.length() != 55 : value.length() > 55 && value.charAt(55) != '-') {
            return null;
        }
        if (value.charAt(2) != '-' || value.charAt(35) != '-' || value.charAt(52) != '-') {
            return null;
        }
        String traceId = value.substring(3, 35);
        String parentId = value.substring(36, 52);
        String flags = value.substring(53, 55);
        if (!HEX32.matcher(traceId).matches() || !HEX16.matcher(parentId).matches() || !HEX2.matcher(flags).matches()
                || traceId.chars().allMatch(c -> c == '0') || parentId.chars().allMatch(c -> c == '0')) {
            return null;
        }
        // A later version may define other flags: only the sampled bit is carried on.
        String carried = version.equals("00") ? flags : ((Integer.parseInt(flags, 16) & 1) == 1 ? "01" : "00");
        return new String[] {traceId, parentId, carried};
    }

    /** The 32 lowercase hex digits of the trace id. */
    public String traceId() {
        return traceId;
    }

    /** The 16 lowercase hex digits of spot-api's span id for this request. */
    public String spanId() {
        return spanId;
    }

    /** Whether the trace came from the caller's valid {@code traceparent} (false: a trace started here). */
    public boolean continued() {
        return continued;
    }

    /** The {@code traceparent} for calls made on behalf of this request: our span id as their parent. */
    public String traceparent() {
        return "00-" + traceId + "-" + spanId + "-" + flags;
    }

    /** The caller's {@code tracestate}, to pass on, or null. */
    public String tracestate() {
        return tracestate;
    }

    /** The context of the request being handled on this thread, or null. */
    public static TraceContext current() {
        return CURRENT.get();
    }

    /** Makes {@code context} the current one on this thread (null clears it). */
    public static void setCurrent(TraceContext context) {
        if (context == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(context);
        }
    }

    /** Runs {@code action} with {@code context} current (restoring the previous one after). */
    public static void runWith(TraceContext context, Runnable action) {
        TraceContext previous = CURRENT.get();
        setCurrent(context);
        try {
            action.run();
        } finally {
            setCurrent(previous);
        }
    }

    private static String randomHex(int bytes) {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        StringBuilder sb = new StringBuilder(bytes * 2);
        for (int i = 0; i < bytes; i++) {
            int b = r.nextInt(256);
            if (i == bytes - 1 && sb.chars().allMatch(c -> c == '0') && b == 0) {
                b = 1; // never all zeros (invalid per the spec)
            }
            sb.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 15, 16));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return traceparent();
    }
}
