package dev.spotapi.shared;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spotapi.config.ConfigLoader;
import dev.spotapi.config.ServiceConfig;
import dev.spotapi.config.SharedStateConfig;
import dev.spotapi.support.RedisProcess;
import dev.spotapi.task.RedisTaskConnection;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A Redis ACL user (issue 25): {@code sharedState.redisUsername} or {@code SPOT_API_REDIS_USERNAME} with the
 * password from {@code SPOT_API_REDIS_PASSWORD} authenticates as that user (Lettuce's {@code AUTH user
 * password}), against a real redis-server whose {@code default} user has another password.
 */
class RedisAclUserTest {
    @Test
    void theSharedStateAndTheTaskConnectionAuthenticateAsTheAclUser() {
        try (RedisProcess redis = RedisProcess.start()) {
            RedisClient admin = RedisClient.create(redis.url());
            try (StatefulRedisConnection<String, String> c = admin.connect()) {
                c.sync().aclSetuser("spot-api", io.lettuce.core.AclSetuserArgs.Builder.on().addPassword("user-secret")
                        .allKeys().allChannels().allCommands());
                c.sync().configSet("requirepass", "admin-secret"); // the default user now needs its own password
            } finally {
                admin.shutdown();
            }
            RedisSharedState asUser = new RedisSharedState(redis.url(), "spot-api", "user-secret", Duration.ofSeconds(2));
            try {
                assertThat(asUser.reachable()).isTrue();
                asUser.markWritten("acl-test");
                assertThat(asUser.writeMark("acl-test")).isNotNull();
            } finally {
                asUser.close();
            }
            RedisSharedState asDefault = new RedisSharedState(redis.url(), null, "user-secret", Duration.ofSeconds(2));
            try {
                assertThat(asDefault.reachable()).as("the user's password is not the default user's").isFalse();
            } finally {
                asDefault.close();
            }
            try (RedisTaskConnection tasks = new RedisTaskConnection(redis.url(), "spot-api", "user-secret",
                    Duration.ofSeconds(2))) {
                assertThat(tasks.<String>run("whoami", r -> r.aclWhoami())).isEqualTo("spot-api");
            }
        }
    }

    @Test
    void theUserNameComesFromTheConfigOrTheEnvironment() {
        ServiceConfig base = dev.spotapi.support.TestService.config("http://127.0.0.1:1",
                dev.spotapi.support.TestService.fastSettings()).withSharedState(
                new SharedStateConfig("redis://redis:6379", 1000, "from-file"));
        assertThat(new ConfigLoader(Map.of()).applyEnvironment(base).sharedState().redisUsername()).isEqualTo("from-file");
        assertThat(new ConfigLoader(Map.of(ConfigLoader.ENV_REDIS_USERNAME, "from-env")).applyEnvironment(base)
                .sharedState().redisUsername()).isEqualTo("from-env");
        assertThat(new ConfigLoader(Map.of(ConfigLoader.ENV_REDIS_URL, "redis://other:6379")).applyEnvironment(base)
                .sharedState().redisUsername()).as("kept when the URL comes from the environment").isEqualTo("from-file");
        assertThat(new SharedStateConfig("redis://redis:6379", 1000, " ").redisUsername()).isNull();
    }
}
