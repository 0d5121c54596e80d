package dev.spotapi.sim.http;

import dev.spotapi.sim.faults.FaultInjector;
import dev.spotapi.sim.Limits;
import dev.spotapi.sim.SimClock;
import dev.spotapi.sim.SpotException;

import io.javalin.http.Context;
import io.javalin.http.Handler;

/**
 * Runs before every Spot API request (everything outside {@code /_sim}): records it, applies
 * injected faults, then authenticates it and remembers the account for the handlers.
 */
public final class SpotApiFilter implements Handler {
    private static final String ACCOUNT = "sim.account";

    private final RequestLog requestLog;
    private final FaultInjector faults;
    private final Accounts accounts;
    private final SimClock clock;

    public SpotApiFilter(RequestLog requestLog, FaultInjector faults, Accounts accounts, SimClock clock) {
        this.requestLog = requestLog;
        this.faults = faults;
        this.accounts = accounts;
        this.clock = clock;
    }

    @Override
    public void handle(Context ctx) {
        if (AdminRoutes.isAdminPath(ctx.path())) {
            return;
        }
        requestLog.record(ctx, clock.now());
        if (ctx.bodyAsBytes().length > Limits.MAX_BODY_BYTES) {
            throw new SpotException(413, "HTTP_413", "the request body must be at most " + Limits.MAX_BODY_BYTES
                    + " bytes", null);
        }
        if (faults.intercept(ctx)) {
            ctx.skipRemainingHandlers();
            return;
        }
        ctx.attribute(ACCOUNT, accounts.authenticate(ctx));
    }

    /** After the handlers: lets a {@code drop_reply} fault lose the reply of a request that was carried out. */
    public void after(Context ctx) {
        faults.afterHandling(ctx);
    }

    /** The authenticated account of this request. */
    static String account(Context ctx) {
        return ctx.attribute(ACCOUNT);
    }
}
