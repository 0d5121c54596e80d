package dev.spotapi.power;

import java.util.Locale;

/**
 * What a power request does given the state the resource is in now, so that {@code PUT .../power} is
 * idempotent as HTTP defines a PUT (a scheduler's nightly "stop" on an instance a user already stopped
 * succeeds). The table (docs/api.md, "Use with the portal's services"):
 * <pre>
 * requested | already there      | moving toward it           | moving the other way          | otherwise
 * stop      | PAUSED: 204, no call | PAUSING: 204, no call    | RESUMING, RECYCLING: 409 + Retry-After | pause
 * start     | ACTIVE: 204, no call | RESUMING, RECYCLING: 204 | PAUSING: 409 + Retry-After    | resume
 * reboot    | (never)            | (never)                    | (never)                       | recycle
 * </pre>
 * Statuses are Spot's managed-instance status words (contract §5.1; OAS {@code listStatefulInstances}:
 * PAUSE, PAUSING, PAUSED, RESUME, RESUMING, RECYCLE, RECYCLING, ACTIVE ...), matched case-insensitively;
 * an unknown or empty status means "act" (Spot decides).
 */
public enum PowerPlan {
    /** Already in the requested state: answer success, call nothing. */
    ALREADY,
    /** A transition toward the requested state is under way: answer success, call nothing. */
    UNDER_WAY,
    /** A transition away from the requested state is under way: a conflict to retry later. */
    OPPOSITE,
    /** Call Spot. */
    ACT;

    /**
     * The {@code Retry-After} of a power request refused because a transition is under way (moving the other
     * way, or Spot's {@code MANAGED_INSTANCE_ACTION_IN_PROGRESS}): a pause, resume or recycle takes tens of
     * seconds in Spot (contract §9.10), so a caller retrying every second would only spend reads.
     */
    public static final java.time.Duration TRANSITION_RETRY_AFTER = java.time.Duration.ofSeconds(5);

    /** The plan for {@code requested} on a managed instance whose Spot status is {@code status} (null: unknown). */
    public static PowerPlan forInstance(PowerState requested, String status) {
        if (requested == PowerState.REBOOT || status == null) {
            return ACT;
        }
        String s = status.trim().toUpperCase(Locale.ROOT);
        boolean stopping = s.equals("PAUSING") || s.equals("PAUSE");
        boolean starting = inTransition(s) && !stopping;
        if (requested == PowerState.STOP) {
            return s.equals("PAUSED") ? ALREADY : stopping ? UNDER_WAY : starting ? OPPOSITE : ACT;
        }
        return s.equals("ACTIVE") ? ALREADY : starting ? UNDER_WAY : stopping ? OPPOSITE : ACT;
    }

    /**
     * Whether {@code status} (Spot's, any case) is a pause, resume or recycle under way: a state that passes by itself,
     * so a request refused for it is told to retry ({@link #TRANSITION_RETRY_AFTER}).
     */
    public static boolean inTransition(String status) {
        if (status == null) {
            return false;
        }
        String s = status.trim().toUpperCase(Locale.ROOT);
        return s.equals("PAUSING") || s.equals("PAUSE") || s.equals("RESUMING") || s.equals("RESUME")
                || s.equals("RECYCLING") || s.equals("RECYCLE");
    }

    /**
     * Whether a Spot refusal code of a pause/resume (a race with another caller: the status read said "act")
     * means the instance already is where the request wants it: ALREADY_PAUSED for stop, ALREADY_ACTIVE or
     * NOT_PAUSED for start (of a managed instance or a stateful instance).
     */
    public static boolean alreadyThere(PowerState requested, String spotCode) {
        if (spotCode == null) {
            return false;
        }
        // MANAGED_INSTANCE_* for managed instances, STATEFUL_INSTANCE_* for a group's stateful instances
        return switch (requested) {
            case STOP -> spotCode.endsWith("_INSTANCE_ALREADY_PAUSED");
            case START -> spotCode.endsWith("_INSTANCE_ALREADY_ACTIVE") || spotCode.endsWith("_INSTANCE_NOT_PAUSED");
            case REBOOT -> false;
        };
    }
}
