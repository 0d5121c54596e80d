package dev.spotapi.api;

import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Sees every {@link Error} on a request path that the router's own fatal-error handler does not (in Jetty's
 * handlers, the body reader, a response write) and reports it to {@link Readiness#fatal}: thrown from a
 * handler, or the cause of a failed request.
 */
final class FatalErrorGuard extends Handler.Wrapper {
    private final Readiness readiness;

    FatalErrorGuard(Readiness readiness) {
        this.readiness = readiness;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Callback watched = new Callback.Nested(callback) {
            @Override
            public void failed(Throwable failure) {
                Error error = Readiness.errorIn(failure);
                if (error != null) {
                    readiness.fatal(error);
                }
                super.failed(failure);
            }
        };
        try {
            return super.handle(request, response, watched);
        } catch (Error e) {
            readiness.fatal(e);
            throw e;
        }
    }
}
