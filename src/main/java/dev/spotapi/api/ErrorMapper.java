package dev.spotapi.api;

import dev.spotapi.account.UnknownAccountException;
import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.org.OrgGuard;
import dev.spotapi.spot.SpotException;
import dev.spotapi.api.http.Router;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpStatus;
import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.MethodNotAllowed;
import dev.spotapi.api.http.RouteNotFound;
import java.time.Duration;
import java.util.regex.Pattern;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one place that turns failures into HTTP answers. Every error body is JSON; no stack trace leaks. */
final class ErrorMapper {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    private final Replies replies;

    ErrorMapper(Replies replies) {
        this.replies = replies;
    }

    void register(Router routes) {
        routes.exception(ApiException.class, (e, ctx) -> {
            OrgGuard.refusedLocally(ctx); // thrown by a handler itself, not from a Spot call's future
            write(ctx, e.status(), e.getMessage());
        });
        routes.exception(UnknownAccountException.class, (e, ctx) -> write(ctx, 404, "account not found"));
        routes.exception(SpotException.class, this::spot);
        routes.exception(RouteNotFound.class, (e, ctx) ->
                write(ctx, 404, "no route for " + ctx.method().name() + " " + clip(ctx.path())));
        routes.exception(MethodNotAllowed.class, (e, ctx) -> {
            ctx.header("Allow", e.allowHeader());
            write(ctx, 405, "method " + ctx.method().name() + " is not allowed on " + clip(ctx.path()));
        });
        routes.exception(dev.spotapi.shared.SharedStateUnavailableException.class, (e, ctx) -> {
            // a domain step that needs the shared state (the cost ledger before a delete) refused before acting
            ctx.attribute(Idempotency.NOTHING_CHANGED, true);
            ctx.header("Retry-After", "5");
            write(ctx, 503, clip(e.getMessage()));
        });
        routes.exception(CompletionException.class, (e, ctx) -> unexpected(e, ctx));
        routes.exception(Exception.class, this::unexpected);
    }

    private void spot(SpotException e, Exchange ctx) {
        String account = ctx.attribute(AccountLookup.ATTRIBUTE);
        if (!e.mayHaveActed()) {
            ctx.attribute(Idempotency.NOTHING_CHANGED, true);
        }
        String failed = "failed to " + e.operation() + (account == null ? "" : " in account '" + account + "'");
        String detail = redact(e.spotMessage());
        logSpotFailure(ctx, account, e);
        switch (e.kind()) {
            case NOT_FOUND -> write(ctx, 404, failed + ": " + detail);
            case REJECTED -> write(ctx, 400, failed + ": " + detail);
            case CONFLICT -> write(ctx, 409, failed + ": " + detail);
            case RATE_LIMITED -> {
                Duration wait = e.retryAfter() == null ? Duration.ofSeconds(1) : e.retryAfter();
                ctx.header("Retry-After", Long.toString(Math.max(1, (wait.toMillis() + 999) / 1000)));
                write(ctx, 429, failed + (e.httpStatus() == 429 ? ": rate limited by Spot, retry later"
                        : ": " + detail + ", retry later"));
            }
            case AUTH_REJECTED -> write(ctx, 502, failed + ": Spot rejected the credentials configured for this account (HTTP "
                    + e.httpStatus() + ")");
            case BAD_REPLY -> write(ctx, 502, failed + ": bad reply from Spot: " + withoutInternals(detail));
            // once a request went out, Spot was reached: say what broke, never "unreachable"
            case UNREACHABLE -> write(ctx, 502, failed + (e.mayHaveActed() ? ": " : ": Spot is unreachable: ") + detail);
            case TIMEOUT -> write(ctx, 504, failed + ": " + detail);
            case IN_PROGRESS -> {
                ctx.header("Retry-After", e.retryAfter() == null ? "1"
                        : Long.toString(Math.max(1, (e.retryAfter().toMillis() + 999) / 1000)));
                write(ctx, 409, failed + ": " + detail);
            }
        }
    }

    /**
     * One line per failed Spot call, fields as fields (requestId, account, operation, kind, spotStatus,
     * spotRequestId, traceId, error): WARN for what the operator must look at (Spot unreachable, timing out,
     * refusing the account's credentials, answering garbage), one line per failed request (an operator holding
     * the request id of a 502 finds Spot's request id); INFO for answers about the caller's request (not found,
     * rejected, conflict, rate limited, in progress): client errors are not warnings.
     */
    private static void logSpotFailure(Exchange ctx, String account, SpotException e) {
        boolean operator = switch (e.kind()) {
            case UNREACHABLE, TIMEOUT, AUTH_REJECTED, BAD_REPLY -> true;
            default -> false;
        };
        org.slf4j.spi.LoggingEventBuilder line;
        if (operator) {
            line = LOG.atWarn();
        } else if (LOG.isInfoEnabled()) {
            line = LOG.atInfo();
        } else {
            return;
        }
        line = line.addKeyValue("requestId", RequestIds.of(ctx))
                .addKeyValue("account", account)
                .addKeyValue("operation", e.operation())
                .addKeyValue("kind", e.kind().name())
                .addKeyValue("spotStatus", e.httpStatus())
                .addKeyValue("spotRequestId", e.spotRequestId())
                .addKeyValue("error", e.spotMessage());
        String traceId = Tracing.traceId(ctx);
        if (traceId != null && !traceId.equals(org.slf4j.MDC.get(Tracing.MDC_KEY))) {
            line = line.addKeyValue("traceId", traceId); // off the request thread the MDC does not carry it
        }
        line.log("spot call failed requestId={} account={} operation={} kind={} spotStatus={} spotRequestId={}: {}",
                RequestIds.of(ctx), account, e.operation(), e.kind(), e.httpStatus(), e.spotRequestId(),
                e.spotMessage());
    }

    private void unexpected(Exception e, Exchange ctx) {
        Throwable cause = e;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof SpotException s) {
            spot(s, ctx);
            return;
        }
        if (cause instanceof ApiException a) {
            write(ctx, a.status(), a.getMessage());
            return;
        }
        if (cause instanceof UnknownAccountException) {
            write(ctx, 404, "account not found");
            return;
        }
        HttpException jetty = jettyRefusal(cause);
        if (jetty != null) {
            // Jetty refusing the request itself, e.g. a chunked body that grows past the size limit
            write(ctx, jetty.getCode(), jetty.getReason() == null ? HttpStatus.getMessage(jetty.getCode()) : jetty.getReason());
            return;
        }
        LOG.error("unexpected failure requestId={} {} {}", RequestIds.of(ctx), ctx.method().name(), ctx.path(), cause);
        write(ctx, 500, "internal error");
    }

    /** A java.lang.Error (out of memory, a class that failed to load): still a JSON 500, never a bare page. */
    void fatal(Exchange ctx, Error error) {
        LOG.error("fatal error while serving a request", error);
        ctx.status(500).contentType(Replies.JSON)
                .result(replies.bytes(new ErrorBody(500, "internal error", ctx.responseHeader(RequestIds.HEADER))));
    }

    private static HttpException jettyRefusal(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof HttpException h && h.getCode() >= 400 && h.getCode() < 500) {
                return h;
            }
        }
        return null;
    }

    void write(Exchange ctx, int status, String message) {
        ctx.status(status);
        replies.json(ctx, new ErrorBody(status, message, RequestIds.of(ctx)));
    }

    private static final Pattern URL = Pattern.compile("(?i)\\b[a-z][a-z0-9+.-]*://[^\\s'\"<>]*");
    /** Java exception text in a Spot message: a qualified Throwable class name, or a stack frame. */
    private static final Pattern JAVA_EXCEPTION = Pattern.compile(
            "\\b(?:[a-z][a-z0-9_]*\\.)+[A-Z][A-Za-z0-9_$]*(?:Exception|Error|Throwable)\\b|\\bat [a-z][\\w.$]+\\([\\w.]+(?::\\d+)?\\)");
    private static final Pattern SPOT_ACCOUNT_ID = Pattern.compile("\\bact-[0-9a-zA-Z]+\\b");

    /**
     * A Spot-side message as a caller may see it: no URL (Spot's endpoint, our simulator's address) and no
     * Spot account id; the message already names the account by its spot-api name and the operation.
     */
    static String redact(String message) {
        if (message == null || message.isEmpty()) {
            return "no details";
        }
        String clean = URL.matcher(message).replaceAll("(URL hidden)");
        return SPOT_ACCOUNT_ID.matcher(clean).replaceAll("(account id hidden)");
    }

    /**
     * The message of a Spot failure (5xx, a reply that is not Spot's answer) as a caller may see it: a
     * server's own failure text (a Java exception class, a stack frame) is nothing a caller can act on and
     * tells them about the server's insides, so it is replaced. Spot's refusals (4xx) keep their message.
     */
    static String withoutInternals(String message) {
        return JAVA_EXCEPTION.matcher(message).find() ? "internal error in Spot (details not shown)" : message;
    }

    private static String clip(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
