package dev.spotapi.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.encoder.Encoder;
import dev.spotapi.config.ServiceConfig;
import net.logstash.logback.encoder.LogstashEncoder;
import org.slf4j.LoggerFactory;

/**
 * Applies the config's log level and format to the logging backend: text lines (the {@link LogbackSetup}
 * pattern) or one JSON object a line, both written to stdout through {@link BufferedStdoutAppender}.
 */
final class Logging {
    /** The appender's name ({@link LogbackSetup}). */
    static final String APPENDER = "STDOUT";
    static final String TEXT_PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level %logger{24} %msg%n";

    private Logging() {
    }

    static void apply(ServiceConfig config) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(config.logLevel(), Level.INFO));
        LoggerContext context = root.getLoggerContext();
        Encoder<ILoggingEvent> encoder = "json".equals(config.logFormat()) ? json(context) : text(context);
        Appender<ILoggingEvent> previous = root.getAppender(APPENDER);
        BufferedStdoutAppender appender = new BufferedStdoutAppender();
        appender.setContext(context);
        appender.setName(APPENDER);
        appender.setEncoder(encoder);
        appender.start();
        root.addAppender(appender); // first the new one, then the old one goes (flushing): no line is lost
        if (previous != null) {
            root.detachAppender(previous);
            previous.stop();
        }
    }

    static Encoder<ILoggingEvent> text(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(TEXT_PATTERN);
        encoder.start();
        return encoder;
    }

    /** time, level, logger, message, and the access lines' requestId, account, route, status, durationMs. */
    private static Encoder<ILoggingEvent> json(LoggerContext context) {
        LogstashEncoder encoder = new LogstashEncoder();
        encoder.setContext(context);
        encoder.setIncludeContext(false);
        encoder.setIncludeCallerData(false);
        encoder.start();
        return encoder;
    }
}
