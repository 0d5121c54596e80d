package dev.spotapi.sim.faults;

import dev.spotapi.sim.SpotSimulator;
import dev.spotapi.sim.AdminException;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SimJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Spot's API rate limit (contract §9.2, Spot's "API Administration" page): requests are counted per
 * account, route template (e.g. {@code /aws/ec2/group/{id}}) and HTTP method over the last 60 s of
 * simulated time. A request beyond the limit is blocked (429); the block ends 60 s after the oldest
 * counted request, but every further request sent while blocked restarts it at 60 s from that
 * request, so a client that keeps sending keeps the block alive. Off by default; switched and
 * configured through {@code PUT /_sim/rate-limit} or {@link SpotSimulator.Builder#rateLimit}.
 */
public final class RateLimiter {
    static final long WINDOW_MILLIS = 60_000;
    /** Requests per route and method per 60 s when no per-route limit is set (our choice: Spot does not publish its numbers). */
    public static final int DEFAULT_LIMIT = 100;
    /** The largest limit per window: the window keeps one timestamp per request it let through. */
    static final int MAX_LIMIT = 100_000;
    static final int MAX_ROUTES = 100;

    /** What the limiter decided for one request; {@code remaining} goes into {@code X-RateLimit-Remaining}. */
    public record Decision(boolean allowed, int remaining) {
    }

    /** On/off, the default limit and per-route overrides keyed {@code "GET /aws/ec2/group"}. */
    public record Settings(boolean enabled, int limit, Map<String, Integer> routes) {
        public Settings {
            if (limit < 1) {
                throw new AdminException("\"limit\" must be a positive integer");
            }
            routes = Collections.unmodifiableMap(new LinkedHashMap<>(routes));
        }

        public static final Settings OFF = new Settings(false, DEFAULT_LIMIT, Map.of());

        int limitFor(String method, String route) {
            return routes.getOrDefault(method + " " + route, limit);
        }

        public ObjectNode toJson() {
            ObjectNode json = SimJson.object();
            json.put("enabled", enabled);
            json.put("limit", limit);
            json.put("windowSeconds", WINDOW_MILLIS / 1000);
            ObjectNode r = json.putObject("routes");
            routes.forEach(r::put);
            return json;
        }

        /** Applies an admin body ({@code enabled}, {@code limit}, {@code routes}; absent = unchanged). */
        public Settings with(JsonNode body) {
            boolean on = enabled;
            int max = limit;
            Map<String, Integer> perRoute = new LinkedHashMap<>(routes);
            JsonNode value = body.get("enabled");
            if (value != null) {
                if (!value.isBoolean()) {
                    throw new AdminException("\"enabled\" must be true or false");
                }
                on = value.asBoolean();
            }
            value = body.get("limit");
            if (value != null) {
                if (!value.isIntegralNumber() || !value.canConvertToLong() || value.asLong() < 1 || value.asLong() > MAX_LIMIT) {
                    throw new AdminException("\"limit\" must be an integer from 1 to " + MAX_LIMIT);
                }
                max = value.asInt();
            }
            value = body.get("routes");
            if (value != null) {
                if (!value.isObject()) {
                    throw new AdminException("\"routes\" must be an object like {\"GET /aws/ec2/group\": 10}");
                }
                perRoute.clear();
                if (value.size() > MAX_ROUTES) {
                    throw new AdminException("\"routes\" may name at most " + MAX_ROUTES + " routes");
                }
                for (Map.Entry<String, JsonNode> e : value.properties()) {
                    if (e.getKey().length() > 200 || !e.getKey().matches("[A-Z]+ /\\S*") || !e.getValue().isIntegralNumber() || !e.getValue().canConvertToLong()
                            || e.getValue().asLong() < 1 || e.getValue().asLong() > MAX_LIMIT) {
                        throw new AdminException("\"routes\": each key is \"METHOD /route/{id}\" and each value an integer from 1 to "
                                + MAX_LIMIT + "; got " + Fault.clip(e.getKey()) + "=" + Fault.clip(e.getValue().toString()));
                    }
                    perRoute.put(e.getKey(), e.getValue().asInt());
                }
            }
            return new Settings(on, max, perRoute);
        }
    }

    /** Counted requests of one account, route and method. */
    private static final class Window {
        final ArrayDeque<Long> passed = new ArrayDeque<>();
        long blockedUntil = Long.MIN_VALUE;
    }

    private final SimClock clock;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
    private volatile Settings settings;

    public RateLimiter(SimClock clock, Settings settings) {
        this.clock = clock;
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    /** Replaces the settings and forgets every counted request. */
    public synchronized void configure(Settings next) {
        settings = next;
        windows.clear();
    }

    /** Forgets every counted request (admin reset). */
    void clear() {
        windows.clear();
    }

    /**
     * Counts this request and decides. When rate limiting is off nothing is counted and every request
     * passes with the route's whole limit remaining: Spot sends {@code X-RateLimit-Remaining} on every
     * reply (contract §9.2), so clients that read it find it whether the limiter is on or not (issue 24).
     */
    public Decision admit(String account, String method, String route) {
        Settings s = settings;
        int limit = s.limitFor(method, route);
        if (!s.enabled()) {
            return new Decision(true, limit);
        }
        Window w = windows.computeIfAbsent(account + ' ' + method + ' ' + route, k -> new Window());
        long now = clock.now();
        synchronized (w) {
            while (!w.passed.isEmpty() && w.passed.peekFirst() <= now - WINDOW_MILLIS) {
                w.passed.pollFirst();
            }
            if (now < w.blockedUntil) {
                w.blockedUntil = now + WINDOW_MILLIS;
                return new Decision(false, 0);
            }
            if (w.passed.size() >= limit) {
                w.blockedUntil = w.passed.peekFirst() + WINDOW_MILLIS;
                return new Decision(false, 0);
            }
            w.passed.addLast(now);
            return new Decision(true, limit - w.passed.size());
        }
    }
}
