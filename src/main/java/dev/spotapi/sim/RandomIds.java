package dev.spotapi.sim;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/** Random identifiers in the shapes Spot and AWS use. */
public final class RandomIds {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private RandomIds() {
    }

    public static String hex(int digits) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        char[] out = new char[digits];
        for (int i = 0; i < digits; i++) {
            out[i] = HEX[random.nextInt(16)];
        }
        return new String(out);
    }

    /** {@code sig-}/{@code smi-} + 8 lowercase hex digits. */
    public static String resourceId(String prefix) {
        return prefix + hex(8);
    }

    static String accountId() {
        return "act-" + hex(8);
    }

    public static String ec2InstanceId() {
        return "i-" + hex(17);
    }

    public static String spotRequestId() {
        return "sir-" + hex(8);
    }

    public static String privateIp() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "172.31." + r.nextInt(0, 256) + "." + r.nextInt(1, 255);
    }

    /** From 54.0.0.0/8, an AWS public range, so the addresses look real. */
    public static String publicIp() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return "54." + r.nextInt(0, 256) + "." + r.nextInt(0, 256) + "." + r.nextInt(1, 255);
    }

    /** A version-4 UUID; ThreadLocalRandom is enough for request ids and cheaper than SecureRandom. */
    public static String requestId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
        long lsb = (r.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(msb, lsb).toString();
    }
}
