package dev.spotapi.task;

/**
 * What an asynchronous request asked Spot to do, and so what its task waits for. {@link #configName()}
 * is the key of the kind's deadline in {@code tasks.deadlineSeconds}; {@link #metricName()} its metric tag.
 */
public enum TaskKind {
    /** {@code POST /{account}/instances}: waits for the managed instance to be ACTIVE. */
    INSTANCE_CREATE("instanceCreate"),
    /** {@code DELETE /{account}/instances/{id}}: waits until Spot no longer knows the managed instance. */
    INSTANCE_DELETE("instanceDelete"),
    /** {@code PUT /{account}/instances/{id}/power}: waits for PAUSED (stop) or ACTIVE (start, reboot). */
    INSTANCE_POWER("instancePower"),
    /** {@code POST /{account}/elastigroups}: waits for the group's capacity to be fulfilled. */
    GROUP_CREATE("groupCreate"),
    /** {@code DELETE /{account}/elastigroups/{id}}: waits until Spot no longer knows the group. */
    GROUP_DELETE("groupDelete"),
    /** {@code PUT .../power}: waits for the group's capacity (0 after a stop) to be fulfilled. */
    GROUP_POWER("groupPower"),
    /** {@code PUT .../capacity}: waits for the group's capacity to be fulfilled. */
    GROUP_CAPACITY("groupCapacity"),
    /** {@code PUT .../scale}: waits for the group's capacity to be fulfilled. */
    GROUP_SCALE("groupScale"),
    /**
     * {@code POST .../rolls} and {@code PUT .../elastigroups/{id}?roll=}: follows the roll (target = Spot's roll
     * id) to FINISHED; FAILED or STOPPED fail the task.
     */
    GROUP_ROLL("groupRoll"),
    /**
     * Power or deallocation of a stateful instance of a group (resource {@code sig-.../ssi-...}): waits for
     * PAUSED, ACTIVE, a recycle (RECYCLED) or its disappearance (GONE).
     */
    STATEFUL_INSTANCE("statefulInstance");

    /** The target of a {@link #GROUP_POWER} task that stops the group: its capacity target must stay 0. */
    public static final String GROUP_STOPPED = "STOPPED";
    /** The target of a {@link #GROUP_POWER} task that starts the group: its capacity target must stay above 0. */
    public static final String GROUP_STARTED = "STARTED";

    private final String configName;

    TaskKind(String configName) {
        this.configName = configName;
    }

    /** The kind's name in the config and in stored work items, e.g. {@code instanceCreate}. */
    public String configName() {
        return configName;
    }

    /** The metric tag value (the config name). */
    public String metricName() {
        return configName;
    }

    /** True for the kinds about a managed instance. */
    public boolean isInstance() {
        return name().startsWith("INSTANCE_");
    }

    /** The kind with this config name. */
    public static TaskKind ofConfigName(String name) {
        for (TaskKind k : values()) {
            if (k.configName.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown task kind " + name);
    }
}
