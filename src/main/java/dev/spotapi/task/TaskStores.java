package dev.spotapi.task;

import dev.spotapi.account.AccountRegistry;
import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;

/** Builds the task machinery a config asks for: in this process, or in Redis when {@code sharedState.redisUrl} is set. */
public final class TaskStores {
    private TaskStores() {
    }

    /** The running {@link Tasks} of this replica. */
    public static Tasks tasks(ServiceConfig config, AccountRegistry accounts, MeterRegistry registry) {
        var t = config.tasks();
        Clock clock = Clock.systemUTC();
        if (config.sharedState().usesRedis()) {
            RedisTaskConnection redis = new RedisTaskConnection(config.sharedState().redisUrl(),
                    System.getenv(ConfigLoader.ENV_REDIS_PASSWORD), Duration.ofMillis(config.sharedState().timeoutMs()));
            RedisWorkQueue queue = new RedisWorkQueue(redis, t.namespace(), t.maxQueue(),
                    Duration.ofSeconds(t.leaseSeconds()));
            TaskStore store = new RedisTaskStore(redis, t.namespace(), clock, Duration.ofSeconds(t.ttlSeconds()),
                    t.maxEvents(), queue::openIds);
            return new Tasks(store, queue, accounts, t, config.org(), registry, clock, redis);
        }
        TaskStore store = new MemoryTaskStore(clock, Duration.ofSeconds(t.ttlSeconds()), t.maxEvents());
        WorkQueue queue = new MemoryWorkQueue(t.maxQueue());
        return new Tasks(store, queue, accounts, t, config.org(), registry, clock, () -> { });
    }
}
