package dev.spotapi.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spotapi.idempotency.Idempotency;
import dev.spotapi.power.PowerState;
import dev.spotapi.task.TaskKind;
import dev.spotapi.task.TaskRefusedException;
import dev.spotapi.task.Tasks;
import dev.spotapi.api.http.Exchange;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Opt-in asynchronous answers (RFC 7240 {@code Prefer: respond-async}) on the create, delete and action
 * routes of {@link #KINDS}, in flywheel's protocol: the request runs as usual; when Spot accepted it, the
 * answer is {@code 202 Accepted} with {@value #TASK_HEADER}, {@code Preference-Applied: respond-async} and
 * the body the synchronous route answers (the created id for a create), and a task waits for Spot's target
 * state ({@link Tasks}). Without the preference every route answers as before. When the task bounds are
 * reached the request is refused before Spot is called: 503 with Retry-After. When the task cannot be
 * recorded after Spot acted, the preference is not applied: the synchronous answer goes out.
 * With an {@code Idempotency-Key} a replayed 202 names the same task: the idempotency layer stores and repeats the
 * task header; the task is kept at least as long as the key.
 */
final class AsyncTasks {
    /** flywheel's response header naming the task. */
    static final String TASK_HEADER = "X-Flywheel-Task";
    static final String PREFERENCE_APPLIED = "Preference-Applied";
    /** Most task ids one flywheel query may ask for. */
    static final int MAX_IDS = 100;

    /** The task kind of each route that may answer asynchronously, by "METHOD /v1/spot/...template". */
    static final Map<String, TaskKind> KINDS = StatefulRoutes.withTaskKinds(Map.of(
            "POST " + Routes.PREFIX + "/{account}/instances", TaskKind.INSTANCE_CREATE,
            "DELETE " + Routes.PREFIX + "/{account}/instances/{instance}", TaskKind.INSTANCE_DELETE,
            "PUT " + Routes.PREFIX + "/{account}/instances/{instance}/power", TaskKind.INSTANCE_POWER,
            "POST " + Routes.PREFIX + "/{account}/elastigroups", TaskKind.GROUP_CREATE,
            "DELETE " + Routes.PREFIX + "/{account}/elastigroups/{elastigroup}", TaskKind.GROUP_DELETE,
            "PUT " + Routes.PREFIX + "/{account}/elastigroups/{elastigroup}/power", TaskKind.GROUP_POWER,
            "PUT " + Routes.PREFIX + "/{account}/elastigroups/{elastigroup}/capacity", TaskKind.GROUP_CAPACITY,
            "PUT " + Routes.PREFIX + "/{account}/elastigroups/{elastigroup}/scale", TaskKind.GROUP_SCALE,
            "POST " + Routes.PREFIX + "/{account}/elastigroups/{elastigroup}/rolls", TaskKind.GROUP_ROLL));
    /** Group updates with {@code ?roll=}: a roll task ({@link RollRoutes#updateWithRoll}). */
    private static final String UPDATE_ROUTE = "PUT " + Routes.PREFIX + "/{account}/elastigroups/{elastigroup}";

    private static final String KIND = "spot-api.task.kind";
    private static final String ID = "spot-api.task.id";
    /** Set when this request asked for (or, a roll, always gets) the asynchronous answer. */
    private static final String ASYNC = "spot-api.task.async";

    private final Tasks tasks;
    private final Replies replies;
    private final ObjectMapper mapper = new ObjectMapper();
    private final RequestBodies bodies;

    private final String org;
    /** How long a keyed request's task is kept at least: as long as its key, whose replay names it. */
    private final java.time.Duration keyTtl;

    AsyncTasks(Tasks tasks, Replies replies, RequestBodies bodies, String org, java.time.Duration keyTtl) {
        this.org = org;
        this.keyTtl = keyTtl;
        this.tasks = tasks;
        this.replies = replies;
        this.bodies = bodies;
    }

    /** True when a {@code Prefer} header asks for {@code respond-async} (RFC 7240 §4.1; tokens are case-insensitive). */
    static boolean prefersAsync(List<String> preferHeaders) {
        for (String header : preferHeaders) {
            // RFC 7240's list: commas inside a quoted value are part of it (Jetty's parser of quoted lists; attack
            // round 14: x-note="no, respond-async=never" was taken as respond-async)
            for (String pref : new org.eclipse.jetty.http.QuotedCSV(true, header).getValues()) {
                String token = pref.split(";", 2)[0].split("=", 2)[0].strip();
                if (token.toLowerCase(Locale.ROOT).equals("respond-async")) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Before-matched: marks an async request with its task kind and a new task id. A keyed request's replay needs
     * neither: the {@code Idempotency-Key} handling repeats the first answer's task header
     * ({@link Idempotency#REPLAYED_HEADERS}), with or without {@code Prefer} in the retry.
     */
    void before(Exchange ctx) {
        var endpoint = ctx.endpoint();
        if (endpoint == null) {
            return;
        }
        String route = ctx.method().name() + ' ' + endpoint.path;
        TaskKind kind = UPDATE_ROUTE.equals(route) && ctx.queryParam("roll") != null ? TaskKind.GROUP_ROLL : KINDS.get(route);
        // a roll is always asynchronous (issue 22): it takes minutes to hours
        if (kind == null || kind != TaskKind.GROUP_ROLL && !prefersAsync(ctx.headers("Prefer"))) {
            return;
        }
        ctx.attribute(KIND, kind);
        ctx.attribute(ID, Tasks.newId());
        ctx.attribute(ASYNC, Boolean.TRUE);
    }

    /**
     * {@code handler} behind the task bounds: an async request is refused (503, Retry-After) before Spot is called
     * when they are reached. Inside the {@code Idempotency-Key} handling, so that the replay of an accepted keyed
     * request, which runs nothing, is never refused for want of room (attack round 7).
     */
    dev.spotapi.api.http.Handler roomFirst(dev.spotapi.api.http.Handler handler) {
        return ctx -> {
            if (ctx.attribute(ASYNC) != null) {
                try {
                    tasks.checkRoom();
                } catch (TaskRefusedException e) {
                    ctx.attribute(Idempotency.NOTHING_CHANGED, true); // the key is free again: a retry runs
                    ctx.header("Retry-After", Integer.toString(e.retryAfterSeconds()));
                    throw new ApiException(503, "the asynchronous request was not run: " + e.getMessage()
                            + "; retry later, or send it without Prefer: respond-async");
                }
            }
            handler.handle(ctx);
        };
    }

    /**
     * After the route (before the idempotency store keeps the answer): a successful async request gets its task
     * and the 202; a replayed 202 gets its task id back.
     */
    void after(Exchange ctx) {
        int status = ctx.statusCode();
        if ("true".equals(ctx.responseHeader(Idempotency.REPLAYED))) {
            if (status == 202 && ctx.responseHeader(TASK_HEADER) == null && ctx.header(Idempotency.HEADER) != null) {
                // a record of the version before headers were stored (a state file, a replica of a rolling deploy):
                // that version named the task by this derivation (attack round 9)
                applied(ctx, derivedBeforeStoredHeaders(ctx));
            }
            return; // else the first answer's task header came back with it
        }
        TaskKind kind = ctx.attribute(KIND);
        String id = ctx.attribute(ID);
        if (kind == null || id == null) {
            return;
        }
        if (status < 200 || status >= 300) {
            return;
        }
        String resource = resourceId(ctx);
        if (resource.isEmpty()) {
            return;
        }
        try {
            tasks.submit(id, kind, ctx.pathParam("account"), resource, target(ctx, kind),
                    ctx.header(Idempotency.HEADER) == null ? java.time.Duration.ZERO : keyTtl);
        } catch (TaskRefusedException e) {
            return; // Spot acted: the synchronous answer stands (the preference is not applied)
        }
        ctx.status(202);
        applied(ctx, id);
    }

    /** The task id the version before stored headers derived from the key and the request. */
    private String derivedBeforeStoredHeaders(Exchange ctx) {
        String query = ctx.queryString();
        String seed = "flywheel-task\n" + org + '\n' + ctx.header(Idempotency.HEADER).strip() + '\n'
                + ctx.method().name() + '\n' + ctx.path() + '\n' + (query == null ? "" : query) + '\n'
                + dev.spotapi.shared.Hashes.sha256Hex(ctx.bodyAsBytes());
        return java.util.UUID.nameUUIDFromBytes(seed.getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

    private static void applied(Exchange ctx, String id) {
        ctx.header(TASK_HEADER, id);
        ctx.header(PREFERENCE_APPLIED, "respond-async");
    }

    /**
     * {@code GET /v1/spot/flywheel?task=<id>[&task=<id2>...]}: flywheel's answer, an object keyed by task id;
     * unknown ids (and tasks of another org's deployment) are left out; no {@code task} is a 400.
     */
    void flywheel(Exchange ctx) {
        List<String> ids = ctx.queryParams("task").stream().filter(s -> !s.isEmpty()).distinct().toList();
        if (ids.isEmpty()) {
            throw ApiException.badRequest("the task query parameter is required: ?task=<id>[&task=<id2>...]");
        }
        if (ids.size() > MAX_IDS) {
            throw ApiException.badRequest("at most " + MAX_IDS + " task ids per request");
        }
        try {
            replies.json(ctx, tasks.get(ids));
        } catch (dev.spotapi.task.TaskStoreUnavailableException e) {
            ctx.header("Retry-After", "5");
            throw new ApiException(503, "the task store cannot be reached: " + e.getMessage());
        }
    }

    /** The path's id, or for a create the id in the answer (a JSON string or an object's {@code id}). */
    private String resourceId(Exchange ctx) {
        if (ctx.pathParamMap().containsKey("statefulInstance")) {
            return ctx.pathParam("elastigroup") + "/" + ctx.pathParam("statefulInstance");
        }
        for (String name : List.of("instance", "elastigroup")) {
            if (ctx.pathParamMap().containsKey(name)) {
                return ctx.pathParam(name);
            }
        }
        try {
            String body = ctx.result();
            if (body == null || body.isEmpty()) {
                return "";
            }
            JsonNode reply = mapper.readTree(body);
            JsonNode id = reply.isTextual() ? reply : reply.path("id");
            return id.isTextual() ? id.asText() : "";
        } catch (java.io.IOException | RuntimeException e) {
            return "";
        }
    }

    /** The instance state a power task waits for: PAUSED after stop, ACTIVE after start, RECYCLED after reboot. */
    private String target(Exchange ctx, TaskKind kind) {
        if (kind == TaskKind.GROUP_ROLL) {
            String roll = ctx.responseHeader(RollRoutes.ROLL_HEADER);
            return roll == null ? "" : roll;
        }
        if (kind == TaskKind.STATEFUL_INSTANCE && "DELETE".equals(ctx.method().name())) {
            return "GONE";
        }
        if (kind == TaskKind.GROUP_CAPACITY) {
            // the target asked for: a later change of the group's target supersedes this one (SpotProbe)
            JsonNode target = body(ctx).path("target");
            return target.canConvertToInt() ? Integer.toString(target.asInt()) : "";
        }
        if (kind != TaskKind.INSTANCE_POWER && kind != TaskKind.STATEFUL_INSTANCE && kind != TaskKind.GROUP_POWER) {
            return "";
        }
        PowerState state;
        try {
            state = PowerState.fromBody(body(ctx));
        } catch (IllegalArgumentException e) {
            state = PowerState.START;
        }
        if (kind == TaskKind.GROUP_POWER) {
            // what the group's target must stay: a later opposite power change supersedes this one (SpotProbe)
            return state == PowerState.STOP ? TaskKind.GROUP_STOPPED : TaskKind.GROUP_STARTED;
        }
        return switch (state) {
            case STOP -> "PAUSED";
            case REBOOT -> "RECYCLED";
            case START -> "ACTIVE";
        };
    }

    /** The request's body as the route read it (read once per request, {@link RequestBodies}); empty if none. */
    private ObjectNode body(Exchange ctx) {
        try {
            return bodies.object(ctx);
        } catch (RuntimeException e) {
            return JsonNodeFactory.instance.objectNode();
        }
    }


}
