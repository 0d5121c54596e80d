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
}
