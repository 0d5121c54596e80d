package dev.spotapi.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.spotapi.config.ServiceConfig;
import org.slf4j.LoggerFactory;

/** Applies the config's log level to the logging backend. */
final class Logging {
    private Logging() {
    }

    static void apply(ServiceConfig config) {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.toLevel(config.logLevel(), Level.INFO));
    }
}
