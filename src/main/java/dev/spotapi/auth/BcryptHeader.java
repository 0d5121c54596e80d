package dev.spotapi.auth;

import java.util.regex.Pattern;

/** Reads what a presented bcrypt hash claims about itself, without running bcrypt. */
final class BcryptHeader {
    static final int HASH_LENGTH = 60;
    private static final Pattern SHAPE = Pattern.compile("\\$2[abxy]\\$(\\d\\d)\\$[./A-Za-z0-9]{53}");

    private BcryptHeader() {
    }

    /** The cost factor of a well-formed bcrypt hash, or -1 when the value is not one. */
    static int cost(String hash) {
        if (hash == null || hash.length() != HASH_LENGTH) {
            return -1;
        }
        var m = SHAPE.matcher(hash);
        return m.matches() ? Integer.parseInt(m.group(1)) : -1;
    }
}
