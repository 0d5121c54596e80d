package dev.spotapi.config;

/** A Go-style listen address: {@code :8080}, {@code 127.0.0.1:8080} or {@code [::1]:8080}. */
public record ListenAddress(String host, int port) {

    /** @param host null means every interface */
    public static ListenAddress parse(String value) {
        int colon = value == null ? -1 : value.lastIndexOf(':');
        if (colon < 0) {
            throw new ConfigException("listenAddress: expected host:port or :port, got '" + value + "'");
        }
        String host = value.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(value.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException("listenAddress: port is not a number in '" + value + "'");
        }
        if (port < 0 || port > 65535) {
            throw new ConfigException("listenAddress: port out of range in '" + value + "'");
        }
        return new ListenAddress(host.isEmpty() ? null : host, port);
    }
}
