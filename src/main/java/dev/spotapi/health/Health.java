package dev.spotapi.health;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One node of the health tree, in Spring Boot Actuator's shape: {@code {"status":"UP","details":{...}}} for a
 * component, {@code {"status":"DEGRADED","components":{name: Health, ...}}} for a composite (the whole
 * replica, or Spot with one component per account). Details never carry a password or token.
 *
 * @param status     the state of this node
 * @param details    facts about it (error text, counts), or null
 * @param components its parts, or null
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record Health(Status status, Map<String, Object> details, Map<String, Health> components) {

    /** The states, worst last. */
    public enum Status {
        /** Works. */
        UP,
        /** Not known yet (no call made): counted as UP. */
        UNKNOWN,
        /** Works in part: some requests fail (for example one Spot account, or keyed requests). */
        DEGRADED,
        /** Does not work. */
        DOWN;

        /** The worse of the two. */
        public Status worst(Status other) {
            return other.ordinal() > ordinal() ? other : this;
        }
    }

    public static Health up(Map<String, Object> details) {
        return new Health(Status.UP, details, null);
    }

    public static Health of(Status status, Map<String, Object> details) {
        return new Health(status, details, null);
    }

    /**
     * A composite: DOWN parts make it {@code whenPartDown} (DOWN when every part counts, DEGRADED when the
     * others still serve), DEGRADED parts make it DEGRADED, else UP.
     */
    public static Health composite(Map<String, Health> parts, Status whenPartDown) {
        Status status = Status.UP;
        for (Health h : parts.values()) {
            Status s = h.status() == Status.DOWN ? whenPartDown : h.status() == Status.UNKNOWN ? Status.UP : h.status();
            status = status.worst(s);
        }
        return new Health(status, null, new LinkedHashMap<>(parts));
    }
}
