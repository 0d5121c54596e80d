package dev.spotapi.auth;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * The key a client is counted under for the failed-verification budget and the fair verify queues: its
 * IPv4 address, or for IPv6 its /64 prefix (one host, one home or one VM commonly holds a whole /64, so
 * counting single IPv6 addresses would give one flooder 2^64 shares).
 */
final class ClientAddress {
    private ClientAddress() {
    }

    /**
     * {@code ip} as Jetty reports the remote address ({@code 10.0.0.1}, {@code [2001:db8::1]} or without
     * brackets, maybe with a {@code %zone}) to its key: IPv4 as it is, IPv4-mapped IPv6 as the IPv4 address,
     * other IPv6 as {@code "<first 4 groups>::/64"}; null or empty as {@code "?"}; anything else unchanged.
     * Never looks up a name.
     */
    static String key(String ip) {
        if (ip == null || ip.isEmpty()) {
            return "?";
        }
        String s = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
        int zone = s.indexOf('%');
        if (zone >= 0) {
            s = s.substring(0, zone);
        }
        if (s.indexOf(':') < 0 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
            return ip;
        }
        byte[] b;
        try {
            b = InetAddress.getByName("[" + s + "]").getAddress(); // bracketed: parsed as a literal, never resolved
        } catch (UnknownHostException e) {
            return ip;
        }
        if (b.length == 4) {
            return (b[0] & 0xff) + "." + (b[1] & 0xff) + "." + (b[2] & 0xff) + "." + (b[3] & 0xff);
        }
        StringBuilder prefix = new StringBuilder();
        for (int i = 0; i < 8; i += 2) {
            prefix.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        }
        return prefix.append(":/64").toString();
    }

    /**
     * The network (address block) of a client {@link #key}: an IPv4 address's /24 ({@code "10.0.0.0/24"}), an IPv6
     * /64's /48 ({@code "2001:db8:1::/48"}); any other key as it is. The fair verify queues let a newcomer of another
     * network push out an item of the network with the most waiting ({@link FairQueue}): a flood spread over many
     * addresses most often comes from few networks.
     */
    static String network(String key) {
        if (key.endsWith("::/64")) {
            String[] groups = key.substring(0, key.length() - "::/64".length()).split(":");
            return groups.length == 4 ? groups[0] + ":" + groups[1] + ":" + groups[2] + "::/48" : key;
        }
        int last = key.lastIndexOf('.');
        if (last > 0 && key.indexOf(':') < 0 && key.chars().filter(c -> c == '.').count() == 3) {
            return key.substring(0, last) + ".0/24";
        }
        return key;
    }
}
