package dev.spotapi.account;

/** The {account} of a URL names no configured account. */
public class UnknownAccountException extends RuntimeException {
    public UnknownAccountException() {
        super("account not found", null, false, false);
    }
}
