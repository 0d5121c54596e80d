package dev.spotapi.sim.http;

import dev.spotapi.sim.SpotException;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** The configured Spot accounts and their API tokens; authenticates Spot API requests. */
public final class Accounts {
    static final Pattern ACCOUNT_ID = Pattern.compile("act-[A-Za-z0-9]+");

    private final Map<String, String> tokens;

    public Accounts(Map<String, String> tokens) {
        this.tokens = Collections.unmodifiableMap(new LinkedHashMap<>(tokens));
    }

    public static void check(String accountId, String token) {
        if (accountId == null || !ACCOUNT_ID.matcher(accountId).matches()) {
            throw new IllegalArgumentException("account id must look like act-1234abcd, got: " + accountId);
        }
        if (token == null || token.isBlank() || token.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("token of " + accountId + " must be non-empty and without spaces");
        }
    }

    public Map<String, String> asMap() {
        return tokens;
    }

    /**
     * Returns the account a request acts for: {@code Authorization: Bearer <token>} must be a
     * configured token, and the {@code accountId} query parameter, when given, an account of that
     * token. Without {@code accountId} the call acts on the token's default account, the first one
     * configured with it (contract §9.11: Spot uses the organization's oldest account).
     */
    String authenticate(Context ctx) {
        String header = ctx.header("Authorization");
        if (header == null || header.length() <= 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw SpotException.unauthorized("Missing or malformed Authorization header (expected: Bearer <token>)");
        }
        byte[] token = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        String accountId = ctx.queryParam("accountId");
        if (accountId == null || accountId.isEmpty()) {
            for (Map.Entry<String, String> account : tokens.entrySet()) {
                if (MessageDigest.isEqual(account.getValue().getBytes(StandardCharsets.UTF_8), token)) {
                    return account.getKey();
                }
            }
            throw SpotException.unauthorized("Invalid token");
        }
        String expected = tokens.get(accountId);
        if (expected == null || !MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8), token)) {
            throw SpotException.unauthorized("Invalid token for account " + accountId);
        }
        return accountId;
    }
}
