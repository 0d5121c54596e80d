package dev.spotapi.hardening;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Captures every log event of the test JVM (spot-api and the in-process simulator) on a Logback
 * {@link ListAppender} attached to the root logger, optionally lowering the {@code dev.spotapi} level to
 * DEBUG meanwhile (a secret must not leak at any configured level).
 */
final class LogCapture implements AutoCloseable {
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    private final Logger ours = (Logger) LoggerFactory.getLogger("dev.spotapi");
    private final Level oursBefore;

    private LogCapture(boolean debug) {
        oursBefore = ours.getLevel();
        if (debug) {
            ours.setLevel(Level.DEBUG);
        }
        appender.setContext(root.getLoggerContext());
        appender.start();
        root.addAppender(appender);
    }

    static LogCapture start() {
        return new LogCapture(false);
    }

    static LogCapture startAtDebug() {
        return new LogCapture(true);
    }

    List<ILoggingEvent> events() {
        synchronized (appender) {
            return new ArrayList<>(appender.list);
        }
    }

    /** Waits (bounded) for an event matching the predicate; events may be logged after the reply is sent. */
    ILoggingEvent await(Predicate<ILoggingEvent> matching, long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        do {
            for (ILoggingEvent e : events()) {
                if (matching.test(e)) {
                    return e;
                }
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return null;
    }

    /** Everything an appender could write for the event: message, arguments, MDC, exception text. */
    static String everything(ILoggingEvent e) {
        StringBuilder sb = new StringBuilder();
        sb.append(e.getLoggerName()).append(' ').append(e.getThreadName()).append(' ').append(e.getFormattedMessage());
        if (e.getArgumentArray() != null) {
            for (Object arg : e.getArgumentArray()) {
                sb.append(' ').append(arg);
            }
        }
        for (Map.Entry<String, String> m : e.getMDCPropertyMap().entrySet()) {
            sb.append(' ').append(m.getKey()).append('=').append(m.getValue());
        }
        if (e.getKeyValuePairs() != null) {
            e.getKeyValuePairs().forEach(kv -> sb.append(' ').append(kv.key).append('=').append(kv.value));
        }
        IThrowableProxy t = e.getThrowableProxy();
        int depth = 0;
        while (t != null && depth++ < 10) {
            sb.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
            for (StackTraceElementProxy frame : t.getStackTraceElementProxyArray()) {
                sb.append(' ').append(frame.getSTEAsString());
            }
            t = t.getCause();
        }
        return sb.toString();
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
        ours.setLevel(oursBefore);
    }
}
