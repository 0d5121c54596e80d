package dev.spotapi.api;

import dev.spotapi.account.Account;
import dev.spotapi.account.AccountRegistry;
import dev.spotapi.api.http.Exchange;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Resolves the {account} path parameter (404 when unknown) and remembers it for logs and errors. The
 * account handed to the handler reports the Spot request id of each of its calls into
 * {@link #SPOT_REQUEST_IDS} (for the audit line).
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
        return new Account(account.name(), account.config(), account.spot().reportingTo(spotRequestIds::add));
    }
}
