package dev.spotapi.task;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.resource.ClientResources;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The Redis connection of the task store and work queue (Lettuce, made lazily and remade after an
 * outage). Every command fails within {@code timeout} while Redis cannot be reached (commands are rejected
 * while disconnected, never queued): {@link #run} then throws {@link TaskStoreUnavailableException}. A circuit
 * breaker ({@link dev.spotapi.shared.RedisBreaker}) makes commands fail at once while Redis keeps failing.
 */
public final class RedisTaskConnection implements AutoCloseable {
    private final ClientResources resources;
    private final RedisClient client;
    private volatile StatefulRedisConnection<String, String> connection;
    /** Every command goes through it: a stuck Redis costs one timeout per trial, not one per command. */
    private final dev.spotapi.shared.RedisBreaker breaker = new dev.spotapi.shared.RedisBreaker("taskStore");
    private volatile boolean closed;

    /**
     * @param url      {@code redis://host:port[/db]} or {@code rediss://...}
     * @param password the password (from the environment), or null
     * @param timeout  bound on connecting and on every command
     */
    public RedisTaskConnection(String url, String password, Duration timeout) {
        this(url, null, password, timeout);
    }

    /** As above, authenticating as the Redis ACL user {@code username} (null: the {@code default} user). */
    public RedisTaskConnection(String url, String username, String password, Duration timeout) {
        dev.spotapi.shared.RedisClients redis = dev.spotapi.shared.RedisClients.create(url, username, password, timeout);
        this.resources = redis.resources();
        this.client = redis.client();
    }

    /** Runs {@code command}; any Redis failure becomes a {@link TaskStoreUnavailableException}. */
    public <T> T run(String what, Function<RedisCommands<String, String>, T> command) {
        try {
            return breaker.call(() -> command.apply(commands()));
        } catch (TaskStoreUnavailableException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new TaskStoreUnavailableException("Redis failed to " + what + ": " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()), e);
        }
    }

    private RedisCommands<String, String> commands() {
        StatefulRedisConnection<String, String> c = connection;
        if (c != null) {
            return c.sync();
        }
        synchronized (this) {
            if (connection != null) {
                return connection.sync();
            }
            if (closed) {
                throw new TaskStoreUnavailableException("closed", null);
            }
            try {
                connection = client.connect();
                return connection.sync();
            } catch (RuntimeException e) {
                throw new TaskStoreUnavailableException("Redis is not reachable: " + e.getMessage(), e);
            }
        }
    }

    /** The breaker of this connection, for health and metrics. */
    public dev.spotapi.shared.RedisBreaker breaker() {
        return breaker;
    }

    /** One PING through the breaker (immediate while it is open); never throws. */
    public boolean reachable() {
        try {
            return "PONG".equals(run("ping", RedisCommands::ping));
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (connection != null) {
            connection.close();
        }
        client.shutdown(Duration.ZERO, Duration.ofSeconds(1));
        resources.shutdown(0, 1, TimeUnit.SECONDS);
    }
}
