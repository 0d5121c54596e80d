package dev.spotapi.task;

import dev.spotapi.account.AccountRegistry;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the task machinery a config asks for: in this process, or in Redis when {@code sharedState.redisUrl} is set. */
public final class TaskStores {
    private static final Logger LOG = LoggerFactory.getLogger(TaskStores.class);

    private TaskStores() {
    }

    /** The running {@link Tasks} of this replica. */
    public static Tasks tasks(ServiceConfig config, AccountRegistry accounts, MeterRegistry registry) {
        return tasks(config, accounts, registry, (name, check) -> { });
    }

    /**
     * The running {@link Tasks} of this replica; with Redis, also hands {@code health} the task store's check
     * ({@code taskStore}: one PING through its circuit breaker) and registers its breaker's meters.
     */
    public static Tasks tasks(ServiceConfig config, AccountRegistry accounts, MeterRegistry registry,
            java.util.function.BiConsumer<String, dev.spotapi.health.HealthCheck> health) {
        var t = config.tasks();
        Clock clock = Clock.systemUTC();
        Duration ttl = Duration.ofSeconds(t.ttlSeconds());
        if (config.sharedState().usesRedis()) {
            RedisTaskConnection redis = new RedisTaskConnection(config.sharedState().redisUrl(),
                    config.sharedState().redisUsername(), System.getenv(ConfigLoader.ENV_REDIS_PASSWORD), Duration.ofMillis(config.sharedState().timeoutMs()));
            var ping = dev.spotapi.metrics.RedisMeters.bind(registry, "taskStore", redis.breaker(), redis::reachable);
            health.accept("taskStore", dev.spotapi.metrics.RedisMeters.healthCheck(redis.breaker(), ping));
            RedisWorkQueue queue = new RedisWorkQueue(redis, t.namespace(), config.org(), t.maxQueue(),
                    Duration.ofSeconds(t.leaseSeconds()));
            TaskStore store = new RedisTaskStore(redis, t.namespace(), clock, ttl,
                    t.maxEvents(), queue::openIds);
            return new Tasks(store, queue, accounts, t, config.org(), registry, clock, redis);
        }
        // finished tasks kept until their TTL, at most ten times the open ones
        MemoryTaskStore store = new MemoryTaskStore(clock, ttl, t.maxEvents())
                .bounded(10 * t.maxQueue());
        WorkQueue queue = new MemoryWorkQueue(t.maxQueue());
        String stateFile = t.stateFile();
        String keys = config.idempotency().stateFile();
        if (stateFile == null && keys != null) {
            // the keys outlive a restart: so do the tasks their replays name (attack round 9: a replay after a
            // restart named a task flywheel no longer knew)
            stateFile = keys + ".tasks.json";
            LOG.info("tasks: kept in {} beside idempotency.stateFile (tasks.stateFile not set)", stateFile);
        }
        if (stateFile == null) {
            return new Tasks(store, queue, accounts, t, config.org(), registry, clock, () -> { });
        }
        Path file = Path.of(stateFile);
        dev.spotapi.shared.StateFileLock hold;
        try { // one process per file: each rewrites it whole (attack round 10)
            hold = dev.spotapi.shared.StateFileLock.acquire(file, dev.spotapi.shared.StateFileLock.WAIT);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("tasks.stateFile " + file + ": " + e.getMessage(), e);
        }
        try { // a task whose id (202) or outcome a caller was told is on disk before the answer leaves
            store.writeThrough(file);
        } catch (RuntimeException e) {
            LOG.warn("tasks: cannot open the journal of {} (tasks are saved only every second): {}", file, e.toString());
        }
        try {
            List<String> unfinished = store.load(file);
            unfinished.forEach(queue::offer);
            if (!unfinished.isEmpty()) {
                LOG.info("tasks: {} unfinished task(s) loaded from {} are resumed", unfinished.size(), file);
            }
        } catch (RuntimeException e) {
            LOG.warn("tasks: cannot load {} (starting without its tasks): {}", file, e.toString());
        }
        Tasks tasks = new Tasks(store, queue, accounts, t, config.org(), registry, clock, () -> {
            saveQuietly(store, file);
            hold.close();
        });
        tasks.every(Duration.ofSeconds(1), () -> saveQuietly(store, file));
        return tasks;
    }

    private static void saveQuietly(MemoryTaskStore store, Path file) {
        try {
            store.save(file);
        } catch (RuntimeException e) {
            LOG.warn("tasks: cannot save {}: {}", file, e.toString());
        }
    }
}
