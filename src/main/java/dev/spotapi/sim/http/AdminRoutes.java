package dev.spotapi.sim.http;

import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.faults.Fault;
import dev.spotapi.sim.faults.FaultInjector;
import dev.spotapi.sim.state.GroupType;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.state.ManagedInstanceType;
import dev.spotapi.sim.faults.RateLimiter;
import dev.spotapi.sim.state.ResourceStore;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;
import dev.spotapi.sim.state.StateSnapshot;
import dev.spotapi.sim.Timestamps;
import dev.spotapi.sim.fleet.TransitionTime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;

/**
 * The admin API under {@code /_sim}: health, reset, clock, faults, the request log, transition
 * time, rate limiting and the whole state (export/import). No auth.
 */
public final class AdminRoutes {
    public static final String PREFIX = "/_sim";
    private static final Map<String, Long> CLOCK_UNITS = Map.of(
            "hours", 3_600_000L, "minutes", 60_000L, "seconds", 1_000L, "millis", 1L);

    private final ResourceStore store;
    private final SimClock clock;
    private final FaultInjector faults;
    private final RequestLog requestLog;
    /** Requests the simulator's server is still handling, this one included (Jetty's StatisticsHandler). */
    private final java.util.function.IntSupplier requestsActive;
    private final Accounts accounts;
    private final boolean persistent;
    private final RateLimiter rateLimiter;
    private final RateLimiter.Settings startRateLimit;
    private final TransitionTime transitionTime;
    private final Duration startTransition;
    private final StateSnapshot snapshot;

    public AdminRoutes(ResourceStore store, SimClock clock, FaultInjector faults, RequestLog requestLog, Accounts accounts,
                boolean persistent, RateLimiter rateLimiter, TransitionTime transitionTime, StateSnapshot snapshot,
                java.util.function.IntSupplier requestsActive) {
        this.requestsActive = requestsActive;
        this.store = store;
        this.clock = clock;
        this.faults = faults;
        this.requestLog = requestLog;
        this.accounts = accounts;
        this.persistent = persistent;
        this.rateLimiter = rateLimiter;
        this.startRateLimit = rateLimiter.settings();
        this.transitionTime = transitionTime;
        this.startTransition = Duration.ofMillis(transitionTime.millis());
        this.snapshot = snapshot;
    }

    public static boolean isAdminPath(String path) {
        return path.startsWith(PREFIX) && (path.length() == PREFIX.length() || path.charAt(PREFIX.length()) == '/');
    }

    public void register(RoutesConfig routes) {
        routes.get(PREFIX + "/health", this::health);
        routes.post(PREFIX + "/reset", this::reset);
        routes.get(PREFIX + "/clock", ctx -> reply(ctx, clockJson(clock.read())));
        routes.post(PREFIX + "/clock/advance", this::advance);
        routes.post(PREFIX + "/clock/set", this::setClock);
        routes.post(PREFIX + "/faults", ctx -> reply(ctx, faults.add(body(ctx)).toJson()));
        routes.get(PREFIX + "/faults", this::listFaults);
        routes.delete(PREFIX + "/faults", ctx -> {
            faults.clear();
            listFaults(ctx);
        });
        routes.get(PREFIX + "/transitions", ctx -> reply(ctx, transitionsJson()));
        routes.put(PREFIX + "/transitions", this::setTransitions);
        routes.get(PREFIX + "/rate-limit", ctx -> reply(ctx, rateLimiter.settings().toJson()));
        routes.put(PREFIX + "/rate-limit", ctx -> {
            rateLimiter.configure(rateLimiter.settings().with(body(ctx)));
            reply(ctx, rateLimiter.settings().toJson());
        });
        routes.get(PREFIX + "/state", ctx -> reply(ctx, snapshot.export()));
        routes.put(PREFIX + "/state", ctx -> loaded(ctx, snapshot.load(body(ctx), true)));
        routes.post(PREFIX + "/state", ctx -> loaded(ctx, snapshot.load(body(ctx), false)));
        routes.get(PREFIX + "/requests", this::requests);
        routes.delete(PREFIX + "/requests", ctx -> {
            requestLog.clear();
            reply(ctx, status("ok"));
        });
    }

    public static void message(Context ctx, int status, String message) {
        ObjectNode body = SimJson.object();
        body.put("message", message);
        ctx.status(status).contentType(Envelope.CONTENT_TYPE).result(SimJson.bytes(body));
    }

    private void health(Context ctx) {
        ObjectNode body = status("ok");
        body.put("now", Timestamps.millis(clock.now()));
        body.put("persistent", persistent);
        body.putArray("accounts").addAll(accounts.asMap().keySet().stream().map(SimJson.NODES::textNode).toList());
        body.put("groups", store.count(GroupType.INSTANCE));
        body.put("managedInstances", store.count(ManagedInstanceType.INSTANCE));
        ResourceStore.Cost used = store.total();
        body.putObject("budget")
                .put("instances", used.instances()).put("maxInstances", Limits.MAX_FLEET_INSTANCES)
                .put("storedBytes", used.bytes()).put("maxStoredBytes", Limits.MAX_STORED_BYTES);
        reply(ctx, body);
    }

    /** Back to the start: no resources, faults or requests, real time, the start-up transition time and rate limit. */
    private void reset(Context ctx) {
        store.deleteAll();
        faults.clear();
        requestLog.clear();
        clock.reset();
        transitionTime.set(startTransition);
        rateLimiter.configure(startRateLimit);
        reply(ctx, status("ok"));
    }

    private void advance(Context ctx) {
        JsonNode body = body(ctx);
        BigDecimal total = BigDecimal.ZERO;
        boolean any = false;
        for (Map.Entry<String, Long> unit : CLOCK_UNITS.entrySet()) {
            JsonNode value = body.get(unit.getKey());
            if (value == null || value.isNull()) {
                continue;
            }
            if (!finite(value) || value.decimalValue().signum() < 0
                    || value.decimalValue().compareTo(BigDecimal.valueOf(SimClock.MAX_NOW)) > 0) {
                throw new AdminException("\"" + unit.getKey() + "\" must be a number from 0 to " + SimClock.MAX_NOW);
            }
            any = true;
            total = total.add(value.decimalValue().multiply(BigDecimal.valueOf(unit.getValue())));
        }
        if (!any) {
            throw new AdminException("give at least one of \"hours\", \"minutes\", \"seconds\", \"millis\"");
        }
        if (total.compareTo(BigDecimal.valueOf(SimClock.MAX_NOW)) > 0) {
            throw new AdminException("the advance must be at most " + SimClock.MAX_NOW + " ms");
        }
        reply(ctx, clockJson(clock.advance(total.longValue())));
    }

    private void setClock(Context ctx) {
        JsonNode body = body(ctx);
        JsonNode now = body.get("now");
        JsonNode frozen = body.get("frozen");
        if ((now == null || now.isNull()) && (frozen == null || frozen.isNull())) {
            throw new AdminException("give \"now\" (an ISO timestamp) and/or \"frozen\" (true/false)");
        }
        Long target = null;
        if (now != null && !now.isNull()) {
            if (!now.isTextual()) {
                throw new AdminException("\"now\" must be an ISO-8601 timestamp string");
            }
            try {
                target = Timestamps.parse(now.asText());
            } catch (IllegalArgumentException e) {
                throw new AdminException("\"now\" is not a valid ISO-8601 timestamp: " + now.asText());
            }
        }
        if (frozen != null && !frozen.isNull() && !frozen.isBoolean()) {
            throw new AdminException("\"frozen\" must be true or false");
        }
        Boolean freeze = frozen == null || frozen.isNull() ? null : frozen.asBoolean();
        reply(ctx, clockJson(clock.set(target, freeze)));
    }

    /** A JSON number with a decimal value: {@code 1e309} is parsed as an infinite double, which has none. */
    private static boolean finite(JsonNode value) {
        return value.isNumber() && (!value.isFloatingPointNumber() || value.isBigDecimal()
                || Double.isFinite(value.doubleValue()));
    }

    private ObjectNode transitionsJson() {
        ObjectNode body = SimJson.object();
        body.put("seconds", BigDecimal.valueOf(transitionTime.millis()).movePointLeft(3).stripTrailingZeros());
        return body;
    }

    /** {@code {"seconds": N}}: how long PAUSING, RESUMING and RECYCLING last (0 = at once). */
    private void setTransitions(Context ctx) {
        JsonNode seconds = body(ctx).get("seconds");
        if (seconds == null || !finite(seconds) || seconds.decimalValue().signum() < 0
                || seconds.decimalValue().compareTo(BigDecimal.valueOf(365L * 86_400)) > 0) {
            throw new AdminException("give \"seconds\": a number from 0 to 31536000");
        }
        transitionTime.set(Duration.ofMillis(seconds.decimalValue().movePointRight(3).longValue()));
        reply(ctx, transitionsJson());
    }

    private void loaded(Context ctx, int count) {
        ObjectNode body = status("ok");
        body.put("loaded", count);
        body.put("groups", store.count(GroupType.INSTANCE));
        body.put("managedInstances", store.count(ManagedInstanceType.INSTANCE));
        reply(ctx, body);
    }

    private void listFaults(Context ctx) {
        ObjectNode body = SimJson.object();
        body.putArray("faults").addAll(faults.list().stream().map(Fault::toJson).toList());
        reply(ctx, body);
    }

    private void requests(Context ctx) {
        int limit = 100;
        String raw = ctx.queryParam("limit");
        if (raw != null) {
            try {
                limit = Integer.parseInt(raw.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1) {
                throw new AdminException("\"limit\" must be a positive integer");
            }
        }
        ObjectNode body = SimJson.object();
        body.set("requests", requestLog.recent(Math.min(limit, RequestLog.CAPACITY)));
        // e.g. requests still held by a delay fault: a test waits for 0 before reading the final state
        body.put("inProgress", Math.max(0, requestsActive.getAsInt() - 1));
        reply(ctx, body);
    }

    private static ObjectNode clockJson(SimClock.Reading reading) {
        ObjectNode body = SimJson.object();
        body.put("now", Timestamps.millis(reading.now()));
        body.put("offsetMillis", reading.offsetMillis());
        body.put("frozen", reading.frozen());
        return body;
    }

    private static ObjectNode status(String status) {
        ObjectNode body = SimJson.object();
        body.put("status", status);
        return body;
    }

    private static JsonNode body(Context ctx) {
        JsonNode body;
        try {
            body = SimJson.parse(ctx.bodyAsBytes());
        } catch (IOException e) {
            throw new AdminException("the body must be valid JSON");
        }
        if (body == null || !body.isObject()) {
            throw new AdminException("the body must be a JSON object");
        }
        return body;
    }

    private static void reply(Context ctx, JsonNode body) {
        ctx.status(200).contentType(Envelope.CONTENT_TYPE).result(SimJson.bytes(body));
    }
}
