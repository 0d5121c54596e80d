package dev.spotapi.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Checks an {@code X-Auth-Token} header (a bcrypt hash of the pre-shared key) against the key.
 *
 * <p>bcrypt costs tens of milliseconds, so each distinct header value is verified once and the verdict
 * remembered in a bounded cache keyed by a SHA-256 digest of the value (the raw value is never kept).
 * The cache belongs to this verifier, which holds one key: a new key means a new verifier, so verdicts
 * are forgotten when the key changes. Hashes that are not bcrypt, or whose cost is outside
 * [{@value #MIN_COST}, {@value #MAX_COST}], are refused without hashing.
 */
public final class TokenVerifier {
    public static final int MIN_COST = 4;
    public static final int MAX_COST = 14;

    private final byte[] key;
    private final Cache<String, Boolean> verdicts;

    public TokenVerifier(String preSharedKey) {
        this(preSharedKey, 10_000);
    }

    TokenVerifier(String preSharedKey, long cacheSize) {
        this.key = preSharedKey.getBytes(StandardCharsets.UTF_8);
        this.verdicts = Caffeine.newBuilder()
                .maximumSize(cacheSize)
                .expireAfterAccess(Duration.ofHours(1))
                .build();
    }

    public Verdict check(String header) {
        if (header == null || header.isEmpty()) {
            return Verdict.MISSING;
        }
        String digest = digest(header);
        Boolean known = verdicts.getIfPresent(digest);
        if (known != null) {
            return known ? Verdict.OK : Verdict.WRONG;
        }
        int cost = BcryptHeader.cost(header);
        if (cost < 0) {
            return Verdict.MALFORMED;
        }
        if (cost < MIN_COST || cost > MAX_COST) {
            return Verdict.COST_REFUSED;
        }
        return verdicts.get(digest, d -> verify(header)) ? Verdict.OK : Verdict.WRONG;
    }

    /** How many verdicts are remembered now (for tests and metrics). */
    public long cachedVerdicts() {
        verdicts.cleanUp();
        return verdicts.estimatedSize();
    }

    private boolean verify(String header) {
        return BCrypt.verifyer().verify(key, header.getBytes(StandardCharsets.UTF_8)).verified;
    }

    private static String digest(String header) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(header.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    /** Hash a key as a client would, for the {@code hash-token} command and the sandbox banner. */
    public static String hash(String key, int cost) {
        return BCrypt.withDefaults().hashToString(cost, key.toCharArray());
    }

    public enum Verdict {
        OK, MISSING, MALFORMED, COST_REFUSED, WRONG;

        public boolean allowed() {
            return this == OK;
        }
    }
}
