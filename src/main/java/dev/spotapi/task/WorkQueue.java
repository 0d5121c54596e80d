package dev.spotapi.task;

import java.util.List;

/**
 * The work items of tasks not finished: offered by the replica that answered the request, taken by
 * whichever replica has room. {@link MemoryWorkQueue} keeps them in this process; {@link RedisWorkQueue}
 * in a Redis Stream with a consumer group, where an item whose replica stopped renewing it for a lease
 * is taken over by another replica.
 */
public interface WorkQueue extends AutoCloseable {
    /** An item taken: its task id, and whether another replica had it before (it stopped renewing). */
    record Taken(String taskId, boolean claimedFromAnother) {
    }

    /** Adds a task's item; throws {@link TaskRefusedException} when {@code maxQueue} items wait already. */
    void offer(String taskId);

    /** Up to {@code max} items for this replica: first those whose lease ran out, then new ones. */
    List<Taken> take(int max);

    /**
     * This replica still works on the item: its lease starts again. False when the item is no longer this
     * replica's (another replica took it over after the lease ran out, or it is done): this replica must stop
     * following the task and write nothing more to it.
     */
    boolean renew(String taskId);

    /** The item is finished (completed or failed): nobody takes it again. */
    void done(String taskId);

    /** Items offered and not done (waiting or being worked on). */
    long size();

    @Override
    void close();
}
