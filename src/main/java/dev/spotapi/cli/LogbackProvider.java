package dev.spotapi.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LogbackServiceProvider;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.joran.spi.JoranException;
import ch.qos.logback.core.status.StatusUtil;
import ch.qos.logback.core.util.StatusPrinter;
import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.Util;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

/**
 * SLF4J's binding to Logback, the service's way: what Logback's own {@link LogbackServiceProvider} does, except
 * that the configuration in code ({@link LogbackSetup}) is applied directly instead of through Logback's
 * auto-configuration, which looks its configurators up with a {@link java.util.ServiceLoader} scan of every jar
 * on the class path, reads their annotations and checks its own version: ~50 ms of the ~500 ms the main thread
 * needs to the first pong (async-profiler, warm start; docs/performance.md). Named by {@link Main} through
 * {@code slf4j.provider}. When an XML configuration is asked for ({@code -Dlogback.configurationFile}, or a
 * {@code logback-test.xml} on the class path: the tests'), Logback's auto-configuration runs as usual.
 */
public final class LogbackProvider implements SLF4JServiceProvider {
    private final LoggerContext context = new LoggerContext();
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final LogbackMDCAdapter mdc = new LogbackMDCAdapter();

    /** SLF4J needs a public no-argument constructor. */
    public LogbackProvider() {
    }

    @Override
    public void initialize() {
        context.setName(CoreConstants.DEFAULT_CONTEXT_NAME);
        context.setMDCAdapter(mdc);
        if (LogbackSetup.xmlConfigurationWanted()) {
            try {
                new ContextInitializer(context).autoConfig();
            } catch (JoranException e) {
                Util.report("Failed to auto configure default logger context", e);
            }
            if (!StatusUtil.contextHasStatusListener(context)) {
                StatusPrinter.printInCaseOfErrorsOrWarnings(context);
            }
        } else {
            LogbackSetup setup = new LogbackSetup();
            setup.setContext(context);
            setup.configure(context);
        }
        context.start();
    }

    @Override
    public ILoggerFactory getLoggerFactory() {
        return context;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return LogbackServiceProvider.REQUESTED_API_VERSION;
    }
}
