package dev.spotapi.sim;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** The configured Spot accounts and their API tokens; authenticates Spot API requests. */
final class Accounts {
    static final Pattern ACCOUNT_ID = Pattern.compile("act-[A-Za-z0-9]+");

    private final Map<String, String> tokens;

    Accounts(Map<String, String> tokens) {
        this.tokens = Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
    }

    static void check(String accountId, String token) {
        if (accountId == null || !ACCOUNT_ID.matcher(accountId).matches()) {
            throw new IllegalArgumentException("account id must look like act-1234abcd, got: " + accountId);
        }
        if (token == null || token.isBlank() || token.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("token of " + accountId + " must be non-empty and without spaces");
        }
    }

    Map<String, String> asMap() {
        return tokens;
    }

    /**
     * Returns the account a request acts for: {@code Authorization: Bearer <token>} and the
     * {@code accountId} query parameter must name a configured account and its token.
     */
    String authenticate(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.length() <= 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw SpotException.unauthorized("Missing or malformed Authorization header (expected: Bearer <token>)");
        }
        String token = header.substring(7).trim();
        String accountId = ctx.queryParam("accountId");
        if (accountId == null || accountId.isEmpty()) {
            throw SpotException.unauthorized("The accountId query parameter is required");
        }
        String expected = tokens.get(accountId);
        if (expected == null || !MessageDigest.isEqual(
                expected.getBytes(StandardCharsets.UTF_8), token.getBytes(StandardCharsets.UTF_8))) {
            throw SpotException.unauthorized("Invalid token for account " + accountId);
        }
        return accountId;
    }
}
