package dev.spotapi.api;

import dev.spotapi.account.AccountRegistry;
import dev.spotapi.api.http.Exchange;
import java.util.List;

/**
 * {@code GET /v1/spot/} (behind the token): the names of the accounts this deployment serves, sorted, as a
 * JSON array of strings; the answer the sibling EC2 service gives on {@code GET /v2/ec2/}.
 */
final class AccountListRoute {
    private final List<String> names;
    private final Replies replies;

    AccountListRoute(AccountRegistry accounts, Replies replies) {
        this.names = accounts.all().keySet().stream().sorted().toList();
        this.replies = replies;
    }

    void list(Exchange ctx) {
        replies.json(ctx, names);
    }
}
