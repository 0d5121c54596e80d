package dev.spotapi.task;

import java.util.List;

/**
 * Where tasks live: flywheel's record of each task (status, times, events) plus the work behind it.
 * Every write renews the task's time to live. Writes to an unknown task are ignored, and so are writes to a
 * finished one: {@code completed} and {@code failed} are final, whichever replica writes later (one paused
 * past its lease, then resumed, must not turn another replica's {@code completed} into {@code failed}). Implementations:
 * {@link MemoryTaskStore} (this process), {@link RedisTaskStore} (flywheel's key layout in Redis).
 * A store that cannot be reached throws {@link TaskStoreUnavailableException}.
 */
public interface TaskStore extends AutoCloseable {
    /**
     * Records a new task: status {@code created}, {@code created_at}, the event {@code "created task <id>"}. A task
     * with this id that exists already (a keyed request run again after its key expired names the same task) is
     * left as it is, finished or not: false, nothing written. The task is kept at least {@code keepAtLeast} (a keyed
     * request's task as long as its key: its replay names it), else the store's TTL after each write; a write never
     * shortens it.
     */
    boolean create(TaskWork work, java.time.Duration keepAtLeast);

    /** {@link #create(TaskWork, java.time.Duration)} with the store's TTL. */
    default boolean create(TaskWork work) {
        return create(work, java.time.Duration.ZERO);
    }

    /** Status {@code running} and the event {@code "starting task <id>"} (flywheel's Start). */
    void start(String id);

    /** {@code checkin_at} = now (flywheel's CheckIn, without its "checkin task" event: polls would flood the bounded list). */
    void checkin(String id);

    /** Appends {@code "<now RFC3339Nano> <message>"} to the task's events (at most {@code maxEvents} kept). */
    void event(String id, String message);

    /**
     * Status {@code completed}, {@code completed_at} and the event {@code "complete task <id>"}; true when this
     * call finished the task, false when it was finished already (or is unknown): then nothing is written.
     */
    boolean complete(String id);

    /**
     * Status {@code failed}, {@code failed_at}, {@code failure} and the event {@code "failed task <id>"}; true when
     * this call finished the task, false when it was finished already (or is unknown): then nothing is written.
     */
    boolean fail(String id, String failure);

    /** The task as flywheel answers it, or null when unknown, expired or started by a deployment of another org. */
    Task get(String id, String org);

    /** The work behind a task, or null when unknown. */
    TaskWork work(String id);

    /** Ids of tasks not finished (created or running), for the reaper; at most {@code limit}. */
    List<String> unfinished(int limit);

    /** True when tasks outlive this process (Redis). */
    boolean durable();

    @Override
    void close();
}
