package dev.spotapi.power;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * The state a caller asks for in {@code PUT .../power}: the portal's sibling services' contract
 * ({@code {"state": "stop" | "start" | "reboot"}}) with Spot's words accepted as synonyms.
 */
public enum PowerState {
    /** Managed instance: Spot pause. Elastigroup: capacity 0/0/0. {@code poweroff} (the sibling EC2 service's word) is a synonym. */
    STOP("stop", "pause", "poweroff"),
    /** Managed instance: Spot resume. Elastigroup: the capacity it had before the stop. */
    START("start", "resume"),
    /** Managed instance: Spot recycle (a new EC2 instance with the same disks). */
    REBOOT("reboot", "recycle");

    private final String word;
    private final String spotWord;
    private final java.util.List<String> synonyms;

    PowerState(String word, String spotWord, String... synonyms) {
        this.word = word;
        this.spotWord = spotWord;
        this.synonyms = java.util.List.of(synonyms);
    }

    /** {@code stop}, {@code start} or {@code reboot}. */
    public String word() {
        return word;
    }

    /** Spot's action: {@code pause}, {@code resume} or {@code recycle} (the managed-instance path segment). */
    public String spotAction() {
        return spotWord;
    }

    /**
     * Reads {@code {"state": "..."}}; the value matches case-insensitively; no other field is allowed.
     *
     * @throws IllegalArgumentException with a message for the caller
     */
    public static PowerState fromBody(ObjectNode body) {
        body.fieldNames().forEachRemaining(name -> {
            if (!"state".equals(name)) {
                throw new IllegalArgumentException("unknown field '" + clip(name) + "': the body is {\"state\": "
                        + "\"stop\" | \"start\" | \"reboot\"}");
            }
        });
        JsonNode state = body.get("state");
        if (state == null || state.isNull()) {
            throw new IllegalArgumentException("state is required: stop, start or reboot");
        }
        if (!state.isTextual()) {
            throw new IllegalArgumentException("state must be a string: stop, start or reboot");
        }
        String value = state.asText().trim().toLowerCase(Locale.ROOT);
        for (PowerState p : values()) {
            if (p.word.equals(value) || p.spotWord.equals(value) || p.synonyms.contains(value)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown state '" + clip(state.asText())
                + "': use stop, start or reboot (or pause, resume, recycle; poweroff)");
    }

    private static String clip(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
