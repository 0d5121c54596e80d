package dev.spotapi.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spotapi.api.RequestFacts;
import dev.spotapi.api.http.Exchange;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: after every request to a route that changes Spot resources (create, update,
 * delete, power, capacity, scale — the CHANGE and ACTION rows of the route table), one line on the
 * {@code dev.spotapi.audit} logger with: request id, account, resource id, operation, outcome
 * ({@code success} below HTTP 400, else {@code failure}) and HTTP status, Spot's request id(s), and the
 * caller's {@code X-Spinup-User} (else {@code X-Forwarded-User}) when present, sanitised and bounded, and for an asynchronous request ({@code Prefer: respond-async})
 * its flywheel task id ({@code taskId}). Never a token or a body. Registered once as an
 * after-handler; handlers know nothing of it. Requests refused before routing (403 without a valid
 * token) reach no route and are in the access log only.
 */
public final class AuditLog {
    static final String LOGGER = "dev.spotapi.audit";
    /** The portal's header naming the person behind a call. */
    public static final String USER_HEADER = "X-Spinup-User";
    /** The header the portal's other services (the expiry service) name themselves with; used when {@link #USER_HEADER} is absent. */
    public static final String FORWARDED_USER_HEADER = "X-Forwarded-User";
    private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);
    private static final int MAX_USER = 128;
    /** The flywheel task of an asynchronous request ({@code Prefer: respond-async}): logged as {@code taskId}. */
    private static final String TASK_HEADER = "X-Flywheel-Task";
    private static final List<String> ID_PARAMS = List.of("instance", "elastigroup", "resource");

    private final Map<String, String> operations;
    private final ObjectMapper mapper = new ObjectMapper();

    /** @param operations audit operation name by {@code METHOD /v1/spot/...template} of each audited route */
    public AuditLog(Map<String, String> operations) {
        this.operations = Map.copyOf(operations);
    }

    /** The after-handler. */
    public void after(Exchange ctx) {
        String key = RequestFacts.routeKey(ctx);
        String operation = key == null ? null : operations.get(key);
        if (operation == null || !AUDIT.isInfoEnabled()) {
            return;
        }
        int status = ctx.statusCode();
        String outcome = status < 400 ? "success" : "failure";
        String account = RequestFacts.account(ctx);
        if (account == null) { // not a configured account: the caller's text, cleaned like every other caller field
            account = clean(ctx.pathParamMap().getOrDefault("account", ""), 64);
        }
        String resource = resourceId(ctx, status);
        List<String> spotIds = RequestFacts.spotRequestIds(ctx);
        String spotRequestId = spotIds.isEmpty() ? "" : String.join(",", spotIds);
        String user = user(ctx.header(USER_HEADER));
        if (user == null) {
            user = user(ctx.header(FORWARDED_USER_HEADER));
        }
        String requestId = RequestFacts.requestId(ctx);
        var line = AUDIT.atInfo()
                .addKeyValue("requestId", requestId)
                .addKeyValue("account", account)
                .addKeyValue("resourceId", resource)
                .addKeyValue("operation", operation)
                .addKeyValue("outcome", outcome)
                .addKeyValue("status", status)
                .addKeyValue("spotRequestId", spotRequestId);
        if (user != null) {
            line = line.addKeyValue("user", user);
        }
        String task = ctx.responseHeader(TASK_HEADER);
        String taskId = task == null ? null : clean(task, 64);
        if (taskId != null) {
            line = line.addKeyValue("taskId", taskId);
        }
        line.log("audit operation=\"{}\" account={} resourceId={} outcome={} status={} requestId={} spotRequestId={}{}{}",
                operation, account, resource, outcome, status, requestId, spotRequestId,
                user == null ? "" : " user=" + user, taskId == null ? "" : " taskId=" + taskId);
    }

    /** The id in the path, or for a successful create the id in the reply (a JSON string or an object's id). */
    private String resourceId(Exchange ctx, int status) {
        Map<String, String> params = ctx.pathParamMap();
        for (String name : ID_PARAMS) {
            String id = params.get(name);
            if (id != null) {
                return clean(id, 64);
            }
        }
        if (status >= 300) {
            return "";
        }
        try {
            String body = ctx.result();
            if (body == null || body.isEmpty()) {
                return "";
            }
            JsonNode reply = mapper.readTree(body);
            JsonNode id = reply.isTextual() ? reply : reply.path("id");
            return id.isTextual() ? clean(id.asText(), 64) : "";
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    /**
     * The user header as text safe for one log line: printable ASCII without blanks, quotes, backslashes or {@code =},
     * at most 128 characters; null when absent.
     */
    static String user(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        return clean(header.trim(), MAX_USER);
    }

    private static String clean(String s, int max) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), max));
        for (int i = 0; i < s.length() && b.length() < max; i++) {
            char c = s.charAt(i);
            b.append(c > ' ' && c < 127 && c != '"' && c != '\\' && c != '=' ? c : '_'); // no key=value of its own
        }
        return b.toString();
    }
}
