package dev.spotapi.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * Logback's configuration in code: stdout through the buffered appender at INFO, the libraries' loggers at
 * their levels; an explicit {@code logback.configurationFile} (the test JVM's) is left to Logback's XML
 * configurator. The service's actual log lines are checked in a child JVM by {@link LogLineShapeTest}.
 */
@ResourceLock("system-property:logback.configurationFile")
class LogbackSetupTest {
    private static final String FILE_PROPERTY = "logback.configurationFile";

    @Test
    void configuresStdoutAndTheLibraryLevelsWithoutAnXmlFile() {
        String file = System.clearProperty(FILE_PROPERTY);
        LoggerContext context = new LoggerContext();
        try {
            assertThat(new LogbackSetup().configure(context)).isEqualTo(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
        } finally {
            if (file != null) {
                System.setProperty(FILE_PROPERTY, file);
            }
        }
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        String variable = System.getenv(LogbackSetup.LEVEL_VARIABLE);
        assertThat(root.getLevel()).isEqualTo(variable == null || variable.isBlank() ? Level.INFO
                : Level.toLevel(variable.trim(), Level.DEBUG));
        assertThat(root.getAppender(Logging.APPENDER)).isInstanceOf(BufferedStdoutAppender.class);
        assertThat(root.getAppender(Logging.APPENDER).isStarted()).isTrue();
        assertThat(context.getLogger("org.eclipse.jetty.server.Server").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.javalin.Javalin").getEffectiveLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.lettuce.core.protocol.ConnectionWatchdog").getLevel()).isEqualTo(Level.ERROR);
        // Jetty's warnings about a peer's malformed message carry the caller's header whole (attack round 19)
        assertThat(context.getLogger("org.eclipse.jetty.http.HttpParser").getEffectiveLevel()).isEqualTo(Level.ERROR);
        assertThat(context.getLogger("org.eclipse.jetty.util.HostPort").getEffectiveLevel()).isEqualTo(Level.ERROR);
        root.getAppender(Logging.APPENDER).stop();
    }

    /** The test JVM's XML configuration gives the libraries the product's levels: tests see what users run. */
    @Test
    void theTestJvmsConfigurationHasTheProductsLibraryLevels() throws Exception {
        String xml = java.nio.file.Files.readString(java.nio.file.Path.of("src/test/logback-test-jvm.xml"));
        java.util.Map<String, Level> declared = new java.util.HashMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<logger name=\"([^\"]+)\" level=\"([A-Z]+)\"/>")
                .matcher(xml);
        while (m.find()) {
            declared.put(m.group(1), Level.toLevel(m.group(2)));
        }
        assertThat(declared).isEqualTo(LogbackSetup.LIBRARY_LEVELS);
    }

    @Test
    void anExplicitConfigurationFileGoesToLogbacksOwnConfigurator() {
        String file = System.getProperty(FILE_PROPERTY);
        System.setProperty(FILE_PROPERTY, "some-logback.xml");
        try {
            LoggerContext context = new LoggerContext();
            assertThat(new LogbackSetup().configure(context)).isEqualTo(ExecutionStatus.INVOKE_NEXT_IF_ANY);
            assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender(Logging.APPENDER)).isNull();
        } finally {
            if (file == null) {
                System.clearProperty(FILE_PROPERTY);
            } else {
                System.setProperty(FILE_PROPERTY, file);
            }
        }
    }

    /** The service's SLF4J provider applies the configuration in code itself, with Logback's MDC and version. */
    @Test
    void theServicesProviderAppliesTheConfigurationInCode() {
        String file = System.clearProperty(FILE_PROPERTY);
        LogbackProvider provider = new LogbackProvider();
        try {
            provider.initialize();
        } finally {
            if (file != null) {
                System.setProperty(FILE_PROPERTY, file);
            }
        }
        LoggerContext context = (LoggerContext) provider.getLoggerFactory();
        assertThat(context.isStarted()).isTrue();
        assertThat(context.getMDCAdapter()).isSameAs(provider.getMDCAdapter());
        assertThat(provider.getRequestedApiVersion())
                .isEqualTo(ch.qos.logback.classic.spi.LogbackServiceProvider.REQUESTED_API_VERSION);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getAppender(Logging.APPENDER)).isInstanceOf(BufferedStdoutAppender.class);
        assertThat(context.getLogger("org.eclipse.jetty.server.Server").getEffectiveLevel()).isEqualTo(Level.WARN);
        context.stop();
    }

    /** Asked for an XML configuration, the provider leaves it to Logback's auto-configuration. */
    @Test
    void theServicesProviderLeavesAnXmlConfigurationToLogback(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        java.nio.file.Path xml = java.nio.file.Files.writeString(dir.resolve("logback.xml"), """
                <configuration>
                  <appender name="XML" class="ch.qos.logback.core.read.ListAppender"/>
                  <root level="WARN"><appender-ref ref="XML"/></root>
                </configuration>
                """);
        LogbackProvider provider = new LogbackProvider();
        String file = System.getProperty(FILE_PROPERTY);
        System.setProperty(FILE_PROPERTY, xml.toString());
        try {
            provider.initialize();
        } finally {
            if (file == null) {
                System.clearProperty(FILE_PROPERTY);
            } else {
                System.setProperty(FILE_PROPERTY, file);
            }
        }
        LoggerContext context = (LoggerContext) provider.getLoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        assertThat(root.getAppender("XML")).isNotNull();
        assertThat(root.getAppender(Logging.APPENDER)).isNull();
        assertThat(root.getLevel()).isEqualTo(Level.WARN);
        context.stop();
    }
}
