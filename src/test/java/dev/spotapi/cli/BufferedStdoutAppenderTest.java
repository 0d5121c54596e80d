package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Lines are batched (no write per line), reach the stream within the flush interval, and stopping flushes without closing stdout. */
class BufferedStdoutAppenderTest {
    private final LoggerContext context = new LoggerContext();
    private final Logger logger = context.getLogger("test");

    BufferedStdoutAppenderTest() {
        context.setMDCAdapter(new LogbackMDCAdapter());
    }

    @Test
    void linesAreWrittenInBatchesAndStoppingFlushesWithoutClosing() {
        CountingStream target = new CountingStream();
        BufferedStdoutAppender appender = started(target);

        for (int i = 0; i < 100; i++) {
            appender.doAppend(event("line " + i));
        }
        appender.stop();

        String written = target.toString(StandardCharsets.UTF_8);
        assertThat(written.lines()).hasSize(100).first().isEqualTo("INFO line 0");
        // one batch (two if the periodic flush happened to run in between), never one write per line
        assertThat(target.writes).as("batched writes").isBetween(1, 2);
        assertThat(target.closed).as("stdout stays open for the rest of the process").isFalse();
    }

    @Test
    void thePeriodicFlushWritesLinesWithoutAnyCallFromTheWriter() throws InterruptedException {
        CountingStream target = new CountingStream();
        BufferedStdoutAppender appender = started(target);
        appender.doAppend(event("soon visible"));

        awaitWritten(target, 10);
        assertThat(target.toString(StandardCharsets.UTF_8)).isEqualTo("INFO soon visible\n");
        appender.stop();
    }

    @Test
    void aFlushThatThrowsAnErrorDoesNotEndThePeriodicFlush() throws InterruptedException {
        // the first write out of the buffer fails as it did when a request had taken the whole heap
        CountingStream target = new CountingStream() {
            boolean failed;

            @Override
            public synchronized void write(byte[] b, int off, int len) {
                if (!failed) {
                    failed = true;
                    throw new OutOfMemoryError("Java heap space");
                }
                super.write(b, off, len);
            }
        };
        BufferedStdoutAppender appender = started(target);
        appender.doAppend(event("written in a later period"));

        awaitWritten(target, 20);
        assertThat(target.toString(StandardCharsets.UTF_8)).isEqualTo("INFO written in a later period\n");
        appender.stop();
    }

    @Test
    void flushAllWritesWhatEveryStartedAppenderHolds() {
        CountingStream first = new CountingStream();
        CountingStream second = new CountingStream();
        BufferedStdoutAppender a = started(first);
        BufferedStdoutAppender b = started(second);
        a.doAppend(event("from a"));
        b.doAppend(event("from b"));

        BufferedStdoutAppender.flushAll();

        assertThat(first.toString(StandardCharsets.UTF_8)).isEqualTo("INFO from a\n");
        assertThat(second.toString(StandardCharsets.UTF_8)).isEqualTo("INFO from b\n");
        a.stop();
        b.stop();
    }

    /** Waits up to {@code periods} flush periods for anything to reach {@code target}. */
    private static void awaitWritten(CountingStream target, int periods) throws InterruptedException {
        long deadline = System.nanoTime() + periods * BufferedStdoutAppender.FLUSH_MS * 1_000_000L;
        while (target.size() == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    private BufferedStdoutAppender started(CountingStream target) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%level %msg%n");
        encoder.start();
        BufferedStdoutAppender appender = new BufferedStdoutAppender(target);
        appender.setContext(context);
        appender.setEncoder(encoder);
        appender.start();
        return appender;
    }

    private LoggingEvent event(String message) {
        return new LoggingEvent(Logger.class.getName(), logger, Level.INFO, message, null, null);
    }

    /** Counts write calls and remembers whether it was closed. */
    private static class CountingStream extends ByteArrayOutputStream {
        int writes;
        boolean closed;

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes++;
            super.write(b, off, len);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
