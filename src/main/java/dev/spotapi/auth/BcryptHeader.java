package dev.spotapi.auth;

/** Reads what a presented bcrypt hash claims about itself, without running bcrypt. */
final class BcryptHeader {
    static final int HASH_LENGTH = 60;

    private BcryptHeader() {
    }

    /** The cost factor of a well-formed bcrypt hash, or -1 when the value is not one. */
    static int cost(String hash) {
        if (hash == null || hash.length() != HASH_LENGTH || hash.charAt(0) != '$' || hash.charAt(1) != '2'
                || "abxy".indexOf(hash.charAt(2)) < 0 || hash.charAt(3) != '$' || hash.charAt(6) != '$') {
            return -1;
        }
        char tens = hash.charAt(4);
        char ones = hash.charAt(5);
        if (tens < '0' || tens > '9' || ones < '0' || ones > '9') {
            return -1;
        }
        for (int i = 7; i < HASH_LENGTH; i++) {
            char c = hash.charAt(i);
            boolean base64 = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
                    || c == '/';
            if (!base64) {
                return -1;
            }
        }
        return (tens - '0') * 10 + (ones - '0');
    }
}
