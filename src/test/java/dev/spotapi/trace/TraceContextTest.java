package dev.spotapi.trace;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** traceparent parsing per W3C Trace Context §3.2 (version-format, trace-id, parent-id, trace-flags). */
class TraceContextTest {
    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";

    @ParameterizedTest
    @ValueSource(strings = {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-holds"})
    void validHeadersAreContinued(String header) {
        TraceContext t = TraceContext.fromHeaders(header, "a=1");
        assertThat(t.continued()).isTrue();
        assertThat(t.traceId()).isEqualTo(TRACE);
        assertThat(t.spanId()).matches("[0-9a-f]{16}").isNotEqualTo("00f067aa0ba902b7").isNotEqualTo("0000000000000000");
        assertThat(t.traceparent()).matches("00-" + TRACE + "-" + t.spanId() + "-0[01]");
        assertThat(t.tracestate()).isEqualTo("a=1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "garbage", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",
            "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",
            "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01.extra",
            "0x-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    void invalidHeadersStartANewTrace(String header) {
        TraceContext t = TraceContext.fromHeaders(header, "a=1");
        assertThat(t.continued()).isFalse();
        assertThat(t.traceId()).matches("[0-9a-f]{32}").isNotEqualTo(TRACE).isNotEqualTo("0".repeat(32));
        assertThat(t.tracestate()).as("tracestate is dropped with an invalid traceparent").isNull();
        assertThat(t.traceparent()).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-00");
    }

    @Test
    void noHeaderStartsANewTraceEachTime() {
        assertThat(TraceContext.fromHeaders(null, null).traceId())
                .isNotEqualTo(TraceContext.fromHeaders(null, null).traceId());
    }

    /** runWith puts the context's trace id in the logging MDC as well, and restores both after. */
    @org.junit.jupiter.api.Test
    void runWithSetsAndRestoresTheMdcTraceId() {
        TraceContext outer = TraceContext.fromHeaders(null, null);
        TraceContext inner = TraceContext.fromHeaders(null, null);
        TraceContext.runWith(outer, () -> {
            org.assertj.core.api.Assertions.assertThat(org.slf4j.MDC.get(TraceContext.MDC_KEY)).isEqualTo(outer.traceId());
            TraceContext.runWith(inner, () -> {
                org.assertj.core.api.Assertions.assertThat(TraceContext.current()).isSameAs(inner);
                org.assertj.core.api.Assertions.assertThat(org.slf4j.MDC.get(TraceContext.MDC_KEY)).isEqualTo(inner.traceId());
            });
            org.assertj.core.api.Assertions.assertThat(TraceContext.current()).isSameAs(outer);
            org.assertj.core.api.Assertions.assertThat(org.slf4j.MDC.get(TraceContext.MDC_KEY)).isEqualTo(outer.traceId());
        });
        org.assertj.core.api.Assertions.assertThat(TraceContext.current()).isNull();
        org.assertj.core.api.Assertions.assertThat(org.slf4j.MDC.get(TraceContext.MDC_KEY)).isNull();
    }

    /** What is chained to a pause runs with the context current when the pause was asked for, on the timer's thread. */
    @org.junit.jupiter.api.Test
    void whatFollowsAPauseRunsWithTheContextOfItsRequest() throws Exception {
        TraceContext context = TraceContext.fromHeaders(null, null);
        java.util.concurrent.CompletableFuture<String> seen = new java.util.concurrent.CompletableFuture<>();
        TraceContext.runWith(context, () -> TraceContext.pause(20).thenRun(() -> seen.complete(
                (TraceContext.current() == context ? "current " : "lost ") + org.slf4j.MDC.get(TraceContext.MDC_KEY))));
        org.assertj.core.api.Assertions.assertThat(seen.get(5, java.util.concurrent.TimeUnit.SECONDS))
                .isEqualTo("current " + context.traceId());
    }
}
