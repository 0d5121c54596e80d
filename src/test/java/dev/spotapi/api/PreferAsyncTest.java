package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** RFC 7240 Prefer header parsing for respond-async. */
class PreferAsyncTest {
    @Test
    void respondAsyncIsFoundAmongPreferencesInAnyCase() {
        assertThat(AsyncTasks.prefersAsync(List.of("respond-async"))).isTrue();
        assertThat(AsyncTasks.prefersAsync(List.of("Respond-Async"))).isTrue();
        assertThat(AsyncTasks.prefersAsync(List.of("return=minimal, respond-async; foo=bar"))).isTrue();
        assertThat(AsyncTasks.prefersAsync(List.of("wait=10", " respond-async "))).isTrue();
        assertThat(AsyncTasks.prefersAsync(List.of("return=minimal"))).isFalse();
        assertThat(AsyncTasks.prefersAsync(List.of("respond-asynchronously"))).isFalse();
        assertThat(AsyncTasks.prefersAsync(List.of())).isFalse();
    }
}
