package dev.spotapi.task;

import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Durable work items: a Redis Stream {@code <namespace>:spotapi:queue} (field {@code task} = the task id)
 * read through the consumer group {@code spot-api}, one consumer per replica process. A replica renews
 * the items it works on ({@code XCLAIM ... JUSTID}, which resets their idle time, only while the item is still
 * pending for it: {@link #renew}) at every check-in; an item
 * idle longer than the lease belongs to a replica that died, and {@code XAUTOCLAIM} gives it to the next
 * replica with room (its cursor kept between calls, so that the whole pending list is looked through). A finished item is acknowledged and deleted ({@code XACK}, {@code XDEL}). The set
 * {@code <namespace>:spotapi:open} holds the ids not finished: its size bounds the queue ({@code maxQueue},
 * checked atomically with the {@code XADD}) and the reaper walks it.
 */
public final class RedisWorkQueue implements WorkQueue {
    static final String GROUP = "spot-api";
    /** KEYS open set, stream; ARGV task id, max open. */
    private static final String OFFER = """
            if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
            redis.call('SADD', KEYS[1], ARGV[1])
            redis.call('XADD', KEYS[2], 'MAXLEN', '~', tonumber(ARGV[2]) * 4, '*', 'task', ARGV[1])
            return 1
            """;

    /**
     * KEYS stream; ARGV group, entry id, consumer. Resets the entry's idle time ({@code XCLAIM ... JUSTID}) only
     * while it is still pending for this consumer: a plain {@code XCLAIM} would take it back from the replica
     * that claimed it after this one's lease ran out (a paused replica, resumed), and both would follow the task.
     * Answers 1 when renewed, 0 when the entry is another consumer's or gone (with its stream or group: Redis lost its
     * data).
     */
    private static final String RENEW = """
            local pending = redis.pcall('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
            if pending.err or #pending == 0 or pending[1][2] ~= ARGV[3] then return 0 end
            redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
            return 1
            """;

    private final RedisTaskConnection redis;
    private final String stream;
    private final String open;
    private final int maxQueue;
    private final Duration lease;
    private final String consumer = "replica-" + UUID.randomUUID();
    private final Map<String, String> entries = new ConcurrentHashMap<>();
    /** Where the next look for abandoned items starts in the pending list ({@code XAUTOCLAIM}'s cursor). */
    private volatile String claimCursor = "0-0";
    private volatile boolean groupReady;

    /**
     * @param redis     the connection (shared with the {@link RedisTaskStore})
     * @param namespace flywheel's namespace
     * @param org       the deployment's org (config {@code org}; null or empty: none): each org's replicas have a
     *                  queue of their own, so that deployments of several orgs sharing one Redis never take,
     *                  count or fail each other's work items (their task records stay in flywheel's namespace)
     * @param maxQueue  most items not finished
     * @param lease     how long an item may go without renewal before another replica takes it
     */
    public RedisWorkQueue(RedisTaskConnection redis, String namespace, String org, int maxQueue, Duration lease) {
        this.redis = redis;
        String scope = namespace + ":spotapi" + (org == null || org.isEmpty() ? "" : ":org:" + org);
        this.stream = scope + ":queue";
        this.open = scope + ":open";
        this.maxQueue = maxQueue;
        this.lease = lease;
    }

    /** This replica's consumer name in the group. */
    public String consumer() {
        return consumer;
    }

    @Override
    public void offer(String taskId) {
        ensureGroup();
        Long added;
        try {
            added = redis.run("queue a task", r -> r.eval(OFFER, ScriptOutputType.INTEGER,
                    new String[] {open, stream}, taskId, Integer.toString(maxQueue)));
        } catch (TaskStoreUnavailableException e) {
            groupReady = false; // a restarted, empty Redis has no group: make it again next time
            throw e;
        }
        if (added == null || added == 0) {
            throw new TaskRefusedException("too many asynchronous tasks (" + maxQueue + ") are not finished", 5);
        }
    }

    @Override
    public List<Taken> take(int max) {
        try {
            return takeFromGroup(max);
        } catch (TaskStoreUnavailableException e) {
            groupReady = false; // NOGROUP after a restart of an empty Redis: make it again next time
            throw e;
        }
    }

    private List<Taken> takeFromGroup(int max) {
        ensureGroup();
        List<Taken> out = new ArrayList<>();
        Consumer<String> me = Consumer.from(GROUP, consumer);
        String from = claimCursor;
        ClaimedMessages<String, String> claimed = redis.run("claim abandoned tasks", r -> r.xautoclaim(stream,
                XAutoClaimArgs.Builder.xautoclaim(me, lease, from).count(max)));
        // XAUTOCLAIM looks at no more than 10 x COUNT pending entries per call and answers where to go on: always
        // starting from 0-0, an abandoned item behind that many live, renewed ones was never reached (attack
        // round 6); the cursor goes round the whole pending list, call after call, back to 0-0 at its end
        String next = claimed.getId();
        claimCursor = next == null || next.isEmpty() ? "0-0" : next;
        for (StreamMessage<String, String> m : claimed.getMessages()) {
            add(out, m, true);
        }
        int room = max - out.size();
        if (room > 0) {
            List<StreamMessage<String, String>> fresh = redis.run("read new tasks", r -> r.xreadgroup(me,
                    XReadArgs.Builder.count(room), XReadArgs.StreamOffset.lastConsumed(stream)));
            for (StreamMessage<String, String> m : fresh) {
                add(out, m, false);
            }
        }
        return out;
    }

    private void add(List<Taken> out, StreamMessage<String, String> m, boolean claimed) {
        String task = m.getBody() == null ? null : m.getBody().get("task");
        if (task == null) {
            redis.run("drop a bad queue entry", r -> r.xack(stream, GROUP, m.getId()) + r.xdel(stream, m.getId()));
            return;
        }
        entries.put(task, m.getId());
        out.add(new Taken(task, claimed));
    }

    @Override
    public boolean renew(String taskId) {
        String entry = entries.get(taskId);
        if (entry == null) {
            return false;
        }
        Long renewed = redis.run("renew a task's lease", r -> r.eval(RENEW, ScriptOutputType.INTEGER,
                new String[] {stream}, GROUP, entry, consumer));
        if (renewed == null || renewed == 0) {
            entries.remove(taskId, entry);
            return false;
        }
        return true;
    }

    @Override
    public void done(String taskId) {
        String entry = entries.remove(taskId);
        redis.run("finish a task's work", r -> {
            if (entry != null) {
                r.xack(stream, GROUP, entry);
                r.xdel(stream, entry);
            }
            return r.srem(open, taskId);
        });
    }

    @Override
    public long size() {
        return redis.run("count open tasks", r -> r.scard(open));
    }

    /** The ids of tasks not finished (all replicas). */
    public List<String> openIds() {
        return new ArrayList<>(redis.run("list open tasks", r -> r.smembers(open)));
    }

    @Override
    public void close() {
        entries.clear();
    }

    private void ensureGroup() {
        if (groupReady) {
            return;
        }
        redis.run("create the consumer group", r -> {
            try {
                r.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), GROUP, XGroupCreateArgs.Builder.mkstream());
            } catch (RedisBusyException exists) {
                // BUSYGROUP: another replica made it
            }
            return null;
        });
        groupReady = true;
    }
}
