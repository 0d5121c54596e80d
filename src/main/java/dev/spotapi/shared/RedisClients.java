package dev.spotapi.shared;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The one way spot-api opens a Lettuce client (shared state and task store alike): the URL with the password
 * from the environment and an optional ACL user, every command and the connect bounded by {@code timeout},
 * commands rejected (never queued) while disconnected, reconnects every 100 ms-2 s (Lettuce's default backs
 * off to 30 s).
 *
 * @param resources the client's event loops (shut down with the client)
 * @param client    the client; connections are opened by its owner
 */
public record RedisClients(ClientResources resources, RedisClient client) {
    /**
     * @param url      {@code redis://host:port[/db]} or {@code rediss://...} (TLS)
     * @param username the Redis ACL user, or null for the {@code default} user
     * @param password the password (from the environment), or null to use the URL's own, if any
     * @param timeout  bound on connecting and on every command
     */
    public static RedisClients create(String url, String username, String password, Duration timeout) {
        RedisURI uri = RedisURI.create(url);
        if (password != null && !password.isEmpty()) {
            uri.setPassword(password.toCharArray());
        }
        if (username != null) {
            uri.setUsername(username); // Lettuce then sends AUTH username password (or HELLO ... AUTH)
        }
        uri.setTimeout(timeout);
        ClientResources resources = DefaultClientResources.builder()
                .reconnectDelay(Delay.exponential(Duration.ofMillis(100), Duration.ofSeconds(2), 2, TimeUnit.MILLISECONDS))
                .build();
        RedisClient client = RedisClient.create(resources, uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout))
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).build())
                .build());
        return new RedisClients(resources, client);
    }
}
