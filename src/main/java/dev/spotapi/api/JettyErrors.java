package dev.spotapi.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/**
 * Errors Jetty answers itself, before the router sees the request (a body over the hard size limit,
 * oversized headers, a malformed request line or an ambiguous URI), answered as the same JSON error
 * body as every other error instead of Jetty's HTML page, with the caller's sane {@code X-Request-Id}, and on
 * an access line and in the request timer as every other request ({@link RequestObserver#observeJettyAnswer};
 * attack round 19: none of them was, and a caller's request id was replaced).
 */
final class JettyErrors extends ErrorHandler {
    private final ObjectMapper mapper;
    private final Cors cors;
    private final RequestObserver observer;

    /**
     * {@code cors}: marks these answers readable by the allowed origins too (a browser reads a 413 then);
     * {@code observer}: logs and times them.
     */
    JettyErrors(ObjectMapper mapper, Cors cors, RequestObserver observer) {
        this.mapper = mapper;
        this.cors = cors;
        this.observer = observer;
    }

    /** Every method gets the JSON body (Jetty's default writes error pages only for GET, POST and HEAD). */
    @Override
    public boolean errorPageForMethod(String method) {
        return true;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
            Callback callback) {
        // a request Jetty's parser refused is handed here as its placeholder, "BAD /badMessage" without headers: what
        // the connection's parser had read of it stands in (ParsedHeads)
        ParsedHeads.Head parsed = ParsedHeads.of(request);
        boolean placeholder = "BAD".equals(request.getMethod()) && "/badMessage".equals(request.getHttpURI().getPath());
        String given = request.getHeaders().get(RequestIds.HEADER);
        String[] ids = RequestIds.assign(given == null && parsed != null ? parsed.requestId() : given);
        String requestId = ids[0];
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Replies.JSON);
        response.getHeaders().put(RequestIds.HEADER, requestId);
        if (cors != null) {
            cors.onJettyError(request.getHeaders().get(HttpHeader.ORIGIN), response.getHeaders());
        }
        if (cause instanceof HttpException || hasBody(request)) {
            // Jetty ends the connection after a request it refused itself (a bad message: its synthetic request has
            // no headers) and after an error answer to a request whose body nobody read (it cannot tell where the
            // next request starts): say so, or a client reusing the connection loses its next request (attack
            // round 13: a 400 for a NUL in the path, then the connection closed without a word)
            response.getHeaders().put(HttpHeader.CONNECTION, "close");
        }
        // a HEAD answer has no content (RFC 9110 §9.3.2): the same status and headers as the GET's
        boolean head = HttpMethod.HEAD.is(request.getMethod());
        response.write(true, head ? null : ByteBuffer.wrap(body(code, message, requestId)), callback);
        long began = request.getBeginNanoTime();
        long now = System.nanoTime();
        float millis = began == 0 || now - began < 0 ? 0 : (now - began) / 1_000_000f;
        String method = placeholder ? (parsed == null ? null : parsed.method()) : request.getMethod();
        String path = placeholder ? (parsed == null ? null : parsed.path()) : request.getHttpURI().getPath();
        observer.observeJettyAnswer(method, path, code, millis, requestId, ids[1]);
    }

    private static boolean hasBody(Request request) {
        HttpFields headers = Request.unWrap(request).getHeaders(); // Jetty's error request carries no headers
        String length = headers.get(HttpHeader.CONTENT_LENGTH);
        return headers.contains(HttpHeader.TRANSFER_ENCODING) || (length != null && !length.trim().equals("0"));
    }

    @Override
    @SuppressWarnings("removal") // deprecated in Jetty 12.1, still what it calls for requests its parser refuses
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(new HttpField(HttpHeader.CONTENT_TYPE, Replies.JSON));
        String requestId = RequestIds.newId();
        fields.put(RequestIds.HEADER, requestId);
        observer.observeJettyAnswer(null, null, status, 0, requestId, null); // the request line itself was not read
        return ByteBuffer.wrap(body(status, reason, requestId));
    }

    private byte[] body(int code, String message, String requestId) {
        String text = message == null || message.isBlank() ? HttpStatus.getMessage(code) : message;
        try {
            return mapper.writeValueAsBytes(new ErrorBody(code, text, requestId));
        } catch (JsonProcessingException e) {
            return ("{\"status\":" + code + "}").getBytes(StandardCharsets.UTF_8);
        }
    }
}
