package dev.spotapi.api;

import dev.spotapi.account.Account;
import dev.spotapi.account.AccountRegistry;
import dev.spotapi.api.http.Exchange;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Resolves the {account} path parameter (404 when unknown) and remembers it for logs and errors. The
 * account handed to the handler reports the Spot request id of each of its calls into
 * {@link #SPOT_REQUEST_IDS} (for the audit line), and a conditional write's writes are guarded by its conditions
 * ({@link Preconditions#GUARD}), a keyed request's writes by its hold on the key ({@link
 * dev.spotapi.idempotency.Idempotency#writeFence}).
 */
final class AccountLookup {
    static final String ATTRIBUTE = "spot-api.account";
    static final String SPOT_REQUEST_IDS = "spot-api.spotRequestIds";

    private final AccountRegistry accounts;

    AccountLookup(AccountRegistry accounts) {
        this.accounts = accounts;
    }

    Account of(Exchange ctx) {
        Account account = accounts.require(ctx.pathParam("account"));
        ctx.attribute(ATTRIBUTE, account.name());
        Queue<String> spotRequestIds = new ConcurrentLinkedQueue<>();
        ctx.attribute(SPOT_REQUEST_IDS, spotRequestIds);
        dev.spotapi.spot.SpotClient spot = account.spot().reportingTo(spotRequestIds::add);
        dev.spotapi.spot.SpotClient.Guard guard = ctx.attribute(Preconditions.GUARD);
        if (guard != null) {
            spot = spot.guardedBy(guard);
        }
        dev.spotapi.spot.Correlation.Fence claim = dev.spotapi.idempotency.Idempotency.writeFence(ctx);
        return new Account(account.name(), account.config(), claim == null ? spot : spot.writesFencedBy(claim));
    }
}
