package dev.spotapi.api;

import dev.spotapi.cost.CostQuery;
import dev.spotapi.cost.CostRollup;
import dev.spotapi.api.http.Exchange;

/**
 * {@code GET /{account}/costs?start=&end=[&space=][&groupBy=resource|space][&granularity=daily|monthly]}: the
 * cost roll-up of this org's groups and instances ({@link CostRollup}), a JSON array of Cost Explorer
 * {@code ResultByTime}. A partial answer (a resource's costs could not be had) carries
 * {@value #PARTIAL}: true and {@value #MISSING} (the ids, comma-separated), and every period is {@code Estimated}.
 */
final class CostRollupRoutes extends AccountScopedRoutes {
    static final String PARTIAL = "X-Cost-Partial";
    static final String MISSING = "X-Cost-Missing";
    private final CostRollup rollup;

    CostRollupRoutes(CostRollup rollup, AccountLookup accounts, RequestBodies bodies, Replies replies) {
        super(accounts, bodies, replies);
        this.rollup = rollup;
    }

    void costs(Exchange ctx) {
        var account = account(ctx);
        CostQuery q = parsed(() -> CostQuery.parse(ctx.queryParam("start"), ctx.queryParam("end"),
                ctx.queryParam("space"), ctx.queryParam("groupBy"), ctx.queryParam("granularity")));
        replies.jsonLater(ctx, rollup.rollup(account, q), result -> {
            if (result.partial()) {
                ctx.header(PARTIAL, "true");
                String ids = String.join(",", result.missing());
                ctx.header(MISSING, ids.length() > 2000 ? ids.substring(0, 2000) + ",..." : ids);
            }
            return result.resultsByTime();
        });
    }
}
