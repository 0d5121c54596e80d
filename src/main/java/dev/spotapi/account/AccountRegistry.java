package dev.spotapi.account;

import java.util.Map;

/** Looks accounts up by the name used in URLs. The one place that decides whether an account exists. */
public final class AccountRegistry {
    private final Map<String, Account> byName;

    public AccountRegistry(Map<String, Account> byName) {
        this.byName = Map.copyOf(byName);
    }

    public Account require(String name) {
        Account account = name == null ? null : byName.get(name);
        if (account == null) {
            throw new UnknownAccountException();
        }
        return account;
    }

    public Map<String, Account> all() {
        return byName;
    }
}
