package dev.spotapi.api;

import dev.spotapi.api.http.Exchange;
import dev.spotapi.api.http.Handler;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One check for every route: a query part that is not valid percent-encoded UTF-8 ({@code keep=volumes%ZZ}) is a
 * 400 (it used to be left out: a delete then ran without its {@code keep}, attack round 7), and a query parameter
 * given more than once ({@code ?keep=a&keep=b},
 * {@code ?detach=true&detach=false}, {@code ?start=..&start=..}) is a 400 naming it. No handler then
 * has to choose one of the values, or join them: ambiguous input is refused, never guessed (issue 20).
 * Names are compared after percent-decoding, as the handlers read them ({@code ke%65p} is {@code keep}).
 * The only exceptions are the parameters a route defines as a list ({@link Routes#listParameters()}, e.g.
 * flywheel's {@code ?task=a&task=b}). On a route that changes something, a parameter it does not read is a 400 too
 * ({@link Routes#changeParameters()}).
 */
final class QueryParameters {
    private QueryParameters() {
    }

    /**
     * The before-matched handler: 400 for the first parameter that is given more than once, unless the matched
     * route ("METHOD template" in {@code lists}) takes that parameter as a list; and on a route that changes
     * something (not {@code GET}, {@code HEAD} or {@code OPTIONS}) also 400 for a parameter it does not read
     * ({@code reads}: "METHOD template" → names; a route not there reads none). Null {@code reads}: no such check.
     */
    static Handler refuseRepeatedAndUnread(Map<String, Set<String>> lists, Map<String, Set<String>> reads) {
        return ctx -> {
            check(ctx, listsOf(ctx, lists));
            if (reads != null) {
                refuseUnread(ctx, reads);
            }
        };
    }

    private static void refuseUnread(Exchange ctx, Map<String, Set<String>> reads) {
        var endpoint = ctx.endpoint();
        String method = ctx.method().name();
        if (ctx.queryString() == null || endpoint == null || method.equals("GET") || method.equals("HEAD")
                || method.equals("OPTIONS")) {
            return;
        }
        Set<String> read = reads.getOrDefault(method + ' ' + endpoint.path, Set.of());
        for (String name : ctx.queryParamMap().keySet()) {
            if (!read.contains(name)) {
                String shown = name.length() > 64 ? name.substring(0, 64) + "..." : name;
                throw ApiException.badRequest("the query parameter '" + shown + "' is not one this route reads ("
                        + (read.isEmpty() ? "it reads none" : "it reads: " + String.join(", ", new java.util.TreeSet<>(read)))
                        + "): nothing was done (an option that is not read is never left out silently)");
            }
        }
    }

    private static Set<String> listsOf(Exchange ctx, Map<String, Set<String>> lists) {
        var endpoint = ctx.endpoint();
        if (endpoint == null) {
            return Set.of();
        }
        return lists.getOrDefault(ctx.method().name() + ' ' + endpoint.path, Set.of());
    }

    private static void check(Exchange ctx, Set<String> allowed) {
        if (ctx.queryString() == null) {
            return;
        }
        String undecodable = ctx.undecodableQueryPart();
        if (undecodable != null) {
            String shown = undecodable.length() > 64 ? undecodable.substring(0, 64) + "..." : undecodable;
            throw ApiException.badRequest("the query part '" + shown + "' is not valid"
                    + " percent-encoded UTF-8: nothing was done (a parameter that cannot be read is never left out)");
        }
        for (Map.Entry<String, List<String>> p : ctx.queryParamMap().entrySet()) {
            if (p.getValue().size() > 1 && !allowed.contains(p.getKey())) {
                String name = p.getKey().length() > 64 ? p.getKey().substring(0, 64) + "..." : p.getKey();
                throw ApiException.badRequest("the query parameter '" + name + "' is given " + p.getValue().size()
                        + " times; give it once" + ("keep".equals(p.getKey())
                        ? " (keep takes a comma-separated list, e.g. keep=volumes,snapshots)" : ""));
            }
        }
    }
}
