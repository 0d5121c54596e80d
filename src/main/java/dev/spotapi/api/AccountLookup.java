package dev.spotapi.api;

import dev.spotapi.account.Account;
import dev.spotapi.account.AccountRegistry;
import io.javalin.http.Context;

/** Resolves the {account} path parameter (404 when unknown) and remembers it for logs and errors. */
final class AccountLookup {
    static final String ATTRIBUTE = "spot-api.account";

    private final AccountRegistry accounts;

    AccountLookup(AccountRegistry accounts) {
        this.accounts = accounts;
    }

    Account of(Context ctx) {
        Account account = accounts.require(ctx.pathParam("account"));
        ctx.attribute(ATTRIBUTE, account.name());
        return account;
    }
}
