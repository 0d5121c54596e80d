package dev.spotapi.api;

import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * HEAD is GET without the body (RFC 9110 §9.3.2): a HEAD request is handed to the application as the GET it
 * stands for, so it goes through the same access control, routing, validation, Spot call and error mapping and
 * gets exactly GET's status and headers (Content-Length included); Jetty's HTTP layer, which still knows the
 * exchange is a HEAD, sends no body. Without it, Javalin answered every HEAD of a GET route 200 with an empty
 * text body, even where GET answers 404, 400 or 501 (issue 20 kind 5). The access log and the request timer still
 * say HEAD (the {@link #HEAD} attribute; attack round 19: they said GET).
 */
final class HeadAsGet extends Handler.Wrapper {
    /** Request attribute set on a HEAD request handed on as a GET. */
    static final String HEAD = "spot-api.head";

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!HttpMethod.HEAD.is(request.getMethod())) {
            return super.handle(request, response, callback);
        }
        request.setAttribute(HEAD, Boolean.TRUE);
        return super.handle(new Request.Wrapper(request) {
            @Override
            public String getMethod() {
                return HttpMethod.GET.asString();
            }
        }, response, callback);
    }
}
