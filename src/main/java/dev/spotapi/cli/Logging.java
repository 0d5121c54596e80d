package dev.spotapi.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.classic.AsyncAppender;
import dev.spotapi.config.ServiceConfig;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/** Applies the config's log level and format (text or one JSON object a line) to the logging backend. */
final class Logging {
    private Logging() {
    }

    static void apply(ServiceConfig config) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(config.logLevel(), Level.INFO));
        if ("json".equals(config.logFormat())) {
            useJson(root);
        }
    }

    /**
     * Replaces the text console appender with a JSON one: time, level, logger, message and the MDC
     * fields the access log sets (requestId, account, route, status, durationMs) as top-level keys.
     */
    private static void useJson(Logger root) {
        LoggerContext context = root.getLoggerContext();
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(context);
        encoder.setIncludeContext(false);
        encoder.setIncludeCallerData(false);
        encoder.start();

        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("JSON");
        console.setEncoder(encoder);
        console.start();

        AsyncAppender async = new AsyncAppender();
        async.setContext(context);
        async.setName("ASYNC_JSON");
        async.setQueueSize(8192);
        async.setDiscardingThreshold(0);
        async.setNeverBlock(true);
        async.addAppender(console);
        async.start();

        Appender<ILoggingEvent> previous = root.getAppender("ASYNC");
        root.addAppender(async);
        if (previous != null) {
            root.detachAppender(previous);
            previous.stop();
        }
    }
}
