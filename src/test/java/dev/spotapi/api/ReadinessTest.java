package dev.spotapi.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A fatal error is recorded even when there is no memory left to describe it, and its log line is written as
 * soon as there is (a CI run lost the line: the service answered 500 to bodies that took its heap and the log
 * never said why).
 */
class ReadinessTest {
    /** An OutOfMemoryError that cannot be described the first time: formatting it for the log fails. */
    static final class HeapGone extends OutOfMemoryError {
        private int described;

        HeapGone() {
            super("Java heap space");
        }

        @Override
        public String getMessage() {
            if (described++ == 0) {
                throw new OutOfMemoryError("no memory left to describe the first one");
            }
            return super.getMessage();
        }
    }

    @Test
    void aFatalErrorIsRecordedAtOnceAndLoggedOnceLoggingItIsPossible() {
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        Logger logger = (Logger) LoggerFactory.getLogger(Readiness.class);
        lines.setContext(logger.getLoggerContext());
        lines.start();
        logger.addAppender(lines);
        try {
            Readiness readiness = new Readiness(false);
            assertThat(readiness.alive()).isTrue();

            readiness.fatal(new HeapGone());

            assertThat(lines.list).as("logging it failed for want of memory").isEmpty();
            assertThat(readiness.fatalType()).isEqualTo("HeapGone");
            assertThat(readiness.alive()).as("alive (the liveness probe)").isFalse();
            assertThat(readiness.serving()).as("ready").isFalse();
            assertThat(lines.list).as("logged by the next probe, once").hasSize(1);
            ILoggingEvent line = lines.list.get(0);
            assertThat(line.getLevel()).isEqualTo(Level.ERROR);
            assertThat(line.getThrowableProxy().getMessage()).isEqualTo("Java heap space");
            assertThat(line.getFormattedMessage()).contains("no longer ready nor live");

            readiness.fatal(new StackOverflowError());
            assertThat(readiness.fatalType()).as("the first error stays the reason").isEqualTo("HeapGone");
            assertThat(lines.list).hasSize(1);
        } finally {
            logger.detachAppender(lines);
        }
    }
}
