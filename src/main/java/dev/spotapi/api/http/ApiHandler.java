package dev.spotapi.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.zip.GZIPOutputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.MimeTypes;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Jetty handler that serves the {@link Router}: every request gets an {@link Exchange}, runs the router's
 * steps in order (pausing, without a thread, while a step's future is pending), and then has its answer written
 * once: status, headers, content type and body (gzip for bodies of at least {@value #MIN_GZIP_BYTES} bytes of a
 * {@link #GZIP_TYPES} type when the caller accepts it), after which the request loggers see it.
 */
public final class ApiHandler extends org.eclipse.jetty.server.Handler.Abstract {

    /**
     * Whether {@code Accept-Encoding} (RFC 9110 §12.5.3; every header line) accepts gzip: {@code gzip} or
     * {@code x-gzip} with a quality above 0, or else {@code *} with one; {@code gzip;q=0} refuses it. Codings and
     * parameter names are case-insensitive.
     */
    static boolean acceptsGzip(java.util.List<String> headers) {
        Boolean gzip = null;
        boolean any = false;
        for (String header : headers) {
            for (String entry : header.split(",")) {
                String[] parts = entry.split(";");
                String coding = parts[0].strip().toLowerCase(java.util.Locale.ROOT);
                boolean acceptable = true;
                for (int i = 1; i < parts.length; i++) {
                    String[] param = parts[i].split("=", 2);
                    if (param.length == 2 && param[0].strip().equalsIgnoreCase("q")) {
                        try {
                            acceptable = Double.parseDouble(param[1].strip()) > 0;
                        } catch (NumberFormatException e) {
                            acceptable = false;
                        }
                    }
                }
                if (coding.equals("gzip") || coding.equals("x-gzip")) {
                    gzip = gzip == null ? acceptable : gzip && acceptable;
                } else if (coding.equals("*")) {
                    any = acceptable;
                }
            }
        }
        return gzip != null ? gzip : any;
    }
    private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
    /** Smallest body worth compressing, in bytes (Javalin's threshold, kept). */
    static final int MIN_GZIP_BYTES = 1500;
    /** The content types compressed. */
    static final Set<String> GZIP_TYPES = Set.of("image/svg+xml", "application/json", "application/json;charset=utf-8",
            "text/plain", "text/plain;charset=utf-8", "text/html;charset=utf-8");
    /** Bytes buffered when a streamed body is written. */
    private static final int STREAM_BUFFER = 32 * 1024;

    private final Router router;
    private final BiConsumer<Exchange, Error> fatalErrors;

    /**
     * @param fatalErrors answers and records a {@link java.lang.Error} (out of memory, a class that failed to
     *                    load) thrown while serving a request
     */
    public ApiHandler(Router router, BiConsumer<Exchange, Error> fatalErrors) {
        super(InvocationType.BLOCKING);
        this.router = router;
        this.fatalErrors = fatalErrors;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        Exchange ctx = new Exchange(router, request, response);
        new Run(ctx, callback).start();
        return true;
    }

    /** One request going through the steps. */
    private final class Run {
        private final Exchange ctx;
        private final Callback callback;
        private final AtomicBoolean written = new AtomicBoolean();

        Run(Exchange ctx, Callback callback) {
            this.ctx = ctx;
            this.callback = callback;
        }

        void start() {
            try {
                Endpoint endpoint = ctx.endpoint;
                for (Handler h : router.before) {
                    ctx.steps.add(new Exchange.Step(true, h));
                }
                if (endpoint != null) {
                    for (Handler h : router.beforeMatched) {
                        ctx.steps.add(new Exchange.Step(true, h));
                    }
                    ctx.steps.add(new Exchange.Step(true, endpoint.handler));
                    for (Handler h : router.afterMatched) {
                        ctx.steps.add(new Exchange.Step(false, h));
                    }
                } else {
                    ctx.steps.add(new Exchange.Step(true, c -> {
                        var allowed = router.methodsFor(c.path());
                        if (!allowed.isEmpty()) {
                            throw new MethodNotAllowed(allowed);
                        }
                        throw new RouteNotFound(c.method().name(), c.path());
                    }));
                }
                for (Handler h : router.after) {
                    ctx.steps.add(new Exchange.Step(false, h));
                }
                runSteps();
            } catch (Throwable t) {
                unexpected(t);
            }
        }

        /** Runs the steps from the next one, in the router's step scope, until one pends or all are done. */
        private void runSteps() {
            Runnable leave = router.stepScope().enter(ctx);
            try {
                runStepsInScope();
            } finally {
                leave.run();
            }
        }

        private void runStepsInScope() {
            while (ctx.futureSupplier == null && !ctx.steps.isEmpty()) {
                Exchange.Step step = ctx.steps.poll();
                if (ctx.exceptionOccurred && step.skipOnFailure()) {
                    continue;
                }
                runStep(step.handler());
            }
            if (ctx.futureSupplier != null) {
                suspend();
            } else {
                write();
            }
        }

        private void runStep(Handler handler) {
            try {
                handler.handle(ctx);
            } catch (Throwable t) {
                failed(t);
            }
        }

        /** A step failed: the failure is answered first, then the steps not skipped by a failure run on. */
        private void failed(Throwable t) {
            ctx.exceptionOccurred = true;
            ctx.futureSupplier = null;
            ctx.steps.offerFirst(new Exchange.Step(false, c -> answer(t)));
        }

        private void suspend() {
            var supplier = ctx.futureSupplier;
            ctx.futureSupplier = null;
            CompletableFuture<?> future;
            try {
                future = supplier.get();
            } catch (Throwable t) {
                failed(t);
                runSteps();
                return;
            }
            if (future == null) {
                runSteps();
                return;
            }
            future.whenComplete((value, failure) -> {
                try {
                    if (failure != null) {
                        failed(failure); // answered as the next step: inside the step scope
                    }
                    runSteps();
                } catch (Throwable t) {
                    unexpected(t);
                }
            });
        }

        /** Answers {@code t} with the exception handler of its class (a CompletionException's cause's). */
        private void answer(Throwable t) {
            if (t instanceof CompletionException && t.getCause() instanceof Exception cause) {
                t = cause;
            }
            if (t instanceof Error error) {
                ctx.status(500);
                fatalErrors.accept(ctx, error);
                return;
            }
            if (isClientAbort(t)) {
                LOG.debug("client went away", t);
                ctx.status(500);
                return;
            }
            Exception e = (Exception) t;
            ExceptionHandler<Exception> handler = router.exceptionHandler(e);
            try {
                if (handler == null) {
                    throw e;
                }
                handler.handle(e, ctx);
            } catch (Throwable inHandler) {
                LOG.warn("exception handler for {} failed", e.getClass().getSimpleName(), inHandler);
                ctx.status(500).contentType(Exchange.DEFAULT_CONTENT_TYPE).result("Internal server error");
            }
        }

        private void write() {
            if (written.getAndSet(true)) {
                return;
            }
            Response response = ctx.response;
            try {
                int status = ctx.statusCode();
                response.setStatus(status);
                if (status == 204 || status == 304) { // no content, so nothing for a Content-Type to describe
                    log();
                    response.write(true, null, callback);
                    return;
                }
                String type = ctx.responseContentType();
                if (type != null) {
                    MimeTypes.Type known = MimeTypes.CACHE.get(type);
                    if (known != null) {
                        response.getHeaders().put(known.getContentTypeField()); // pre-encoded
                    } else {
                        response.getHeaders().put(HttpHeader.CONTENT_TYPE, type);
                    }
                }
                byte[] bytes = ctx.resultBytes();
                InputStream stream = ctx.resultStream();
                if (stream != null) {
                    writeStream(stream);
                    return;
                }
                ByteBuffer content = ctx.resultBuffer() == null ? null : ctx.resultBuffer().duplicate();
                if (bytes != null && bytes.length > 0) {
                    content = ByteBuffer.wrap(gzipWanted(bytes.length) ? gzip(bytes) : bytes);
                }
                log();
                response.write(true, content, callback);
            } catch (Throwable t) {
                unexpected(t);
            }
        }

        /** A streamed body: copied as it is read, on this thread; the loggers run once it is all written. */
        private void writeStream(InputStream stream) throws IOException {
            try (stream) {
                byte[] buffer = new byte[4096];
                int n = stream.read(buffer);
                OutputStream out = new java.io.BufferedOutputStream(Content.Sink.asOutputStream(ctx.response),
                        STREAM_BUFFER);
                if (n > 0 && gzipWanted(n)) {
                    out = new GZIPOutputStream(out, 8192);
                }
                try (OutputStream o = out) {
                    while (n >= 0) {
                        if (n > 0) {
                            o.write(buffer, 0, n);
                        }
                        n = stream.read(buffer);
                    }
                    log();
                }
            }
            callback.succeeded();
        }

        /**
         * Whether this answer goes out gzipped: a type worth it, at least {@link #MIN_GZIP_BYTES}, and a caller whose
         * {@code Accept-Encoding} accepts gzip ({@link #acceptsGzip}). Such an answer's coding depends on that header,
         * so it says so ({@code Vary: Accept-Encoding}, for caches) whichever coding it gets.
         */
        private boolean gzipWanted(int firstBytes) {
            if (firstBytes < MIN_GZIP_BYTES || ctx.response.getHeaders().contains(HttpHeader.CONTENT_ENCODING)) {
                return false;
            }
            String type = ctx.responseContentType();
            if (type != null && !GZIP_TYPES.contains(type)) {
                return false;
            }
            ctx.response.getHeaders().ensureField(VARY_ACCEPT_ENCODING);
            if (!acceptsGzip(ctx.headers("Accept-Encoding"))) {
                return false;
            }
            ctx.response.getHeaders().put(HttpHeader.CONTENT_ENCODING, "gzip");
            return true;
        }

        private static final org.eclipse.jetty.http.HttpField VARY_ACCEPT_ENCODING =
                new org.eclipse.jetty.http.HttpField(HttpHeader.VARY, "Accept-Encoding");

        private byte[] gzip(byte[] bytes) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 4 + 64);
            try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
                gz.write(bytes);
            }
            return out.toByteArray();
        }

        private void log() {
            float millis = (System.nanoTime() - ctx.startNanos()) / 1_000_000f;
            for (Router.RequestLogger logger : router.requestLoggers) {
                try {
                    logger.log(ctx, millis);
                } catch (RuntimeException e) {
                    LOG.warn("request logger failed", e);
                }
            }
        }

        /**
         * A failure outside the steps (writing the answer, a broken step queue): a fatal error is answered as
         * the fatal-error handler says, anything else with Jetty's error page (500) if nothing was sent yet.
         */
        private void unexpected(Throwable t) {
            if (t instanceof Error error && !written.get()) {
                try {
                    ctx.status(500);
                    fatalErrors.accept(ctx, error);
                    write();
                    return;
                } catch (Throwable ignored) {
                    // failing fatally while answering: end the exchange below
                }
            }
            if (isClientAbort(t)) {
                LOG.debug("client went away", t);
            } else if (!(t instanceof Error)) {
                LOG.error("exception while serving a request", t);
            }
            if (!written.getAndSet(true) && !ctx.response.isCommitted()) {
                Response.writeError(ctx.request, ctx.response, callback, 500);
            } else {
                callback.failed(t);
            }
        }
    }

    private static boolean isClientAbort(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        return c instanceof EofException;
    }
}
