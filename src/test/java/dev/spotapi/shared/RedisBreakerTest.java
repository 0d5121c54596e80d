package dev.spotapi.shared;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionException;
import org.junit.jupiter.api.Test;

/** Which failures of a Redis command count towards opening the breaker ({@link RedisBreaker#unavailable}). */
class RedisBreakerTest {
    @Test
    void aCommandsOwnErrorReplySaysRedisIsUp() {
        assertThat(RedisBreaker.unavailable(new RedisCommandExecutionException("ERR Error running script (call to f_1):"
                + " @user_script:1: NOGROUP No such key 'q' or consumer group 'spot-api'"))).isFalse();
        assertThat(RedisBreaker.unavailable(new RedisCommandExecutionException(
                "WRONGTYPE Operation against a key holding the wrong kind of value"))).isFalse();
    }

    @Test
    void refusalsAndLostConnectionsSayItCannotServe() {
        for (String reply : new String[] {"NOAUTH Authentication required.", "WRONGPASS invalid username-password pair",
                "NOPERM this user has no permissions", "LOADING Redis is loading the dataset in memory",
                "READONLY You can't write against a read only replica.", "OOM command not allowed"}) {
            assertThat(RedisBreaker.unavailable(new RedisCommandExecutionException(reply))).as(reply).isTrue();
        }
        assertThat(RedisBreaker.unavailable(new RedisConnectionException("Unable to connect"))).isTrue();
        assertThat(RedisBreaker.unavailable(new io.lettuce.core.RedisCommandTimeoutException("timed out"))).isTrue();
    }

    @Test
    void errorRepliesLeaveTheBreakerClosed() {
        RedisBreaker breaker = new RedisBreaker("test");
        for (int i = 0; i < 10; i++) {
            assertThatThrownBy(() -> breaker.call(() -> {
                throw new RedisCommandExecutionException("ERR Error running script: NOGROUP No such key");
            })).isInstanceOf(RedisCommandExecutionException.class);
        }
        assertThat(breaker.call(() -> "still called")).isEqualTo("still called");
    }
}
