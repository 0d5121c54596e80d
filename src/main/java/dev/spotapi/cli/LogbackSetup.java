package dev.spotapi.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.Map;

/**
 * Logback's start-up configuration, in code: what logback.xml would say, without Logback's XML
 * configurator (Joran and the JDK's XML parser: ~400 classes, ~10 % of the classes the service loads,
 * and their parsing time on every start).
 *
 * <p>Stdout through {@link BufferedStdoutAppender} with {@link Logging#TEXT_PATTERN}; Jetty and Javalin
 * at WARN (Jetty's message parsing at ERROR, {@link #LIBRARY_LEVELS}); Lettuce's reconnect loggers at ERROR (the circuit breaker, dev.spotapi.shared.RedisBreaker,
 * logs one WARN when Redis starts failing and one INFO when it is back); the root level from
 * {@code SPOT_API_LOG_LEVEL} (system property, then environment; default INFO) until the config's
 * {@code logLevel} applies ({@link Logging}). An explicit {@code -Dlogback.configurationFile} (the test
 * JVM's) or a {@code logback-test.xml} on the class path still goes to Logback's own XML configurator. Applied
 * by the service's SLF4J provider ({@link LogbackProvider}) directly; found through {@code META-INF/services}
 * when Logback's own provider is used.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogbackSetup extends ContextAwareBase implements Configurator {
    /**
     * Levels of the libraries' loggers, by logger name (src/test/logback-test-jvm.xml says the same: LogbackSetupTest).
     * Jetty's HTTP parsing and its authority parser at ERROR: their warnings are about a peer's malformed message (a
     * client error, answered 400) and carry the caller's header text whole, up to 8 KiB a line at WARN for any
     * caller without a token (attack round 19).
     */
    static final Map<String, Level> LIBRARY_LEVELS = Map.of(
            "org.eclipse.jetty", Level.WARN,
            "org.eclipse.jetty.http", Level.ERROR,
            "org.eclipse.jetty.util.HostPort", Level.ERROR,
            "io.javalin", Level.WARN,
            "io.lettuce.core.protocol.ConnectionWatchdog", Level.ERROR,
            "io.lettuce.core.protocol.ReconnectionHandler", Level.ERROR);
    static final String LEVEL_VARIABLE = "SPOT_API_LOG_LEVEL";

    /** Logback needs a public no-argument constructor. */
    public LogbackSetup() {
    }

    /** Whether Logback's XML configurator is asked for: {@code -Dlogback.configurationFile} or a logback-test.xml. */
    static boolean xmlConfigurationWanted() {
        return System.getProperty("logback.configurationFile") != null
                || LogbackSetup.class.getClassLoader().getResource("logback-test.xml") != null;
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (xmlConfigurationWanted()) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        NopStatusListener quiet = new NopStatusListener();
        context.getStatusManager().add(quiet);
        LIBRARY_LEVELS.forEach((name, level) -> context.getLogger(name).setLevel(level));
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        String level = System.getProperty(LEVEL_VARIABLE, System.getenv(LEVEL_VARIABLE));
        root.setLevel(level == null || level.isBlank() ? Level.INFO : Level.toLevel(level.trim(), Level.DEBUG));
        BufferedStdoutAppender appender = new BufferedStdoutAppender();
        appender.setContext(context);
        appender.setName(Logging.APPENDER);
        appender.setEncoder(Logging.text(context));
        appender.start();
        root.addAppender(appender);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
