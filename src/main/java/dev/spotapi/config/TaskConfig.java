package dev.spotapi.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code "tasks": {...}}: asynchronous requests ({@code Prefer: respond-async}) and their flywheel tasks.
 *
 * <ul>
 * <li>{@code namespace} (default {@code spot-api}): the flywheel namespace; in Redis the task is the hash
 *     {@code <namespace>:tasks:<id>} and its events the list {@code <namespace>:events:<id>}.</li>
 * <li>{@code ttlSeconds} (default 3600, flywheel's 60 min): how long a task is kept after its last write (a keyed
 *     request's task at least as long as its key).</li>
 * <li>{@code pollMs} (default 2000): how often a running task reads Spot's state (one read per task).</li>
 * <li>{@code maxRunning} (default 200): tasks one replica starts at once (each holds its slot for its first
 *     {@code dev.spotapi.task.Tasks#SLOT_POLLS} polls only); {@code maxQueue} (default 2000):
 *     tasks waiting for a replica (Redis) or in total; beyond, an async request is a 503 with Retry-After.</li>
 * <li>{@code maxReads} (default 32): Spot reads of tasks in flight at once per replica (the others wait their
 *     turn): bounds the connections and Spot calls tasks take beside interactive callers.</li>
 * <li>{@code maxEvents} (default 100): events kept per task (the oldest are dropped).</li>
 * <li>{@code leaseSeconds} (default 30): a task whose replica has not renewed it for this long is claimed
 *     by another replica (Redis); {@code staleSeconds} (default 300): a running task without a check-in for
 *     this long is marked failed by the reaper.</li>
 * <li>{@code deadlineSeconds}: per kind ({@code instanceCreate}, {@code instanceDelete},
 *     {@code instancePower}, {@code groupCreate}, {@code groupDelete}, {@code groupPower},
 *     {@code groupCapacity}, {@code groupScale}, {@code groupRoll}), how long a task may wait for Spot (default 1800).</li>
 * <li>{@code stateFile} (default none; the sandbox sets {@code <sandbox dir>/tasks.json}): without Redis, the
 *     tasks are saved there (JSON, each second and at stop) and loaded at start, unfinished ones resumed; a
 *     created or finished task is first appended to {@code <stateFile>.journal} and flushed to the disk before
 *     it is answered (survives a kill).</li>
 * </ul>
 */
public record TaskConfig(
        @JsonProperty("namespace") String namespace,
        @JsonProperty("ttlSeconds") long ttlSeconds,
        @JsonProperty("pollMs") long pollMs,
        @JsonProperty("maxRunning") int maxRunning,
        @JsonProperty("maxQueue") int maxQueue,
        @JsonProperty("maxEvents") int maxEvents,
        @JsonProperty("leaseSeconds") long leaseSeconds,
        @JsonProperty("staleSeconds") long staleSeconds,
        @JsonProperty("deadlineSeconds") Map<String, Long> deadlineSeconds,
        @JsonProperty("stateFile") String stateFile,
        @JsonProperty("maxReads") int maxReads) {

    /** Default deadline of a kind without its own entry: 30 minutes. */
    public static final long DEFAULT_DEADLINE_SECONDS = 1_800;
    public static final TaskConfig DEFAULTS = new TaskConfig(null, 0, 0, 0, 0, 0, 0, 0, null, null, 0);

    public TaskConfig {
        namespace = namespace == null || namespace.isBlank() ? "spot-api" : namespace.strip();
        ttlSeconds = Defaults.positiveOr(ttlSeconds, 3_600);
        pollMs = Defaults.positiveOr(pollMs, 2_000);
        maxRunning = Defaults.positiveOr(maxRunning, 200);
        maxQueue = Defaults.positiveOr(maxQueue, 2_000);
        maxEvents = Defaults.positiveOr(maxEvents, 100);
        leaseSeconds = Defaults.positiveOr(leaseSeconds, 30);
        staleSeconds = Defaults.positiveOr(staleSeconds, 300);
        deadlineSeconds = deadlineSeconds == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(deadlineSeconds));
        stateFile = stateFile == null || stateFile.isBlank() ? null : stateFile.strip();
        maxReads = Defaults.positiveOr(maxReads, 32);
    }

    /** The kinds {@code deadlineSeconds} may name (see {@code dev.spotapi.task.TaskKind}). */
    public static final java.util.Set<String> KINDS = java.util.Set.of("instanceCreate", "instanceDelete",
            "instancePower", "groupCreate", "groupDelete", "groupPower", "groupCapacity", "groupScale",
            "groupRoll", "statefulInstance");

    /** Throws {@link ConfigException} for an unknown kind in {@code deadlineSeconds} or a namespace with spaces. */
    void validate() {
        for (String kind : deadlineSeconds.keySet()) {
            if (!KINDS.contains(kind)) {
                throw new ConfigException("tasks.deadlineSeconds." + kind + ": not a task kind; one of "
                        + new java.util.TreeSet<>(KINDS));
            }
        }
        if (!namespace.chars().allMatch(c -> c > ' ' && c < 127)) {
            throw new ConfigException("tasks.namespace: printable ASCII without spaces, got '" + namespace + "'");
        }
    }

    /** The deadline of a kind (its {@code deadlineSeconds} entry, else {@value #DEFAULT_DEADLINE_SECONDS} s). */
    public Duration deadline(String kind) {
        Long s = deadlineSeconds.get(kind);
        return Duration.ofSeconds(s == null || s <= 0 ? DEFAULT_DEADLINE_SECONDS : s);
    }

    /** The same settings with a few changed (tests). */
    public TaskConfig with(long newPollMs, int newMaxRunning, int newMaxQueue, long newLeaseSeconds,
            long newStaleSeconds, Map<String, Long> newDeadlines) {
        return new TaskConfig(namespace, ttlSeconds, newPollMs, newMaxRunning, newMaxQueue, maxEvents, newLeaseSeconds,
                newStaleSeconds, newDeadlines, stateFile, maxReads);
    }

    /** The same settings in another namespace. */
    public TaskConfig inNamespace(String newNamespace) {
        return new TaskConfig(newNamespace, ttlSeconds, pollMs, maxRunning, maxQueue, maxEvents, leaseSeconds,
                staleSeconds, deadlineSeconds, stateFile, maxReads);
    }

    /** The same settings keeping the embedded store's tasks in {@code file} (JSON) across restarts. */
    public TaskConfig withStateFile(String file) {
        return new TaskConfig(namespace, ttlSeconds, pollMs, maxRunning, maxQueue, maxEvents, leaseSeconds,
                staleSeconds, deadlineSeconds, file, maxReads);
    }
}
