package dev.spotapi.task;

import io.lettuce.core.ScriptOutputType;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Tasks in Redis with flywheel's exact layout ({@code github.com/YaleSpinup/flywheel} {@code manager.go}), so
 * a Go tool using the flywheel library with the same namespace reads them:
 * <ul>
 * <li>{@code <namespace>:tasks:<id>}: a hash with the fields {@code checkin_at}, {@code completed_at},
 *     {@code created_at}, {@code id}, {@code status}, {@code failed_at}, {@code failure} (all written at
 *     creation, empty when unset, as flywheel's {@code Start} writes them);</li>
 * <li>{@code <namespace>:events:<id>}: a list of {@code "<RFC3339Nano> <message>"}, oldest first (RPUSH),
 *     trimmed to the newest {@code maxEvents};</li>
 * <li>both with a TTL ({@code ttl}, flywheel's default 60 min, or longer when the task was created so) renewed on
 * every write, never shortened.</li>
 * </ul>
 * spot-api's own additions live beside them, never in them: {@code <namespace>:spotapi:work:<id>} (a hash:
 * org, kind, account, resource, target, created_ms, deadline_ms; same TTL). Each change is one Lua script
 * (atomic); a write to a task that no longer exists is ignored, as flywheel refuses it, and so is a write to a
 * finished task (its status is checked in the same script).
 */
public final class RedisTaskStore implements TaskStore {
    /**
     * KEYS task, events, work; ARGV ttl ms, max events, event ("" = none), then field/value pairs of the task.
     * Answers 1, or 0 when the task is unknown or finished (nothing written).
     */
    private static final String UPDATE = """
            local status = redis.call('HGET', KEYS[1], 'status')
            if not status or status == 'completed' or status == 'failed' then return 0 end
            for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
            if ARGV[3] ~= '' then
              redis.call('RPUSH', KEYS[2], ARGV[3])
              redis.call('LTRIM', KEYS[2], -tonumber(ARGV[2]), -1)
            end
            for k = 1, 3 do
              if redis.call('PTTL', KEYS[k]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[k], ARGV[1]) end
            end
            return 1
            """;
    /** KEYS task, events, work; ARGV ttl ms, event, created_at, id, org, kind, account, resource, target, created, deadline. */
    private static final String CREATE = """
            if redis.call('EXISTS', KEYS[1]) == 1 then
              return 0
            end
            redis.call('HSET', KEYS[1], 'checkin_at', '', 'completed_at', '', 'created_at', ARGV[3], 'id', ARGV[4],
              'status', 'created', 'failed_at', '', 'failure', '')
            redis.call('RPUSH', KEYS[2], ARGV[2])
            redis.call('HSET', KEYS[3], 'org', ARGV[5], 'kind', ARGV[6], 'account', ARGV[7], 'resource', ARGV[8],
              'target', ARGV[9], 'created_ms', ARGV[10], 'deadline_ms', ARGV[11])
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            redis.call('PEXPIRE', KEYS[2], ARGV[1])
            redis.call('PEXPIRE', KEYS[3], ARGV[1])
            return 1
            """;

    private final RedisTaskConnection redis;
    private final String namespace;
    private final Clock clock;
    private final Duration ttl;
    private final int maxEvents;
    private final java.util.function.Supplier<List<String>> openIds;

    /**
     * @param redis     the connection (shared with the {@link RedisWorkQueue})
     * @param namespace flywheel's namespace
     * @param clock     the time of the {@code *_at} fields and events
     * @param ttl       time to live after each write
     * @param maxEvents events kept per task
     * @param openIds   the ids of tasks not finished (the work queue's open set)
     */
    public RedisTaskStore(RedisTaskConnection redis, String namespace, Clock clock, Duration ttl, int maxEvents,
            java.util.function.Supplier<List<String>> openIds) {
        this.redis = redis;
        this.namespace = namespace;
        this.clock = clock;
        this.ttl = ttl;
        this.maxEvents = maxEvents;
        this.openIds = openIds;
    }

    /** {@code <namespace>:tasks:<id>}. */
    public String taskKey(String id) {
        return namespace + ":tasks:" + id;
    }

    /** {@code <namespace>:events:<id>}. */
    public String eventsKey(String id) {
        return namespace + ":events:" + id;
    }

    String workKey(String id) {
        return namespace + ":spotapi:work:" + id;
    }

    @Override
    public boolean create(TaskWork w, Duration keepAtLeast) {
        String now = now();
        long ms = Math.max(ttl.toMillis(), keepAtLeast.toMillis());
        Long created = redis.run("create a task", r -> r.eval(CREATE, ScriptOutputType.INTEGER, keys(w.id()),
                Long.toString(ms), now + " created task " + w.id(), now, w.id(), w.org(),
                w.kind().configName(), w.account(), w.resource(), w.target(), Long.toString(w.createdAtMillis()),
                Long.toString(w.deadlineMillis())));
        return created != null && created == 1;
    }

    @Override
    public void start(String id) {
        update(id, "starting task " + id, "status", Task.RUNNING);
    }

    @Override
    public void checkin(String id) {
        update(id, null, "checkin_at", now());
    }

    @Override
    public void event(String id, String message) {
        update(id, message);
    }

    @Override
    public boolean complete(String id) {
        return update(id, "complete task " + id, "completed_at", now(), "status", Task.COMPLETED);
    }

    @Override
    public boolean fail(String id, String failure) {
        return update(id, "failed task " + id, "failed_at", now(), "status", Task.FAILED, "failure", failure);
    }

    @Override
    public Task get(String id, String org) {
        return redis.run("read a task", r -> {
            String owner = r.hget(workKey(id), "org");
            if (owner == null || !owner.equals(org)) {
                return null;
            }
            Map<String, String> h = r.hgetall(taskKey(id));
            if (h.isEmpty()) {
                return null;
            }
            List<String> events = r.lrange(eventsKey(id), 0, -1);
            return new Task(h.getOrDefault("id", id), h.getOrDefault("status", ""), h.get("created_at"),
                    h.get("checkin_at"), h.get("completed_at"), h.get("failed_at"), h.get("failure"), events);
        });
    }

    @Override
    public TaskWork work(String id) {
        Map<String, String> h = redis.run("read a task's work", r -> r.hgetall(workKey(id)));
        if (h.isEmpty()) {
            return null;
        }
        return new TaskWork(id, h.get("org"), TaskKind.ofConfigName(h.get("kind")), h.get("account"),
                h.get("resource"), h.getOrDefault("target", ""), Long.parseLong(h.get("created_ms")),
                Long.parseLong(h.get("deadline_ms")));
    }

    @Override
    public List<String> unfinished(int limit) {
        List<String> ids = openIds.get();
        return ids.size() <= limit ? ids : new ArrayList<>(ids.subList(0, limit));
    }

    @Override
    public boolean durable() {
        return true;
    }

    @Override
    public void close() {
        // the connection is closed by its owner
    }

    /** True when written; false when the task is unknown or finished. */
    private boolean update(String id, String event, String... fields) {
        List<String> args = new ArrayList<>();
        args.add(Long.toString(ttl.toMillis()));
        args.add(Integer.toString(maxEvents));
        args.add(event == null ? "" : now() + " " + event);
        args.addAll(List.of(fields));
        Long written = redis.run("update a task", r -> r.eval(UPDATE, ScriptOutputType.INTEGER, keys(id),
                args.toArray(String[]::new)));
        return written != null && written == 1;
    }

    private String[] keys(String id) {
        return new String[] {taskKey(id), eventsKey(id), workKey(id)};
    }

    private String now() {
        return FlywheelTime.format(clock.instant());
    }
}
